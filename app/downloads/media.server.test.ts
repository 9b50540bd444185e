import NodeID3 from "node-id3";
import { describe, expect, it } from "vitest";
import { normaliseInfo, type AnalysisResult } from "~/lib/formats";
import { AppError } from "~/platform/index.server";
import { mediaCommand } from "./media.server";
import { planMedia } from "./media-plan.server";

const PROXY = "http://127.0.0.1:40000";
const { result, sources } = normaliseInfo({
  id: "v",
  title: "Tải video – thử",
  uploader: "Kênh",
  duration: 10,
  thumbnail: "https://media.example/t.jpg",
  subtitles: { vi: [{ url: "https://media.example/vi.vtt", ext: "vtt" }] },
  formats: [{ format_id: "mp4", url: "https://media.example/v.mp4", ext: "mp4", protocol: "https", vcodec: "avc1.64001f", acodec: "mp4a.40.2", height: 720 }],
});
const meta = { title: result.title, artist: "Kênh", thumbnail: result.thumbnail };
const format = (id: string) => result.formats.find((f) => f.id === id)!;
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return `${err.kind}:${err.code}`;
    throw err;
  }
  return "accepted";
};

describe("planMedia", () => {
  const playlist: AnalysisResult = { ...result, kind: "playlist", formats: [], entries: [{ index: 1, title: "Một", url: "https://media.example/1" }] };

  it("accepts each operation with the file it makes", () => {
    expect(planMedia(result, sources, "mp4")).toMatchObject({ ext: "mp4", delivery: "direct", options: null, downloads: 1 });
    expect(planMedia(result, sources, "mp3")).toMatchObject({ ext: "mp3", delivery: "pipe", options: null });
    expect(planMedia(result, sources, "mp4", { clip: { start: 2, end: 5 } })).toMatchObject({
      ext: "mp4",
      delivery: "pipe",
      options: { clip: { start: 2, end: 5 } },
    });
    expect(planMedia(result, sources, "subtitles", { subtitles: { lang: "vi", format: "srt" } })).toMatchObject({ ext: "srt" });
    expect(planMedia(playlist, {}, "mp3", { entries: [1, 1] })).toMatchObject({ ext: "zip", options: { entries: [1] }, downloads: 1 });
  });

  it("refuses every bad combination with its own code", () => {
    expect(codeOf(() => planMedia(result, sources, "mp4", { entries: [1] }))).toBe("invalid:entries_not_playlist");
    expect(codeOf(() => planMedia(result, sources, "mp4", { clip: { start: 5, end: 5 } }))).toBe("invalid:clip_end_before_start");
    expect(codeOf(() => planMedia(result, sources, "mp4", { clip: { start: 5, end: 11 } }))).toBe("invalid:clip_past_duration");
    expect(codeOf(() => planMedia(result, sources, "subtitles", { subtitles: { lang: "en", format: "vtt" } }))).toBe("invalid:unknown_language");
    expect(codeOf(() => planMedia(result, sources, "mp4", { embedSubtitles: ["en"] }))).toBe("invalid:unknown_language");
    expect(codeOf(() => planMedia(result, sources, "opus", { embedSubtitles: ["vi"] }))).toBe("invalid:embed_needs_video");
    expect(codeOf(() => planMedia(result, sources, "nope"))).toBe("not_found:format_not_found");
    expect(codeOf(() => planMedia(playlist, {}, "best"))).toBe("invalid:entries_required");
    expect(codeOf(() => planMedia(playlist, {}, "best", { entries: [2] }))).toBe("invalid:unknown_entry");
    expect(codeOf(() => planMedia(playlist, {}, "webm", { entries: [1] }))).toBe("invalid:format_not_for_playlist");
  });
});

describe("mediaCommand", () => {
  const cover = { data: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), mime: "image/jpeg" as const };

  it("writes the MP3's ID3 tag itself (title, artist, cover) and keeps ffmpeg's off the pipe", () => {
    const { args, prefix } = mediaCommand({ format: format("mp3"), sources, meta, options: {} }, PROXY, cover);
    expect(args).toEqual(expect.arrayContaining(["-write_id3v2", "0", "-c:a", "libmp3lame", "-f", "mp3", "pipe:1"]));
    const tags = NodeID3.read(prefix!);
    expect(tags.title).toBe("Tải video – thử");
    expect(tags.artist).toBe("Kênh");
    expect(typeof tags.image === "object" && tags.image.imageBuffer.equals(cover.data)).toBe(true);
  });

  it("cuts a clip with an input seek and a length, re-encoded into fragmented MP4", () => {
    const { args } = mediaCommand({ format: format("mp4"), sources, meta, options: { clip: { start: 2, end: 5 } } }, PROXY, null);
    expect(args.slice(args.indexOf("-ss"), args.indexOf("-ss") + 2)).toEqual(["-ss", "2.000"]);
    expect(args.indexOf("-ss")).toBeLessThan(args.indexOf("-i"));
    expect(args.slice(args.indexOf("-t"), args.indexOf("-t") + 2)).toEqual(["-t", "3.000"]);
    expect(args).toEqual(expect.arrayContaining(["-c:v", "libx264", "-movflags", "frag_keyframe+empty_moov+default_base_moof"]));
  });

  it("embeds subtitles as a second input, mov_text with its ISO 639-2 language, the streams copied", () => {
    const { args } = mediaCommand({ format: format("mp4"), sources, meta, options: { embedSubtitles: ["vi"] } }, PROXY, null);
    expect(args.filter((a) => a === "-i")).toHaveLength(2);
    expect(args).toEqual(expect.arrayContaining(["-map", "1:s:0", "-metadata:s:s:0", "language=vie", "-c:s", "mov_text", "-c:v", "copy"]));
    expect(args.filter((a, i) => args[i - 1] === "-http_proxy")).toEqual([PROXY, PROXY]);
  });

  it("puts the cover into Opus as a METADATA_BLOCK_PICTURE comment", () => {
    const { args } = mediaCommand({ format: format("opus"), sources, meta, options: {} }, PROXY, cover);
    const picture = args.find((a) => a.startsWith("METADATA_BLOCK_PICTURE="))!;
    const block = Buffer.from(picture.split("=").slice(1).join("="), "base64");
    expect(block.readUInt32BE(0)).toBe(3);
    expect(block.subarray(block.length - cover.data.length).equals(cover.data)).toBe(true);
  });
});
