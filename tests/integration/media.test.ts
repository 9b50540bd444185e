/**
 * Media operations (issue 15) on the fixture origin, analysed by the real
 * yt-dlp and converted by the real ffmpeg: a playlist feed as a streamed ZIP,
 * clips, converted audio with tags and cover, subtitle files and embedded
 * subtitles — and no file written by the server while any of it streamed.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMediaFixtures, VIETNAMESE_TITLE, type MediaFixtures } from "../fixtures/media";
import { PLAYLIST_ENTRIES, PLAYLIST_TITLE, startOrigin, VIETNAMESE_SUBTITLE, type Origin } from "../fixtures/origin";
import { egressAllow, ROOMY_LINK_LIMITS, startApp, type RunningApp } from "../support/app";
import { analyzed } from "../support/api";
import { signedUpClient, type Client } from "../support/http";
import { openApiContract } from "../support/openapi";

const run = promisify(execFile);
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "tvn-media-test-"));
/** The server's own TMPDIR: anything it (or ffmpeg, yt-dlp) wrote to a temp file would land here. */
const serverTmp = fs.mkdtempSync(path.join(os.tmpdir(), "tvn-media-server-tmp-"));

let fixtures: MediaFixtures;
let origin: Origin;
let app: RunningApp;
let sql: postgres.Sql;
let redis: Redis;
let alice: Client;
let contract: Awaited<ReturnType<typeof openApiContract>>;

type Created = { status: number; body: { streamUrl?: string; tokenId?: string; error?: { code: string } } };

async function token(body: Record<string, unknown>): Promise<Created> {
  const response = await alice.request("/api/streaming/token", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Created["body"] };
}

/** A link's whole body, saved under the test's own folder (the client's disk, not the server's). */
async function download(body: Record<string, unknown>, name: string) {
  const created = await token(body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  contract.expectConforms("POST", "/api/streaming/token", 201, created.body);
  const response = await fetch(`${app.baseUrl}${created.body.streamUrl}`);
  expect(response.status).toBe(200);
  const data = Buffer.from(await response.arrayBuffer());
  const file = path.join(work, name);
  fs.writeFileSync(file, data);
  return { file, data, response, tokenId: created.body.tokenId! };
}

async function probe(file: string) {
  const { stdout } = await run("ffprobe", ["-v", "error", "-show_streams", "-show_format", "-of", "json", file]);
  return JSON.parse(stdout) as {
    streams: Array<{ codec_type: string; codec_name: string; disposition?: { attached_pic?: number } }>;
    format: { duration: string; tags?: Record<string, string> };
  };
}

/**
 * Regular files held open for writing by the web process or any of its
 * children (ffmpeg, yt-dlp), from /proc: sampled while streams run.
 */
function filesOpenForWriting(rootPid: number): string[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended between the listing and the read: nothing of it to check.
    }
  }
  const pids = [rootPid];
  for (let i = 0; i < pids.length; i++) pids.push(...(children.get(pids[i]) ?? []));
  const found: string[] = [];
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      // Gone already.
      continue;
    }
    for (const fd of fds) {
      try {
        const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (!target.startsWith("/") || target.startsWith("/dev/") || target.startsWith("/proc/")) continue;
        const flags = /flags:\s*(\d+)/.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"))?.[1] ?? "0";
        // O_WRONLY (1) or O_RDWR (2) in the access mode bits.
        if (parseInt(flags, 8) & 3) found.push(`${pid}:${target}`);
      } catch {
        // The descriptor closed between the listing and the read.
      }
    }
  }
  return found;
}

const listing = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? listing(path.join(dir, d.name)) : [path.join(dir, d.name)]));

const writes: string[] = [];
let sampler: NodeJS.Timeout;

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures);
  // The server's TMPDIR is the empty folder the last test looks into.
  const env = { ...egressAllow(origin), ...ROOMY_LINK_LIMITS, TMPDIR: serverTmp, MAX_CONCURRENT_STREAMS: "20" };
  app = await startApp({ env });
  sql = postgres(process.env.DATABASE_URL!, { max: 2 });
  redis = new Redis(process.env.REDIS_URL!);
  alice = await signedUpClient(app.baseUrl, "media");
  contract = await openApiContract(app.baseUrl);
  sampler = setInterval(() => writes.push(...filesOpenForWriting(app.web.pid!)), 25);
});

afterAll(async () => {
  clearInterval(sampler);
  await app?.stop();
  await origin?.close();
  await sql?.end();
  redis?.disconnect();
});

