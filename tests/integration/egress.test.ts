/**
 * The egress policy end to end, with the real web and worker processes,
 * ALLOW_PRIVATE_NETWORKS off and EGRESS_ALLOW naming only the loopback test
 * servers that stand in for the internet. An "internal" loopback service on
 * its own port (not allowed) records every connection and request it gets:
 * every refusal below must leave it untouched, whichever way it is reached
 * (a submitted URL, a page redirect, a page's <source>, HLS segments, a media
 * URL that turns into a redirect after analysis).
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { en } from "../../app/lib/i18n/en";
import { vi } from "../../app/lib/i18n/vi";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { analyzed, createToken, type Analysis, type AnalysisFormat } from "../support/api";
import { startApp, type RunningApp } from "../support/app";
import { signedUpClient, type Client } from "../support/http";
import { waitFor } from "../support/wait";

const run = promisify(execFile);
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const METRICS_TOKEN = randomBytes(24).toString("hex");
const SECRET = `internal-secret-${randomBytes(16).toString("hex")}`;

/** A loopback HTTP server that records every connection and request it receives. */
interface RecordingServer {
  port: number;
  baseUrl: string;
  connections: number;
  requests: Array<{ method: string; url: string }>;
  close(): Promise<void>;
}

async function startRecordingServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<RecordingServer> {
  const state = { connections: 0, requests: [] as Array<{ method: string; url: string }> };
  const server = http.createServer((req, res) => {
    state.requests.push({ method: req.method ?? "", url: req.url ?? "" });
    handle(req, res);
  });
  server.on("connection", () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    requests: state.requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The whole file, or one "bytes=a-b" / "bytes=a-" range of it. */
function sendBytes(req: IncomingMessage, res: ServerResponse, bytes: Buffer, contentType: string) {
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
  const start = range ? Number(range[1]) : 0;
  const end = range && range[2] !== "" ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
  if (range && start >= bytes.length) {
    res.writeHead(416, { "Content-Range": `bytes */${bytes.length}` }).end();
    return;
  }
  const headers: http.OutgoingHttpHeaders = { "Content-Type": contentType, "Content-Length": end - start + 1, "Accept-Ranges": "bytes" };
  if (range) headers["Content-Range"] = `bytes ${start}-${end}/${bytes.length}`;
  res.writeHead(range ? 206 : 200, headers);
  res.end(req.method === "HEAD" ? undefined : bytes.subarray(start, end + 1));
}

function sendHtml(res: ServerResponse, title: string, body: string) {
  const page = `<!doctype html>\n<html><head><meta charset="utf-8"><title>${title}</title></head><body>\n${body}\n</body></html>\n`;
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": Buffer.byteLength(page) });
  res.end(page);
}

let fixtures: MediaFixtures;
let origin: Origin;
/** Not in EGRESS_ALLOW: must never be reached. */
let internal: RecordingServer;
/** In EGRESS_ALLOW: pages and playlists that point at the internal service. */
let site: RecordingServer;
let app: RunningApp;
let alice: Client & { email: string };

/** What the internal service serves: a media file other than the origin's, HLS segments, and a secret text. */
let internalMedia: Buffer;
let internalSegments: Buffer[];
/** When set, /switch.mp4 on the site answers 302 to the internal service instead of the file. */
let switchToInternal = false;

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures);
  // WebM (VP9/VP8 + Opus/Vorbis): no other fixture served here shares its bytes.
  internalMedia = readFileSync(fixtures.files.webm.file);
  const hlsDir = path.dirname(fixtures.files.hls.file);
  const segmentNames = (await fs.readdir(hlsDir)).filter((name) => name.endsWith(".ts")).sort();
  internalSegments = segmentNames.map((name) => readFileSync(path.join(hlsDir, name)));

  internal = await startRecordingServer((req, res) => {
    const pathname = (req.url ?? "/").split("?")[0];
    const segment = /^\/hls\/segment(\d{3})\.ts$/.exec(pathname);
    if (pathname === "/media.webm") return sendBytes(req, res, internalMedia, "video/webm");
    if (segment && internalSegments[Number(segment[1])]) return sendBytes(req, res, internalSegments[Number(segment[1])], "video/mp2t");
    if (pathname === "/page.html") {
      return sendHtml(res, SECRET, `<video controls><source src="/media.webm" type="video/webm"></video><p>${SECRET}</p>`);
    }
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(SECRET) }).end(SECRET);
  });

  const mp4 = readFileSync(fixtures.files.mp4.file);
  site = await startRecordingServer((req, res) => {
    const pathname = (req.url ?? "/").split("?")[0];
    switch (pathname) {
      case "/redirect-page":
        res.writeHead(302, { Location: `${internal.baseUrl}/page.html` }).end();
        return;
      case "/internal-source.html":
        return sendHtml(
          res,
          "A page whose video lives inside",
          `<h1>Inside</h1>\n<video controls width="320" height="180">\n  <source src="${internal.baseUrl}/media.webm" type="video/webm">\n</video>`,
        );
      case "/internal-segments.m3u8": {
        const playlist = [
          "#EXTM3U",
          "#EXT-X-VERSION:3",
          "#EXT-X-TARGETDURATION:1",
          "#EXT-X-MEDIA-SEQUENCE:0",
          "#EXT-X-PLAYLIST-TYPE:VOD",
          ...internalSegments.flatMap((_, i) => ["#EXTINF:1.000000,", `${internal.baseUrl}/hls/segment${String(i).padStart(3, "0")}.ts`]),
          "#EXT-X-ENDLIST",
          "",
        ].join("\n");
        res.writeHead(200, { "Content-Type": "application/vnd.apple.mpegurl", "Content-Length": Buffer.byteLength(playlist) });
        res.end(req.method === "HEAD" ? undefined : playlist);
        return;
      }
      case "/switch.mp4":
        if (switchToInternal) {
          res.writeHead(302, { Location: `${internal.baseUrl}/media.webm` }).end();
          return;
        }
        return sendBytes(req, res, mp4, "video/mp4");
      default:
        res.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found\n");
    }
  });

  app = await startApp({
    env: {
      ALLOW_PRIVATE_NETWORKS: "false",
      EGRESS_ALLOW: `127.0.0.1:${origin.port},127.0.0.1:${site.port}`,
      METRICS_TOKEN,
      MAX_PENDING_ANALYSES: "20",
      MAX_TOKENS_PER_USER: "50",
      MAX_TOKENS_PER_HOUR: "100",
      FREE_TIER_DAILY: "100",
      MAX_CONCURRENT_STREAMS: "20",
      // One attempt: a refusal is final anyway, and nothing here should need a retry.
      ANALYSIS_ATTEMPTS: "1",
    },
  });
  alice = await signedUpClient(app.baseUrl, "egress");
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([origin?.close(), internal?.close(), site?.close()]);
});

