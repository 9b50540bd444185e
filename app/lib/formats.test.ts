import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { badgeFor, codecName, formatBytes, formatDuration, normaliseInfo, normalisePlaylist, recommendedFormat, type YtDlpInfo } from "./formats";

const captured = (name: string) =>
  JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../../tests/fixtures/ytdlp", `${name}.json`), "utf8")) as YtDlpInfo;

describe("normaliseInfo on yt-dlp's real output for the loopback fixtures", () => {
  it("takes a direct mp4 link as one direct video+audio format", () => {
    const { result, sources } = normaliseInfo(captured("mp4"));
    const plain = result.formats.filter((f) => !f.derived);
    expect(plain).toHaveLength(1);
    expect(plain[0]).toMatchObject({ id: "mp4", ext: "mp4", container: "MP4", delivery: "direct", protocol: "http", kind: "video+audio", badge: "Video" });
    expect(sources.mp4.url).toBe("http://ORIGIN/media/sample.mp4");
    expect(result.extractor).toBe("Generic");
  });

  it("finds both <source>s of the video page, with the page's title and thumbnail", () => {
    const { result, sources } = normaliseInfo(captured("video-page"));
    // yt-dlp numbers a page's media ("… (1)"); the only video on a page needs no number.
    expect(result.title).toBe("Tải video nhanh – thử nghiệm");
    expect(result.thumbnail).toBe("http://ORIGIN/media/thumbnail.jpg");
    const plain = result.formats.filter((f) => !f.derived);
    expect(plain.map((f) => f.ext).sort()).toEqual(["mp4", "webm"]);
    expect(plain.every((f) => f.delivery === "direct")).toBe(true);
    // The page's formats carry a Referer that the stream must send too.
    expect(sources["1"].headers.Referer).toBe("http://ORIGIN/page/video.html");
  });

  it("marks an HLS playlist for the pipe path", () => {
    const { result } = normaliseInfo(captured("hls"));
    const plain = result.formats.filter((f) => !f.derived);
    expect(plain).toEqual([expect.objectContaining({ protocol: "m3u8_native", delivery: "pipe" })]);
  });
});

describe("normaliseInfo on a site with separate video and audio streams", () => {
  const { result, sources } = normaliseInfo(captured("multi-format"));
  const byId = Object.fromEntries(result.formats.map((f) => [f.id, f]));

  it("keeps the page facts and picks the preferred thumbnail", () => {
    expect(result).toMatchObject({ title: "Tải video nhanh – thử nghiệm", uploader: "Kênh Thử Nghiệm", durationSeconds: 212, extractor: "Youtube" });
    expect(result.thumbnail).toBe("https://i.example/vi/maxres.jpg");
  });

  it("drops storyboards and DRM formats", () => {
    expect(byId.sb0).toBeUndefined();
    expect(byId.drm).toBeUndefined();
    expect(sources.sb0).toBeUndefined();
  });

  it("tells video-only, audio-only and muxed formats apart", () => {
    expect(byId["137"]).toMatchObject({ kind: "video", hasAudio: false, acodec: null, badge: "1080p" });
    expect(byId["140"]).toMatchObject({ kind: "audio", hasVideo: false, badge: "Audio", container: "M4A" });
    expect(byId["251"]).toMatchObject({ kind: "audio", ext: "webm", filesize: 3600000, filesizeIsEstimate: true });
    expect(byId["18"]).toMatchObject({ kind: "video+audio", badge: "SD", width: 640, height: 360 });
    expect(byId["313"].badge).toBe("4K");
  });

  it("estimates a size from bitrate and duration when yt-dlp gives none", () => {
    expect(byId["18"].filesize).toBe(Math.round((503.5 * 1000 * 212) / 8));
    expect(byId["18"].filesizeIsEstimate).toBe(true);
    expect(byId["137"]).toMatchObject({ filesize: 66250000, filesizeIsEstimate: false });
  });

  it("sends fragmented and streaming protocols down the pipe path", () => {
    expect(byId["hls-720"].delivery).toBe("pipe");
    expect(byId["dash-480"].delivery).toBe("pipe");
    expect(byId["137"].delivery).toBe("direct");
  });

  it("offers the best video merged with the best audio first, and an audio-only choice", () => {
    expect(result.formats[0]).toMatchObject({
      id: "best",
      derived: "best",
      selector: "313+251",
      delivery: "pipe",
      badge: "4K",
      kind: "video+audio",
      ext: "mkv",
    });
    expect(result.formats[0].filesize).toBe(318000000 + 3600000);
    expect(byId.audio).toMatchObject({ derived: "audio", kind: "audio", ext: "m4a", delivery: "pipe", selector: "251" });
  });

  it("sorts muxed formats, then video by height, fps and bitrate, then audio", () => {
    const plain = result.formats.filter((f) => !f.derived).map((f) => f.id);
    expect(plain).toEqual(["hls-720", "18", "313", "299", "137", "248", "dash-480", "251", "140", "139"]);
  });

  it("labels formats for people", () => {
    expect(byId["299"].label).toBe("1080p50 · MP4 · H.264 · no sound");
    expect(byId["18"].label).toBe("360p · MP4 · H.264 + AAC");
    expect(byId["140"].label).toBe("Audio 130 kbps · M4A · AAC");
  });
});