describe("playlists", () => {
  let requestId: string;

  beforeAll(async () => {
    ({ requestId } = await analyzed(alice, origin.pageUrl("playlist")));
  });

  it("lists a feed's entries, flat, numbered from 1", async () => {
    const view = (await (await alice.request(`/api/streaming/analyze/${requestId}`)).json()) as {
      result: { kind: string; title: string; entries: Array<{ index: number; title: string; url: string }> };
    };
    contract.expectConforms("GET", "/api/streaming/analyze/{requestId}", 200, view);
    expect(view.result.kind).toBe("playlist");
    expect(view.result.title).toBe(PLAYLIST_TITLE);
    expect(view.result.entries.map((e) => [e.index, e.title])).toEqual(PLAYLIST_ENTRIES.map((e, i) => [i + 1, e.title]));
    expect(view.result.entries[0].url).toBe(origin.url("mp4"));
  });

  it("streams the chosen entries as a ZIP that unzip accepts, byte-identical to the sources, each counted", async () => {
    const { file, response, tokenId } = await download({ requestId, formatId: "best", entries: [2, 1] }, "two.zip");
    expect(response.headers.get("content-type")).toBe("application/zip");
    expect(response.headers.get("content-disposition")).toContain(encodeURIComponent(PLAYLIST_TITLE));
    await run("unzip", ["-t", file]);
    const out = fs.mkdtempSync(path.join(work, "two-"));
    await run("unzip", ["-q", file, "-d", out]);
    expect(fs.readdirSync(out).sort()).toEqual(["Tập 1 – Mở đầu.mp4", "Tập 2 Kết thúc.webm"]);
    expect(sha256(fs.readFileSync(path.join(out, "Tập 1 – Mở đầu.mp4")))).toBe(fixtures.files.mp4.sha256);
    expect(sha256(fs.readFileSync(path.join(out, "Tập 2 Kết thúc.webm")))).toBe(fixtures.files.webm.sha256);

    const [{ user_id: userId }] = await sql`select user_id from stream_tokens where id = ${tokenId}`;
    const used = await redis.get(`rl:tokens-day-free:${userId}:${new Date().toISOString().slice(0, 10)}`);
    expect(Number(used)).toBe(2);
  });

  it("skips an entry that fails, names it in errors.txt, and keeps same-titled entries apart", async () => {
    const { file } = await download({ requestId, formatId: "best", entries: [1, 3, 4] }, "three.zip");
    await run("unzip", ["-t", file]);
    const out = fs.mkdtempSync(path.join(work, "three-"));
    await run("unzip", ["-q", file, "-d", out]);
    expect(fs.readdirSync(out).sort()).toEqual(["Tập 1 – Mở đầu (2).mp4", "Tập 1 – Mở đầu.mp4", "errors.txt"]);
    expect(fs.readFileSync(path.join(out, "errors.txt"), "utf8")).toMatch(/^4\. Tập hỏng: /);
  });

  it("converts entries to MP3 inside the ZIP", async () => {
    const { file } = await download({ requestId, formatId: "mp3", entries: [1] }, "mp3.zip");
    const out = fs.mkdtempSync(path.join(work, "mp3-"));
    await run("unzip", ["-q", file, "-d", out]);
    const { format, streams } = await probe(path.join(out, "Tập 1 – Mở đầu.mp3"));
    expect(streams.find((s) => s.codec_type === "audio")?.codec_name).toBe("mp3");
    expect(format.tags?.title).toBe("Tập 1 – Mở đầu");
  });

  it("refuses what a playlist cannot do, each with its own code", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ formatId: "best" }, "entries_required"],
      [{ formatId: "mp4", entries: [1] }, "format_not_for_playlist"],
      [{ formatId: "best", entries: [9] }, "unknown_entry"],
      [{ formatId: "best", entries: [1], clip: { start: 0, end: 1 } }, "option_not_for_playlist"],
    ];
    for (const [body, code] of cases) {
      const { status, body: answer } = await token({ requestId, ...body });
      expect([status, answer.error?.code]).toEqual([400, code]);
    }
  });
});