/** The internal service saw nothing at all: no TCP connection, no request. */
function expectInternalUntouched() {
  expect(internal.requests).toEqual([]);
  expect(internal.connections).toBe(0);
}

type AnalysisView = { requestId: string; status: string; error?: { code: string; message: string } | null; result?: Analysis["result"] | null };

async function submit(url: string) {
  const response = await alice.request("/api/streaming/analyze", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ url }),
  });
  return { status: response.status, body: (await response.json()) as { requestId?: string; status?: string; error?: { code: string; message: string } } };
}

/** Submits a URL the submit endpoint accepts and waits for the analysis to end, completed or failed. */
async function settled(url: string): Promise<AnalysisView> {
  const submitted = await submit(url);
  expect(submitted.status, JSON.stringify(submitted.body)).toBeLessThan(300);
  const requestId = submitted.body.requestId!;
  return waitFor(
    async () => {
      const view = (await (await alice.request(`/api/streaming/analyze/${requestId}`)).json()) as AnalysisView;
      return view.status === "completed" || view.status === "failed" ? view : null;
    },
    { timeoutMs: 45_000, intervalMs: 200, message: `analysis of ${url} did not end` },
  );
}

type Download = { status: number; code: string | null; body: Buffer; broken: string | null };

/** GETs a download link to the end; a transfer cut midway is reported as `broken` with what arrived before. */
async function download(streamUrl: string): Promise<Download> {
  const response = await fetch(`${app.baseUrl}${streamUrl}`);
  const chunks: Buffer[] = [];
  let broken: string | null = null;
  try {
    const reader = response.body?.getReader();
    for (;;) {
      const read = await reader?.read();
      if (!read || read.done) break;
      chunks.push(Buffer.from(read.value));
    }
  } catch (err) {
    broken = String(err);
  }
  return { status: response.status, code: response.headers.get("x-error-code"), body: Buffer.concat(chunks), broken };
}