describe("helpers", () => {
  it.each([
    [2160, "4K"],
    [1440, "1440p"],
    [1080, "1080p"],
    [720, "720p"],
    [480, "480p"],
    [360, "SD"],
    [null, "Video"],
  ] as const)("badges height %s as %s", (height, badge) => {
    expect(badgeFor(height, true)).toBe(badge);
  });

  it("names codecs", () => {
    expect(codecName("avc1.640028")).toBe("H.264");
    expect(codecName("vp09.00.40.08")).toBe("VP9");
    expect(codecName("av01.0.08M.08")).toBe("AV1");
    expect(codecName("none")).toBeNull();
  });

  it("formats bytes and durations", () => {
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1_234_567)).toBe("1.2 MB");
    expect(formatBytes(318_000_000)).toBe("318 MB");
    expect(formatBytes(1_234_567, "vi")).toBe("1,2 MB");
    expect(formatDuration(212)).toBe("3:32");
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatDuration(null)).toBeNull();
  });
});

describe("normalisePlaylist", () => {
  it("numbers the entries from 1, drops yt-dlp's smuggled data and non-web URLs, and stops at the cap", () => {
    const result = normalisePlaylist(
      {
        _type: "playlist",
        title: "Danh sách",
        entries: [
          { url: "https://media.example/a.mp4#__youtubedl_smuggle=%7B%22force_videoid%22%3A+%221%22%7D", title: "Một", duration: 3 },
          { url: "file:///etc/passwd", title: "Không" },
          { url: "https://media.example/b.webm", title: null },
          { url: "https://media.example/c.webm", title: "Ba" },
        ],
      },
      2,
    );
    expect(result.kind).toBe("playlist");
    expect(result.entries).toEqual([
      { index: 1, title: "Một", url: "https://media.example/a.mp4", durationSeconds: 3 },
      { index: 2, title: "2", url: "https://media.example/b.webm" },
    ]);
  });
});

describe("subtitles and converted audio", () => {
  it("lists a page's subtitle tracks (WebVTT preferred) and offers mp3, m4a and opus", () => {
    const { result, sources } = normaliseInfo({
      id: "v",
      title: "t",
      subtitles: {
        vi: [
          { url: "https://media.example/vi.srt", ext: "srt" },
          { url: "https://media.example/vi.vtt", ext: "vtt" },
        ],
        live_chat: [{ url: "https://media.example/chat.json", ext: "json" }],
      },
      formats: [{ format_id: "0", url: "https://media.example/v.mp4", ext: "mp4", vcodec: "avc1", acodec: "mp4a.40.2" }],
    });
    expect(result.subtitles).toEqual([{ lang: "vi", label: "Vietnamese", ext: "vtt" }]);
    expect(sources["subtitles:vi"].url).toBe("https://media.example/vi.vtt");
    expect(result.formats.filter((f) => ["mp3", "m4a", "opus"].includes(f.id)).map((f) => [f.id, f.ext, f.badge, f.selector])).toEqual([
      ["mp3", "mp3", "MP3", "0"],
      ["m4a", "m4a", "M4A", "0"],
      ["opus", "opus", "Opus", "0"],
    ]);
  });
});

describe("only media is media", () => {
  // What yt-dlp's generic extractor answers for a plain text file: a "direct video link" with no codecs.
  const textFile: YtDlpInfo = {
    id: "notes",
    title: "notes",
    format_id: "txt",
    url: "http://ORIGIN/notes.txt",
    ext: "txt",
    extractor_key: "Generic",
    webpage_url: "http://ORIGIN/notes.txt",
  };

  it("offers nothing for a text file the probe found no stream in", () => {
    expect(normaliseInfo(textFile).result.formats).toEqual([]);
  });

  it("keeps a file of an unknown extension once the probe found a video stream in it", () => {
    const probed = { ...textFile, ext: "bin", vcodec: "h264", acodec: "aac", height: 360 };
    expect(normaliseInfo(probed).result.formats.filter((f) => !f.derived)).toEqual([expect.objectContaining({ kind: "video+audio", height: 360 })]);
  });

  it("keeps a known media extension even before a probe", () => {
    expect(normaliseInfo({ ...textFile, ext: "mp4" }).result.formats.some((f) => f.kind === "video+audio")).toBe(true);
  });
});

describe("the recommended format", () => {
  it("is the video with sound, not the audio conversion, on a page with one muxed file", () => {
    const { result } = normaliseInfo(captured("mp4"));
    expect(result.formats.some((f) => f.derived === "audio")).toBe(true);
    expect(recommendedFormat(result.formats)).toMatchObject({ id: "mp4", kind: "video+audio" });
  });

  it("is the best merge when video and audio come apart", () => {
    const { result } = normaliseInfo(captured("multi-format"));
    const best = recommendedFormat(result.formats)!;
    expect(best.kind).toBe("video+audio");
    expect(best.height).toBe(Math.max(...result.formats.map((f) => f.height ?? 0)));
  });

  it("prefers MP4 among equally good files with sound", () => {
    const { result } = normaliseInfo(captured("video-page"));
    expect(recommendedFormat(result.formats)?.ext).toBe("mp4");
  });

  it("is the audio file on a page with sound only", () => {
    const { result } = normaliseInfo({ id: "a", title: "a", format_id: "mp3", url: "http://ORIGIN/a.mp3", ext: "mp3", vcodec: "none", acodec: "mp3" });
    expect(recommendedFormat(result.formats)).toMatchObject({ kind: "audio", ext: "mp3" });
  });
});

describe("only web URLs reach the tools", () => {
  it("offers no source, subtitle or thumbnail whose URL is not http(s)", () => {
    const info: YtDlpInfo = {
      id: "x",
      title: "x",
      thumbnail: "tcp://10.0.0.1:6379/",
      formats: [
        { format_id: "raw", url: "tcp://10.0.0.1:6379/", ext: "mp4", vcodec: "h264", acodec: "aac" },
        { format_id: "web", url: "https://cdn.example/v.mp4", ext: "mp4", vcodec: "h264", acodec: "aac" },
      ],
    };
    const { result, sources } = normaliseInfo(info);
    expect(Object.keys(sources)).toEqual(["web"]);
    expect(result.thumbnail).toBeNull();
  });
});