describe("one video", () => {
  let requestId: string;
  /** The page's own MP4, as yt-dlp names it. */
  let mp4: string;

  beforeAll(async () => {
    const analysis = await analyzed(alice, origin.pageUrl("subtitles"));
    requestId = analysis.requestId;
    mp4 = analysis.result.formats.find((f) => !f.derived && f.ext === "mp4")!.id;
  });

  it("offers mp3, m4a and opus, and the page's subtitles", async () => {
    const view = (await (await alice.request(`/api/streaming/analyze/${requestId}`)).json()) as {
      result: { kind: string; formats: Array<{ id: string; badge: string }>; subtitles: Array<{ lang: string; label: string; ext: string }> };
    };
    contract.expectConforms("GET", "/api/streaming/analyze/{requestId}", 200, view);
    expect(view.result.kind).toBe("video");
    expect(view.result.formats.filter((f) => ["mp3", "m4a", "opus"].includes(f.id)).map((f) => [f.id, f.badge])).toEqual([
      ["mp3", "MP3"],
      ["m4a", "M4A"],
      ["opus", "Opus"],
    ]);
    expect(view.result.subtitles).toEqual([{ lang: "vi", label: "Vietnamese", ext: "vtt" }]);
  });

  it("cuts a clip to the asked range (±0.5 s), as MP4", async () => {
    const { file } = await download({ requestId, formatId: mp4, clip: { start: 0.5, end: 2.5 } }, "clip.mp4");
    const { format, streams } = await probe(file);
    expect(Math.abs(Number(format.duration) - 2)).toBeLessThanOrEqual(0.5);
    expect(streams.map((s) => s.codec_type).sort()).toEqual(["audio", "video"]);
  });

  it("writes the title, the uploader-less tags and the thumbnail as cover into the MP3", async () => {
    const { file } = await download({ requestId, formatId: "mp3" }, "song.mp3");
    const { format, streams } = await probe(file);
    expect(format.tags?.title).toBe(VIETNAMESE_TITLE);
    const cover = streams.find((s) => s.codec_type === "video");
    expect(cover?.codec_name).toBe("mjpeg");
    expect(cover?.disposition?.attached_pic).toBe(1);
    expect(streams.find((s) => s.codec_type === "audio")?.codec_name).toBe("mp3");
  });

  it("tags the M4A and the Opus file", async () => {
    for (const [id, codec] of [
      ["m4a", "aac"],
      ["opus", "opus"],
    ]) {
      const { file } = await download({ requestId, formatId: id }, `song.${id}`);
      const { format, streams } = await probe(file);
      const audio = streams.find((s) => s.codec_type === "audio");
      expect(audio?.codec_name).toBe(codec);
      const tags = { ...format.tags, ...(audio as { tags?: Record<string, string> }).tags };
      expect(tags.title ?? tags.TITLE).toBe(VIETNAMESE_TITLE);
    }
  });

  it("sends the subtitles as SRT and as WebVTT, with the page's Vietnamese text", async () => {
    const srt = await download({ requestId, formatId: "subtitles", subtitles: { lang: "vi", format: "srt" } }, "vi.srt");
    expect(srt.data.toString("utf8")).toContain(VIETNAMESE_SUBTITLE);
    expect(srt.data.toString("utf8")).toMatch(/^1\r?\n00:00:00,000 --> 00:00:02,500/);
    const vtt = await download({ requestId, formatId: "subtitles", subtitles: { lang: "vi", format: "vtt" } }, "vi.vtt");
    expect(vtt.data.toString("utf8")).toMatch(/^WEBVTT/);
    expect(vtt.data.toString("utf8")).toContain(VIETNAMESE_SUBTITLE);
  });

  it("embeds the subtitles in the MP4 as mov_text", async () => {
    const { file } = await download({ requestId, formatId: mp4, embedSubtitles: ["vi"] }, "embedded.mp4");
    const { streams } = await probe(file);
    expect(streams.find((s) => s.codec_type === "subtitle")?.codec_name).toBe("mov_text");
    const { stdout } = await run("ffmpeg", ["-v", "error", "-i", file, "-map", "0:s:0", "-f", "srt", "pipe:1"]);
    expect(stdout).toContain(VIETNAMESE_SUBTITLE);
  });

  it("refuses bad combinations, each with its own code", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ formatId: mp4, entries: [1] }, "entries_not_playlist"],
      [{ formatId: mp4, clip: { start: 2, end: 1 } }, "clip_end_before_start"],
      [{ formatId: mp4, clip: { start: 1, end: 60 } }, "clip_past_duration"],
      [{ formatId: "subtitles", subtitles: { lang: "en", format: "srt" } }, "unknown_language"],
      [{ formatId: mp4, embedSubtitles: ["fr"] }, "unknown_language"],
      [{ formatId: "subtitles" }, "subtitles_required"],
      [{ formatId: "mp3", embedSubtitles: ["vi"] }, "embed_needs_video"],
      [{ formatId: "subtitles", subtitles: { lang: "vi", format: "ass" } }, "invalid_request"],
    ];
    for (const [body, code] of cases) {
      const { status, body: answer } = await token({ requestId, ...body });
      expect([body, status, answer.error?.code]).toEqual([body, 400, code]);
    }
  });
});

describe("nothing on disk", () => {
  it("no file was held open for writing by the server or its tools, and its TMPDIR stayed empty", () => {
    // The check sees a file this test process holds open for writing, so an empty answer means something.
    const probeFile = path.join(work, "open-for-writing");
    const fd = fs.openSync(probeFile, "w");
    expect(filesOpenForWriting(process.pid)).toContain(`${process.pid}:${probeFile}`);
    fs.closeSync(fd);
    // The sampler ran through every download above (ZIPs, clips, conversions, subtitles).
    expect(writes).toEqual([]);
    expect(listing(serverTmp)).toEqual([]);
  });
});