async function linkFor(requestId: string, format: AnalysisFormat) {
  const { status, body } = await createToken(alice, requestId, format.id);
  expect(status, JSON.stringify(body)).toBe(201);
  return body.streamUrl;
}

async function tmpFile(name: string, bytes: Buffer) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tvn-egress-"));
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes);
  return file;
}

/** sha256 of a file's audio packets as ffmpeg demuxes them (container-independent: a remux keeps them). */
async function audioPacketsSha256(file: string, extra: string[] = []) {
  const { stdout } = await run("ffmpeg", ["-v", "error", "-i", file, "-map", "0:a", "-c", "copy", ...extra, "-f", "hash", "-hash", "sha256", "-"]);
  return stdout.trim();
}

/**
 * Whether a body carries any of the internal service's bytes: its secret, or
 * any 32-byte window of its media taken from the middle of the files (a
 * remux copies compressed payloads verbatim, so the windows would survive).
 */
function carriesInternalBytes(body: Buffer): boolean {
  if (body.includes(SECRET)) return true;
  const sources = [internalMedia, ...internalSegments];
  for (const source of sources) {
    for (let at = 1024; at + 32 <= source.length; at += 997) {
      const window = source.subarray(at, at + 32);
      // Skip padding and stuffing: only windows that look like compressed data identify the file.
      if (new Set(window).size < 20) continue;
      if (body.includes(window)) return true;
    }
  }
  return false;
}

describe("allowed origins still work end to end", () => {
  it("analyses the origin's video page and a direct mp4, and downloads them byte for byte (direct path)", async () => {
    const page = await analyzed(alice, origin.pageUrl("video"));
    const mp4OnPage = page.result.formats.find((f) => !f.derived && f.ext === "mp4" && f.delivery === "direct");
    expect(mp4OnPage, JSON.stringify(page.result.formats)).toBeDefined();
    const fromPage = await download(await linkFor(page.requestId, mp4OnPage!));
    expect(fromPage).toMatchObject({ status: 200, broken: null });
    expect(sha256(fromPage.body)).toBe(fixtures.files.mp4.sha256);

    const direct = await analyzed(alice, origin.url("mp4"));
    const format = direct.result.formats.find((f) => !f.derived && f.delivery === "direct")!;
    expect(format).toBeDefined();
    const got = await download(await linkFor(direct.requestId, format));
    expect(got).toMatchObject({ status: 200, broken: null });
    expect(got.body.length).toBe(fixtures.files.mp4.size);
    expect(sha256(got.body)).toBe(fixtures.files.mp4.sha256);
    expectInternalUntouched();
  });

  it("serves the derived audio through the pipe path (ffmpeg via the egress proxy): the origin's AAC packets, unchanged", async () => {
    const analysis = await analyzed(alice, origin.url("mp4"));
    const audio = analysis.result.formats.find((f) => f.derived === "audio" && f.delivery === "pipe")!;
    expect(audio, JSON.stringify(analysis.result.formats)).toBeDefined();
    const got = await download(await linkFor(analysis.requestId, audio));
    expect(got).toMatchObject({ status: 200, broken: null });
    const file = await tmpFile("audio.m4a", got.body);
    expect(await audioPacketsSha256(file)).toBe(await audioPacketsSha256(fixtures.files.mp4.file));
    expectInternalUntouched();
  });

  it("remuxes the origin's HLS stream through the pipe path, every segment fetched via the egress proxy", async () => {
    const analysis = await analyzed(alice, origin.url("hls"));
    const hls = analysis.result.formats.find((f) => !f.derived && f.delivery === "pipe")!;
    expect(hls, JSON.stringify(analysis.result.formats)).toBeDefined();
    const got = await download(await linkFor(analysis.requestId, hls));
    expect(got).toMatchObject({ status: 200, broken: null });
    const file = await tmpFile("hls.mp4", got.body);
    // The MPEG-TS segments carry ADTS AAC; the MP4 holds the same frames without the ADTS headers.
    expect(await audioPacketsSha256(file)).toBe(await audioPacketsSha256(fixtures.files.hls.file, ["-bsf:a", "aac_adtstoasc"]));
    // The internal service serves these very segments: the byte check the refusals rely on recognises them in a remux.
    expect(carriesInternalBytes(got.body)).toBe(true);
    expectInternalUntouched();
  });
});

