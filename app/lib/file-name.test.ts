import { describe, expect, it } from "vitest";
import { asciiFallback, cutGraphemes, downloadFileName, uniqueFileName } from "./file-name";

const graphemes = (s: string) => [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(s)].map((g) => g.segment);
const isWellFormed = (s: string) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe("downloadFileName", () => {
  it("never splits an emoji, a flag or a letter with its marks at the cut", () => {
    for (const tail of ["😀", "🇻🇳", "👩‍👩‍👧", "ệ", "a\u0308\u0301", "Tiếng Việt"]) {
      for (let pad = 140; pad <= 151; pad++) {
        const title = "x".repeat(pad) + tail.repeat(4);
        const name = downloadFileName(title, "mp4");
        expect(isWellFormed(name)).toBe(true);
        expect(name.length).toBeLessThanOrEqual(150 + ".mp4".length);
        // What is kept of the tail is whole graphemes only.
        const kept = graphemes(name.slice(pad, -".mp4".length));
        expect(kept).toEqual(graphemes(tail.repeat(4).normalize("NFC")).slice(0, kept.length));
        expect(Buffer.from(name, "utf8").toString("utf8")).toBe(name);
      }
    }
  });

  it("keeps Vietnamese, drops path and control characters, and never ends in a dot or space", () => {
    expect(downloadFileName("Tải video: nhanh/chậm?", "webm")).toBe("Tải video nhanh chậm.webm");
    expect(downloadFileName("  ...  ", "mp4")).toBe("video.mp4");
    expect(downloadFileName("end. ", "m4a")).toBe("end.m4a");
  });

  it("cutGraphemes returns short text as it is and cuts long text to whole graphemes", () => {
    expect(cutGraphemes("abc", 10)).toBe("abc");
    expect(cutGraphemes("ab😀", 3)).toBe("ab");
    expect(cutGraphemes("ab😀c", 4)).toBe("ab😀");
  });

  it("asciiFallback spells Vietnamese without marks and replaces what ASCII lacks", () => {
    expect(asciiFallback("Tải video – Đà Nẵng 😀.mp4")).toBe("Tai video - Da Nang __.mp4");
  });
});

describe("uniqueFileName", () => {
  it("keeps the first name, numbers the repeats, and treats names that differ only in case as the same", () => {
    const taken = new Set<string>();
    expect(uniqueFileName(taken, "Tập 1: Mở đầu", "mp4")).toBe("Tập 1 Mở đầu.mp4");
    expect(uniqueFileName(taken, "Tập 1: Mở đầu", "mp4")).toBe("Tập 1 Mở đầu (2).mp4");
    expect(uniqueFileName(taken, "TẬP 1: MỞ ĐẦU", "mp4")).toBe("TẬP 1 MỞ ĐẦU (3).mp4");
    expect(uniqueFileName(taken, "Tập 1: Mở đầu", "webm")).toBe("Tập 1 Mở đầu.webm");
    expect(uniqueFileName(taken, "../../etc/passwd", "mp4")).toBe(".. .. etc passwd.mp4");
  });
});
