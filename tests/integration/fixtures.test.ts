/**
 * Checks the media fixture kit and the loopback origin against the real
 * tools: ffprobe for the clips, plain HTTP for the origin, and the installed
 * yt-dlp for what its generic extractor makes of the origin's URLs.
 *
 * The yt-dlp -J outputs are kept under tests/fixtures/ytdlp/ for unit tests
 * of format handling, with the origin written as http://ORIGIN. They are
 * captured when missing or when TVN_CAPTURE_YTDLP=1, and otherwise compared
 * with what yt-dlp returns now.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FIXTURE_DURATION_SECONDS,
  FIXTURE_NAMES,
  VIETNAMESE_TITLE,
  ensureLargeFixture,
  ensureMediaFixtures,
  probeMedia,
  sha256File,
  type FixtureName,
  type MediaFixtures,
} from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { waitFor } from "../support/wait";

const YTDLP_DIR = path.join(import.meta.dirname, "../fixtures/ytdlp");
const ORIGIN_HOST_PLACEHOLDER = "ORIGIN";
const ORIGIN_PLACEHOLDER = `http://${ORIGIN_HOST_PLACEHOLDER}`;

interface Expected {
  durationSeconds: number;
  vcodec: string[] | null;
  acodec: string[] | null;
}

const D = FIXTURE_DURATION_SECONDS;
const expected: Record<FixtureName, Expected> = {
  mp4: { durationSeconds: D, vcodec: ["h264"], acodec: ["aac"] },
  webm: { durationSeconds: D, vcodec: ["vp9", "vp8"], acodec: ["opus", "vorbis"] },
  mkv: { durationSeconds: D, vcodec: ["h264"], acodec: ["aac", "opus"] },
  m4a: { durationSeconds: D, vcodec: null, acodec: ["aac"] },
  hls: { durationSeconds: D, vcodec: ["h264"], acodec: ["aac"] },
  videoOnly: { durationSeconds: D, vcodec: ["h264"], acodec: null },
  audioOnly: { durationSeconds: D, vcodec: null, acodec: ["aac"] },
  vietnamese: { durationSeconds: D, vcodec: ["h264"], acodec: ["aac"] },
  thumbnail: { durationSeconds: 0, vcodec: ["mjpeg"], acodec: null },
};

let fixtures: MediaFixtures;
let origin: Origin;

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures);
});

afterAll(async () => {
  await origin?.close();
});

describe("media fixtures", () => {
  it.each(FIXTURE_NAMES)("%s is on disk as the manifest says, with the intended streams", async (name) => {
    const fixture = fixtures.files[name];
    const want = expected[name];
    expect(fixture.name).toBe(name);
    expect(path.basename(fixture.file)).toBe(fixture.fileName);
    expect((await fs.stat(fixture.file)).size).toBe(fixture.size);
    expect(await sha256File(fixture.file)).toBe(fixture.sha256);

    const probe = await probeMedia(fixture.file);
    expect(Math.abs(probe.durationSeconds - want.durationSeconds)).toBeLessThanOrEqual(0.5);
    expect(probe.hasVideo).toBe(want.vcodec !== null);
    expect(probe.hasAudio).toBe(want.acodec !== null);
    if (want.vcodec) expect(want.vcodec).toContain(probe.vcodec);
    if (want.acodec) expect(want.acodec).toContain(probe.acodec);
    expect(fixture).toMatchObject({
      durationSeconds: probe.durationSeconds,
      hasVideo: probe.hasVideo,
      hasAudio: probe.hasAudio,
      vcodec: probe.vcodec,
      acodec: probe.acodec,
    });
  });

  it("names the Vietnamese clip and titles it with diacritics and an en dash", async () => {
    const fixture = fixtures.files.vietnamese;
    expect(VIETNAMESE_TITLE).toBe("T\u1ea3i video nhanh \u2013 th\u1eed nghi\u1ec7m");
    expect(fixture.fileName).toBe(`${VIETNAMESE_TITLE}.mp4`);
    expect(await fs.readdir(fixtures.dir)).toContain(fixture.fileName);
    expect((await probeMedia(fixture.file)).title).toBe(VIETNAMESE_TITLE);
  });

  it("cuts the HLS clip into about one-second segments that all exist", async () => {
    const playlist = await fs.readFile(fixtures.files.hls.file, "utf8");
    expect(playlist).toContain("#EXT-X-PLAYLIST-TYPE:VOD");
    expect(playlist).toContain("#EXT-X-ENDLIST");
    const durations = [...playlist.matchAll(/^#EXTINF:([\d.]+),/gm)].map((match) => Number(match[1]));
    expect(durations.length).toBeGreaterThanOrEqual(3);
    for (const duration of durations) expect(duration).toBeLessThanOrEqual(1.5);
    for (const segment of segmentNames(playlist)) {
      await expect(fs.stat(path.join(path.dirname(fixtures.files.hls.file), segment))).resolves.toBeTruthy();
    }
  });

  it("lets two concurrent generators race into one directory and then serves it from cache", async () => {
    const parent = await fs.mkdtemp(path.join(os.tmpdir(), "tvn-fixture-race-"));
    try {
      const dir = path.join(parent, "set");
      const [first, second] = await Promise.all([ensureMediaFixtures(dir), ensureMediaFixtures(dir)]);
      expect(second).toEqual(first);
      expect(await fs.readdir(parent)).toEqual(["set"]);

      const manifest = path.join(dir, "manifest.json");
      const before = (await fs.stat(manifest)).mtimeMs;
      const clipBefore = (await fs.stat(first.files.mp4.file)).mtimeMs;
      expect(await ensureMediaFixtures(dir)).toEqual(first);
      // Served from the cache: nothing was written again.
      expect((await fs.stat(manifest)).mtimeMs).toBe(before);
      expect((await fs.stat(first.files.mp4.file)).mtimeMs).toBe(clipBefore);
    } finally {
      await fs.rm(parent, { recursive: true, force: true });
    }
  });

  it("makes a large MP4 of at least the requested size on demand", async () => {
    const parent = await fs.mkdtemp(path.join(os.tmpdir(), "tvn-fixture-large-"));
    try {
      const size = 3 * 1024 * 1024;
      const large = await ensureLargeFixture(size, path.join(parent, "large"));
      expect(large.size).toBeGreaterThanOrEqual(size);
      expect((await fs.stat(large.file)).size).toBe(large.size);
      expect(large).toMatchObject({ name: "large", contentType: "video/mp4", hasVideo: true, vcodec: "h264" });
    } finally {
      await fs.rm(parent, { recursive: true, force: true });
    }
  });
});

describe("origin", () => {
  it.each(FIXTURE_NAMES)("serves %s whole, with its type, length and validators", async (name) => {
    const fixture = fixtures.files[name];
    const res = await fetch(origin.url(name));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(fixture.contentType);
    expect(res.headers.get("content-length")).toBe(String(fixture.size));
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("etag")).toMatch(/^"[^"]+"$/);
    expect(Date.parse(res.headers.get("last-modified") ?? "")).not.toBeNaN();
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(fixture.sha256);
  });

  it("answers a bounded range with exactly those bytes", async () => {
    const file = await fs.readFile(fixtures.files.mp4.file);
    const res = await fetch(origin.url("mp4"), { headers: { Range: "bytes=100-199" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes 100-199/${file.length}`);
    expect(res.headers.get("content-length")).toBe("100");
    expect(Buffer.from(await res.arrayBuffer())).toEqual(file.subarray(100, 200));
  });

  it("answers open-ended and suffix ranges", async () => {
    const file = await fs.readFile(fixtures.files.mp4.file);
    const tail = await fetch(origin.url("mp4"), { headers: { Range: "bytes=-10" } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get("content-range")).toBe(`bytes ${file.length - 10}-${file.length - 1}/${file.length}`);
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(file.subarray(file.length - 10));

    const rest = await fetch(origin.url("mp4"), { headers: { Range: `bytes=${file.length - 5}-` } });
    expect(rest.status).toBe(206);
    expect(Buffer.from(await rest.arrayBuffer())).toEqual(file.subarray(file.length - 5));
  });

  it("refuses a range past the end with 416", async () => {
    const { size } = fixtures.files.mp4;
    const res = await fetch(origin.url("mp4"), { headers: { Range: `bytes=${size}-` } });
    expect(res.status).toBe(416);
    expect(res.headers.get("content-range")).toBe(`bytes */${size}`);
    await res.arrayBuffer();
  });

  it("applies a range only while If-Range still names the file", async () => {
    const head = await fetch(origin.url("mp4"), { method: "HEAD" });
    const etag = head.headers.get("etag") ?? "";
    const lastModified = head.headers.get("last-modified") ?? "";
    const ranged = async (ifRange: string) => {
      const res = await fetch(origin.url("mp4"), { headers: { Range: "bytes=0-9", "If-Range": ifRange } });
      await res.arrayBuffer();
      return res.status;
    };
    expect(await ranged(etag)).toBe(206);
    expect(await ranged(lastModified)).toBe(206);
    expect(await ranged('"some-other-version"')).toBe(200);
    expect(await ranged("Thu, 01 Jan 1970 00:00:00 GMT")).toBe(200);
  });

  it("answers HEAD with the length and no body", async () => {
    const res = await rawRequest(new URL(origin.url("webm")).pathname, "HEAD");
    expect(res.status).toBe(200);
    expect(res.headers["content-length"]).toBe(String(fixtures.files.webm.size));
    expect(res.body.length).toBe(0);
  });

  it.each([
    "/media/..%2f..%2f..%2fetc%2fpasswd",
    "/media/../../../etc/passwd",
    "/media/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/media/%2fetc%2fpasswd",
    "/media/hls/..%2f..%2fmanifest.json",
    "/slow/..%2f..%2f..%2fetc%2fpasswd",
    "/media/sample.mp4%00.txt",
    "/media/%E0%A4%A",
  ])("refuses %s with 404", async (requestPath) => {
    const res = await rawRequest(requestPath);
    expect(res.status).toBe(404);
    expect(res.body.toString()).not.toContain("root:");
  });

  it("serves the Vietnamese file at its percent-encoded URL", async () => {
    const url = origin.url("vietnamese");
    expect(url).toContain(encodeURIComponent(VIETNAMESE_TITLE));
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(fixtures.files.vietnamese.sha256);
  });

  it("serves every HLS segment the playlist names", async () => {
    const playlist = await (await fetch(origin.url("hls"))).text();
    for (const segment of segmentNames(playlist)) {
      const res = await fetch(new URL(segment, origin.url("hls")));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("video/mp2t");
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  it("serves a video page with Open Graph tags and two absolute <source>s", async () => {
    const res = await fetch(origin.pageUrl("video"));
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const page = await res.text();
    expect(page).toContain(`<title>${VIETNAMESE_TITLE}</title>`);
    expect(page).toContain(`<meta property="og:title" content="${VIETNAMESE_TITLE}">`);
    expect(page).toContain(`<meta property="og:video" content="${origin.url("mp4")}">`);
    expect(page).toContain(`<meta property="og:video:type" content="video/mp4">`);
    expect(page).toContain(`<meta property="og:image" content="${origin.url("thumbnail")}">`);
    expect(page).toContain(`<source src="${origin.url("mp4")}" type="video/mp4">`);
    expect(page).toContain(`<source src="${origin.url("webm")}" type="video/webm">`);
  });

  it("serves an HLS page and a page without media", async () => {
    const hls = await (await fetch(origin.pageUrl("hls"))).text();
    expect(hls).toContain(`<source src="${origin.url("hls")}" type="application/vnd.apple.mpegurl">`);
    const plain = await (await fetch(origin.pageUrl("novideo"))).text();
    expect(plain).toContain("<p>");
    expect(plain).not.toMatch(/<video|<source|og:video|\.mp4|\.m3u8/);
  });

  it("answers /status/<code> with that code, and unknown paths with 404", async () => {
    for (const code of [403, 404, 500, 503]) {
      const res = await fetch(`${origin.baseUrl}/status/${code}`);
      expect(res.status).toBe(code);
      expect(await res.text()).toContain(String(code));
    }
    expect((await fetch(`${origin.baseUrl}/nothing/here`)).status).toBe(404);
    expect((await fetch(`${origin.baseUrl}/media/missing.mp4`)).status).toBe(404);
  });

  it("counts the requests it receives", async () => {
    const before = origin.requests;
    await (await fetch(origin.url("m4a"), { method: "HEAD" })).arrayBuffer();
    await (await fetch(`${origin.baseUrl}/status/404`)).arrayBuffer();
    expect(origin.requests).toBe(before + 2);
  });

  it("switches a URL between serving, a status, a redirect, a cut-off body and generated bytes", async () => {
    const media = origin.switchable("mp4");
    expect(new URL(media.url).pathname).toMatch(/\.mp4$/);
    const served = await fetch(media.url);
    expect(sha256(Buffer.from(await served.arrayBuffer()))).toBe(fixtures.files.mp4.sha256);

    media.set({ kind: "status", status: 410 });
    expect((await fetch(media.url)).status).toBe(410);

    media.set({ kind: "redirect", location: origin.url("m4a") });
    const redirect = await fetch(media.url, { redirect: "manual" });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe(origin.url("m4a"));

    media.set({ kind: "truncate", afterBytes: 1000 });
    const cut = await fetch(media.url);
    expect(cut.headers.get("content-length")).toBe(String(fixtures.files.mp4.size));
    await expect(cut.arrayBuffer()).rejects.toThrow();

    media.set({ kind: "generate", bytes: 3 * 65536 + 5 });
    const generated = await fetch(media.url);
    expect((await generated.arrayBuffer()).byteLength).toBe(3 * 65536 + 5);
    expect(media.hits).toBe(5);
    expect(media.bytesSent).toBe(1000 + 3 * 65536 + 5);
  });

  it("expires a page's media URL: the old one answers the status, the page names a new one that works", async () => {
    const page = origin.expiringPage("mp4");
    const first = page.mediaUrl;
    expect(await (await fetch(page.pageUrl)).text()).toContain(`<source src="${first}" type="video/mp4">`);
    const before = await fetch(first);
    expect(before.status).toBe(200);
    await before.arrayBuffer();

    page.expire(403);
    expect(page.mediaUrl).not.toBe(first);
    expect((await fetch(first)).status).toBe(403);
    expect(await (await fetch(page.pageUrl)).text()).toContain(`<source src="${page.mediaUrl}" type="video/mp4">`);
    const fresh = await fetch(page.mediaUrl);
    expect(sha256(Buffer.from(await fresh.arrayBuffer()))).toBe(fixtures.files.mp4.sha256);
    await waitFor(() => origin.log.some((r) => r.path === new URL(page.mediaUrl).pathname && r.status === 200));
    expect(
      origin.log
        .filter((r) => r.path === new URL(first).pathname)
        .map((r) => r.status)
        .sort(),
    ).toEqual([200, 403]);
  });

  it("never answers /hang, and close() still returns promptly", async () => {
    const failure = await fetch(`${origin.baseUrl}/hang`, { signal: AbortSignal.timeout(300) }).then(
      () => null,
      (err: unknown) => err as Error,
    );
    expect(failure?.name).toBe("TimeoutError");

    const own = await startOrigin(fixtures);
    const hanging = rawRequest("/hang", "GET", own.port);
    await waitFor(() => own.requests === 1);
    // close() must not wait for the request that never gets an answer (a hang fails the test by its timeout).
    await own.close();
    await expect(hanging).rejects.toThrow();
  });

  it("throttles /slow/ and lets the client walk away mid-body", async () => {
    const rate = 32 * 1024;
    const own = await startOrigin(fixtures, { throttleBytesPerSecond: rate });
    try {
      const controller = new AbortController();
      const res = await fetch(own.slowUrl("mp4"), { signal: controller.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-length")).toBe(String(fixtures.files.mp4.size));
      const reader = res.body!.getReader();
      const first = await reader.read();
      controller.abort();
      // The first chunk goes out at once and the throttle holds the rest back: the body does not arrive whole.
      expect(first.done).toBe(false);
      expect(first.value!.byteLength).toBeGreaterThan(0);
      expect(first.value!.byteLength).toBeLessThan(fixtures.files.mp4.size);
    } finally {
      // The walked-away client's connection does not keep close() waiting.
      await own.close();
    }
  });
});

describe("yt-dlp 2023.03.04 against the origin", () => {
  it("takes the MP4 URL as one direct http format through the generic extractor", async () => {
    const info = await analyse(origin.url("mp4"));
    expect(info).toMatchObject({
      _type: "video",
      extractor: "generic",
      extractor_key: "Generic",
      id: "sample",
      title: "sample",
      direct: true,
      ext: "mp4",
      url: origin.url("mp4"),
    });
    expect(info.formats).toHaveLength(1);
    // Without downloading media it knows nothing about the streams: no codecs, size or duration.
    expect(info.formats[0]).toMatchObject({ format_id: "mp4", ext: "mp4", protocol: "http", vcodec: null });
    expect(info.formats[0]).not.toHaveProperty("acodec");
    expect(info).not.toHaveProperty("duration");
    expect(info).not.toHaveProperty("filesize");
    await keepCapture("mp4.json", info);
  });

  it("titles a direct link after its decoded file name", async () => {
    const info = await analyse(origin.url("vietnamese"));
    expect(info).toMatchObject({ extractor: "generic", id: VIETNAMESE_TITLE, title: VIETNAMESE_TITLE });
  });

  it("finds both <source>s of the video page through its html5 embed extractor", async () => {
    const info = await analyse(origin.pageUrl("video"));
    console.log(
      "yt-dlp on the video page:",
      JSON.stringify({
        extractor_key: info.extractor_key,
        id: info.id,
        title: info.title,
        thumbnail: info.thumbnail,
        formats: info.formats.map(({ format_id, ext, protocol, url }) => ({ format_id, ext, protocol, url })),
      }),
    );
    expect(info).toMatchObject({
      _type: "video",
      extractor: "html5",
      extractor_key: "HTML5MediaEmbed",
      id: "video-1",
      title: `${VIETNAMESE_TITLE} (1)`,
      thumbnail: origin.url("thumbnail"),
      format_id: "1",
      ext: "mp4",
    });
    expect(info.formats.map(({ format_id, ext, url }) => ({ format_id, ext, url }))).toEqual([
      { format_id: "0", ext: "webm", url: origin.url("webm") },
      { format_id: "1", ext: "mp4", url: origin.url("mp4") },
    ]);
    for (const format of info.formats) {
      expect(format).toMatchObject({ protocol: "http", vcodec: null, width: null, height: null });
      expect(format.http_headers).toMatchObject({ Referer: origin.pageUrl("video") });
    }
    await keepCapture("video-page.json", info);
  });

  it("takes the HLS playlist URL as one m3u8_native format", async () => {
    const info = await analyse(origin.url("hls"));
    expect(info).toMatchObject({ extractor: "generic", id: "index", url: origin.url("hls") });
    expect(info.formats).toHaveLength(1);
    expect(info.formats[0]).toMatchObject({ format_id: "0", ext: "mp4", protocol: "m3u8_native" });
    await keepCapture("hls.json", info);
  });

  it("finds the playlist of the HLS page", async () => {
    const info = await analyse(origin.pageUrl("hls"));
    expect(info).toMatchObject({ extractor_key: "HTML5MediaEmbed", id: "hls-1" });
    expect(info.formats).toHaveLength(1);
    expect(info.formats[0]).toMatchObject({ format_id: "hls", protocol: "m3u8_native", url: origin.url("hls") });
  });

  // With -J a failure still prints the JSON "null" to stdout: only the exit code tells.
  it("fails on a page without media with 'Unsupported URL'", async () => {
    const result = await ytDlp(origin.pageUrl("novideo"));
    expect(result.code).toBe(1);
    expect(result.stdout.trim()).toBe("null");
    expect(result.stderr.trim()).toBe(`ERROR: Unsupported URL: ${origin.pageUrl("novideo")}`);
  });

  it("reports an HTTP error status of the page", async () => {
    const result = await ytDlp(`${origin.baseUrl}/status/404`);
    expect(result.code).toBe(1);
    expect(result.stdout.trim()).toBe("null");
    expect(result.stderr).toContain("ERROR: [generic] None: Unable to download webpage: HTTP Error 404: Not Found");
  });

  it("gives up on a page that never answers after --socket-timeout", async () => {
    const result = await ytDlp(`${origin.baseUrl}/hang`, ["--socket-timeout", "1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("ERROR: [generic] None: Unable to download webpage: timed out");
  });
});

interface YtDlpFormat {
  format_id: string;
  ext: string;
  protocol: string;
  url: string;
  http_headers?: Record<string, string>;
  [field: string]: unknown;
}

interface YtDlpInfo {
  _type: string;
  extractor: string;
  extractor_key: string;
  id: string;
  title: string;
  thumbnail?: string;
  formats: YtDlpFormat[];
  [field: string]: unknown;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ytDlp(url: string, extraArgs: string[] = []): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("yt-dlp", ["-J", "--ignore-config", "--no-warnings", "--no-playlist", ...extraArgs, url], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 45_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (data: string) => (stdout += data));
    child.stderr.setEncoding("utf8").on("data", (data: string) => (stderr += data));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function analyse(url: string): Promise<YtDlpInfo> {
  const result = await ytDlp(url);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as YtDlpInfo;
}

/** Writes the capture when missing or asked to; otherwise checks yt-dlp still answers the same way. */
async function keepCapture(fileName: string, info: YtDlpInfo): Promise<void> {
  const file = path.join(YTDLP_DIR, fileName);
  const scrubbed = JSON.parse(
    JSON.stringify(info).replaceAll(origin.baseUrl, ORIGIN_PLACEHOLDER).replaceAll(new URL(origin.baseUrl).host, ORIGIN_HOST_PLACEHOLDER),
  ) as YtDlpInfo;
  if (process.env.TVN_CAPTURE_YTDLP === "1" || !existsSync(file)) {
    await fs.mkdir(YTDLP_DIR, { recursive: true });
    await fs.writeFile(file, `${JSON.stringify(scrubbed, null, 2)}\n`);
    return;
  }
  const captured = JSON.parse(await fs.readFile(file, "utf8")) as YtDlpInfo;
  expect(stableFields(scrubbed)).toEqual(stableFields(captured));
}

/** What does not change between runs: yt-dlp also reports the time, a random User-Agent and file mtimes. */
function stableFields(info: YtDlpInfo) {
  return {
    _type: info._type,
    extractor_key: info.extractor_key,
    id: info.id,
    title: info.title,
    formats: info.formats.map(({ format_id, ext, protocol, url }) => ({ format_id, ext, protocol, url })),
  };
}

function segmentNames(playlist: string): string[] {
  return playlist.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A request whose path is sent exactly as given, where fetch would normalise dot segments away. */
function rawRequest(requestPath: string, method = "GET", port = origin.port): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: requestPath, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