/** A blocked analysis of alice's, for the page test. */
let blockedRequestId: string | undefined;

describe("refusals reach nothing inside", () => {
  it("fails the analysis of an allowed page that redirects (302) to the internal service with blocked_address", async () => {
    const before = site.requests.length;
    const view = await settled(`${site.baseUrl}/redirect-page`);
    expect(view.status).toBe("failed");
    expect(view.error?.code).toBe("blocked_address");
    // The allowed hop was really fetched: the refusal happened on the redirect.
    expect(site.requests.slice(before).map((r) => r.url)).toContain("/redirect-page");
    blockedRequestId = view.requestId;
    expectInternalUntouched();
  });

  it("fails the analysis of a page whose only <source> is on the internal service with blocked_address (nothing, ffprobe included, reaches it)", async () => {
    const view = await settled(`${site.baseUrl}/internal-source.html`);
    expect(view.status).toBe("failed");
    expect(view.error?.code).toBe("blocked_address");
    expectInternalUntouched();
  });

  it("never fetches HLS segments listed on the internal service, and the client gets none of their bytes", async () => {
    const view = await settled(`${site.baseUrl}/internal-segments.m3u8`);
    if (view.status === "failed") {
      expect(view.error?.code).toBe("blocked_address");
    } else {
      const format = view.result!.formats.find((f) => !f.derived && f.delivery === "pipe");
      expect(format, JSON.stringify(view.result)).toBeDefined();
      const got = await download(await linkFor(view.requestId, format!));
      // Refused before the first byte (no body at all), or cut off: never a complete 2xx download.
      expect(got.status >= 400 || got.broken !== null, `status ${got.status}, ${got.body.length} bytes`).toBe(true);
      if (got.status >= 400) expect(got.body.length).toBe(0);
      expect(carriesInternalBytes(got.body)).toBe(false);
    }
    expectInternalUntouched();
  });

  it("refuses a media URL that turns into a 302 to the internal service after the analysis (direct and pipe paths)", async () => {
    switchToInternal = false;
    const analysis = await analyzed(alice, `${site.baseUrl}/switch.mp4`);
    const direct = analysis.result.formats.find((f) => !f.derived && f.delivery === "direct")!;
    const audio = analysis.result.formats.find((f) => f.derived === "audio")!;
    expect(direct, JSON.stringify(analysis.result.formats)).toBeDefined();
    expect(audio).toBeDefined();
    const directLink = await linkFor(analysis.requestId, direct);
    const audioLink = await linkFor(analysis.requestId, audio);

    switchToInternal = true;
    try {
      const refused = await download(directLink);
      expect(refused).toMatchObject({ status: 403, code: "blocked_address" });
      expect(refused.body.length).toBe(0);

      const piped = await download(audioLink);
      expect(piped.status >= 400 || piped.broken !== null, `status ${piped.status}, ${piped.body.length} bytes`).toBe(true);
      expect(carriesInternalBytes(piped.body)).toBe(false);
    } finally {
      switchToInternal = false;
    }
    // The site was asked again and answered the redirect; the redirect was not followed.
    expect(site.requests.filter((r) => r.url === "/switch.mp4").length).toBeGreaterThan(1);
    expectInternalUntouched();
  });

  it("refuses every spelling of the internal address at submit time with 422 blocked_address", async () => {
    const port = internal.port;
    const spellings = [
      `http://127.0.0.1:${port}/`,
      `http://2130706433:${port}/`,
      `http://0x7f.1:${port}/`,
      `http://127.1:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://[::127.0.0.1]:${port}/`,
      `http://localhost.:${port}/`,
      `http://[64:ff9b::7f00:1]:${port}/`,
    ];
    const answers = [];
    for (const url of spellings) {
      const { status, body } = await submit(url);
      answers.push({ url, status, code: body.error?.code });
    }
    expect(answers).toEqual(spellings.map((url) => ({ url, status: 422, code: "blocked_address" })));
    expectInternalUntouched();
  });
});

