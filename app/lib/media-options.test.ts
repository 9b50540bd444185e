import { describe, expect, it } from "vitest";
import { mediaOptionsFromForm, parseClock } from "./media-options";

const form = (fields: Array<[string, string]>) => {
  const data = new FormData();
  for (const [name, value] of fields) data.append(name, value);
  return data;
};

describe("parseClock", () => {
  it("reads mm:ss, h:mm:ss and seconds; empty is no time; anything else is NaN", () => {
    expect(parseClock("1:05")).toBe(65);
    expect(parseClock("01:02:03")).toBe(3723);
    expect(parseClock("0:02.5")).toBe(2.5);
    expect(parseClock("90")).toBe(90);
    expect(parseClock(" ")).toBeNull();
    expect(parseClock("1:75")).toBeNaN();
    expect(parseClock("-3")).toBeNaN();
    expect(parseClock("abc")).toBeNaN();
  });
});

describe("mediaOptionsFromForm", () => {
  it("reads the plain forms' fields into the API's options", () => {
    expect(
      mediaOptionsFromForm(
        form([
          ["entries", "1"],
          ["entries", "3"],
        ]),
      ),
    ).toEqual({ options: { entries: [1, 3] } });
    expect(
      mediaOptionsFromForm(
        form([
          ["clipStart", ""],
          ["clipEnd", "0:05"],
        ]),
      ),
    ).toEqual({ options: { clip: { start: 0, end: 5 } } });
    expect(
      mediaOptionsFromForm(
        form([
          ["subtitleLang", "vi"],
          ["subtitleFormat", "srt"],
        ]),
      ),
    ).toEqual({ options: { subtitles: { lang: "vi", format: "srt" } } });
    expect(mediaOptionsFromForm(form([["embedSubtitles", "vi"]]))).toEqual({ options: { embedSubtitles: ["vi"] } });
    expect(mediaOptionsFromForm(form([["formatId", "mp4"]]))).toEqual({ options: {} });
  });

  it("names what it cannot read", () => {
    expect(mediaOptionsFromForm(form([["clipStart", "1:00"]]))).toEqual({ error: "invalid_clip_time" });
    expect(
      mediaOptionsFromForm(
        form([
          ["clipStart", "soon"],
          ["clipEnd", "1:00"],
        ]),
      ),
    ).toEqual({ error: "invalid_clip_time" });
    expect(mediaOptionsFromForm(form([["entries", "x"]]))).toEqual({ error: "invalid_request" });
    expect(
      mediaOptionsFromForm(
        form([
          ["subtitleLang", "vi"],
          ["subtitleFormat", "ass"],
        ]),
      ),
    ).toEqual({ error: "invalid_request" });
  });
});
