import { describe, expect, it } from "vitest";
import { ytDlpCommand } from "~/analysis/index.server";
import { config } from "~/config.server";
import type { FormatSource, MediaFormat } from "~/lib/formats";
import { lastLineOf, pipeCommand } from "./pipe.server";

function format(overrides: Partial<MediaFormat>): MediaFormat {
  return {
    id: "f",
    selector: "f",
    kind: "video",
    ext: "mp4",
    container: "mp4",
    width: null,
    height: null,
    fps: null,
    vcodec: null,
    acodec: null,
    hasVideo: true,
    hasAudio: true,
    filesize: null,
    filesizeIsEstimate: false,
    bitrateKbps: null,
    protocol: "https",
    delivery: "pipe",
    badge: "HD",
    label: "",
    derived: null,
    ...overrides,
  } as MediaFormat;
}

const source = (url: string, headers: Record<string, string> = {}): FormatSource => ({ url, headers });
const page = "https://video.example/watch/1";
const PROXY = "http://127.0.0.1:40000";

/** The value after a flag, for each time the flag appears. */
const valuesOf = (args: string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));

describe("pipeCommand", () => {
  it("merges best video + audio with ffmpeg, copying streams into fragmented MP4 on stdout", () => {
    const video = format({ id: "v", selector: "v", acodec: "none" });
    const audio = format({ id: "a", selector: "a", kind: "audio", vcodec: "none", acodec: "mp4a.40.2" });
    const best = format({ id: "best", selector: "v+a", derived: "best", ext: "mp4" });
    const { command, args } = pipeCommand(
      best,
      [video, audio, best],
      { v: source("https://cdn.example/v.mp4"), a: source("https://cdn.example/a.m4a", { Referer: page }) },
      page,
      PROXY,
    );
    expect(command).toBe(config.FFMPEG_PATH);
    expect(valuesOf(args, "-i")).toEqual(["https://cdn.example/v.mp4", "https://cdn.example/a.m4a"]);
    expect(valuesOf(args, "-map")).toEqual(["0:v:0", "1:a:0"]);
    expect(valuesOf(args, "-c")).toEqual(["copy"]);
    expect(valuesOf(args, "-f")).toEqual(["mp4"]);
    expect(valuesOf(args, "-headers")).toEqual([`Referer: ${page}\r\n`]);
    expect(args.at(-1)).toBe("pipe:1");
    // Every input goes through the egress proxy, limited to network protocols: no file:, concat: or data: reads.
    expect(valuesOf(args, "-http_proxy")).toEqual([PROXY, PROXY]);
    expect(valuesOf(args, "-protocol_whitelist")).toHaveLength(2);
    for (const list of valuesOf(args, "-protocol_whitelist"))
      expect(list.split(",")).not.toEqual(expect.arrayContaining(["file", "concat", "data", "subfile"]));
  });

  it("merges into Matroska when the best choice is not MP4", () => {
    const best = format({ id: "best", selector: "v+a", derived: "best", ext: "mkv" });
    const { args } = pipeCommand(best, [best], { v: source("https://cdn.example/v.webm"), a: source("https://cdn.example/a.webm") }, page, PROXY);
    expect(valuesOf(args, "-f")).toEqual(["matroska"]);
  });

  it("copies AAC audio as it is, and encodes other codecs to AAC for M4A", () => {
    const aac = format({ id: "a", selector: "a", acodec: "mp4a.40.2" });
    const opus = format({ id: "o", selector: "o", acodec: "opus" });
    const audioOf = (selector: string) => format({ id: "audio", selector, derived: "audio", ext: "m4a" });
    const sources = { a: source("https://cdn.example/a.m4a"), o: source("https://cdn.example/o.webm") };
    const copied = pipeCommand(audioOf("a"), [aac, opus], sources, page, PROXY).args;
    expect(valuesOf(copied, "-c:a")).toEqual(["copy"]);
    const encoded = pipeCommand(audioOf("o"), [aac, opus], sources, page, PROXY).args;
    expect(valuesOf(encoded, "-c:a")).toEqual(["aac"]);
    expect(encoded).toContain("-vn");
  });

  it("remuxes HLS with ffmpeg", () => {
    const hls = format({ id: "hls-720", selector: "hls-720", protocol: "m3u8_native" });
    const { command, args } = pipeCommand(hls, [hls], { "hls-720": source("https://cdn.example/720.m3u8") }, page, PROXY);
    expect(command).toBe(config.FFMPEG_PATH);
    expect(valuesOf(args, "-i")).toEqual(["https://cdn.example/720.m3u8"]);
  });

  it("leaves anything else to yt-dlp on the page itself, writing to stdout with no config or playlist", () => {
    const dash = format({ id: "137", selector: "137", protocol: "http_dash_segments" });
    const { command, args } = pipeCommand(dash, [dash], {}, page, PROXY);
    expect(command).toBe(ytDlpCommand());
    expect(args).toEqual(expect.arrayContaining(["--ignore-config", "--no-playlist", "-o", "-"]));
    expect(valuesOf(args, "-f")).toEqual(["137"]);
    expect(valuesOf(args, "--proxy")).toEqual([PROXY]);
    // The page comes after "--", so it can never be read as an option.
    expect(args.slice(-2)).toEqual(["--", page]);
  });
});

describe("lastLineOf", () => {
  it("keeps a tool's last line but not the URLs in it (signed URLs are credentials)", () => {
    const stderr = "first line\nhttps://cdn.example.com/v.mp4?sig=SECRET&exp=1: Server returned 403 Forbidden (access denied)\n";
    expect(lastLineOf(stderr)).toBe("<url>: Server returned 403 Forbidden (access denied)");
  });
});