describe("what operators and users see", () => {
  it("counts the refusals in tvn_egress_blocked_total, by reason, for the web process and the worker", async () => {
    const instanceOf = (pid: number | undefined) => `${os.hostname()}:${pid}`;
    const web = instanceOf(app.web.pid);
    const worker = instanceOf(app.worker?.pid);
    /** reason → value, for one process' series. */
    const series = (text: string, instance: string) => {
      const values = new Map<string, number>();
      for (const line of text.split("\n")) {
        const match = /^tvn_egress_blocked_total\{([^}]*)\} (\S+)$/.exec(line);
        if (!match) continue;
        const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
        if (labels.instance === instance && labels.reason) values.set(labels.reason, Number(match[2]));
      }
      return values;
    };
    let text = "";
    // Each process publishes its metrics to Redis every 5 s.
    await waitFor(
      async () => {
        const response = await fetch(`${app.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
        expect(response.status).toBe(200);
        text = await response.text();
        const fromWeb = series(text, web);
        const fromWorker = series(text, worker);
        return ["loopback", "mapped_private", "compat_private", "nat64_private"].every((reason) => (fromWeb.get(reason) ?? 0) > 0) &&
          [...fromWorker.values()].some((v) => v > 0)
          ? true
          : null;
      },
      {
        timeoutMs: 20_000,
        intervalMs: 500,
        message: () =>
          `tvn_egress_blocked_total not as expected:\n${text
            .split("\n")
            .filter((l) => l.includes("egress"))
            .join("\n")}`,
      },
    );
    expect(text).toMatch(/^# TYPE tvn_egress_blocked_total counter$/m);
    // The 8 spellings were refused by the web process, at least 5 of them as loopback.
    expect(series(text, web).get("loopback")).toBeGreaterThanOrEqual(5);
    // The worker's refusals (proxy and format checks) are loopback addresses too.
    expect(series(text, worker).get("loopback")).toBeGreaterThan(0);
    expectInternalUntouched();
  });

  it("explains a blocked analysis on its page, in Vietnamese and in English", async () => {
    blockedRequestId ??= (await settled(`${site.baseUrl}/redirect-page`)).requestId;
    const page = async (language: string) => {
      const response = await alice.request(`/analyze/${blockedRequestId}`, { headers: { "Accept-Language": language, Accept: "text/html" } });
      expect(response.status).toBe(200);
      return response.text();
    };
    const inVietnamese = await page("vi-VN,vi;q=0.9");
    expect(inVietnamese).toContain('data-status="failed"');
    expect(inVietnamese).toContain(vi["error.blocked_address"]);
    expect(inVietnamese).not.toContain(en["error.blocked_address"]);
    const inEnglish = await page("en-US,en;q=0.9");
    expect(inEnglish).toContain(en["error.blocked_address"]);
    expect(inEnglish).not.toContain(vi["error.blocked_address"]);
    expectInternalUntouched();
  });
});
