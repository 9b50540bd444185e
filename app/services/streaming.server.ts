import { spawn, type ChildProcess } from "node:child_process";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { PassThrough, pipeline, Transform, type Readable } from "node:stream";
import { remember } from "@epic-web/remember";
import { create as contentDisposition } from "content-disposition";
import { eq } from "drizzle-orm";
import { config } from "~/config.server";
import { db } from "~/db/client.server";
import { analysisRequests, type StreamToken } from "~/db/schema";
import { asciiFallback, downloadFileName } from "~/lib/file-name";
import { normaliseInfo, type FormatSource, type MediaFormat } from "~/lib/formats";
import type { ServerToClientEvents, StreamProgress } from "~/lib/socket-events";
import { ApiError } from "./api.server";
import { trackActiveStream, untrackActiveStream, type ActiveStreamEntry } from "./active-streams.server";
import { logger } from "./logger.server";
import { countStream } from "./metrics.server";
import { responseFromNodeStream } from "./node-body.server";
import { claimStreamSlot, releaseStreamSlot, renewStreamSlot, SLOT_RENEW_MS } from "./stream-slots.server";
import { recordStreamEnd, verifyStreamToken } from "./stream-tokens.server";
import { assertPublicUrl } from "./url-guard.server";
import { fetchVideoInfo } from "./ytdlp.server";

export type EmitToUser = <E extends keyof ServerToClientEvents>(userId: string, event: E, ...args: Parameters<ServerToClientEvents[E]>) => void;

const CONTENT_TYPES: Record<string, string> = {
  mp4: "video/mp4",
  m4v: "video/mp4",
  webm: "video/webm",
  mkv: "video/x-matroska",
  mov: "video/quicktime",
  flv: "video/x-flv",
  ts: "video/mp2t",
  "3gp": "video/3gpp",
  m4a: "audio/mp4",
  mp3: "audio/mpeg",
  opus: "audio/ogg",
  ogg: "audio/ogg",
  weba: "audio/webm",
  aac: "audio/aac",
  flac: "audio/flac",
  wav: "audio/wav",
};

/** Streams running in this process, by token id, so a revoke elsewhere can stop them. */
const running = remember("running-streams", () => new Map<string, Set<(reason: Error) => void>>());

export function abortStreamsForToken(tokenId: string) {
  for (const stop of running.get(tokenId) ?? []) stop(new Error("token revoked"));
}

/**
 * `attachment` with an ASCII fallback and an RFC 5987 `filename*` (browsers
 * use the latter). curl -J and Wget ignore `filename*`, so for them the plain
 * `filename` carries the UTF-8 bytes of the real name instead of the fallback.
 */
export function dispositionFor(name: string, userAgent: string | null) {
  const standard = contentDisposition(name, { fallback: asciiFallback(name) });
  if (!/^(curl|Wget)\//i.test(userAgent ?? "")) return standard;
  const utf8 = Buffer.from(name.replace(/["\\]/g, "_"), "utf8").toString("latin1");
  return standard.replace(/filename="(?:[^"\\]|\\.)*"|filename=[^;]+/, `filename="${utf8}"`);
}

type Upstream = { status: number; headers: Record<string, string>; body: Readable; kill?: () => void };

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

function get(url: string, headers: Record<string, string>, signal: AbortSignal) {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const target = new URL(url);
    const transport = target.protocol === "https:" ? https : http;
    const req = transport.get(target, { headers, agent: target.protocol === "https:" ? agents.https : agents.http, signal, timeout: 20_000 }, resolve);
    req.on("timeout", () => req.destroy(new Error("upstream timed out")));
    req.on("error", reject);
  });
}

class UpstreamError extends Error {
  constructor(
    readonly status: number,
    readonly retryable: boolean,
  ) {
    super(`upstream answered ${status}`);
  }
}

/** One upstream GET, following redirects itself so every hop passes the SSRF guard. */
async function fetchUpstream(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
  let current = url;
  for (let hop = 0; hop < 5; hop++) {
    await assertPublicUrl(current);
    const res = await get(current, headers, signal);
    const location = res.headers.location;
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
      res.resume();
      current = new URL(location, current).toString();
      continue;
    }
    if (res.statusCode === 200 || res.statusCode === 206 || res.statusCode === 416) return res;
    res.resume();
    const status = res.statusCode ?? 502;
    throw new UpstreamError(status, status >= 500 || status === 429);
  }
  throw new UpstreamError(508, false);
}

/** The format's upstream again from yt-dlp: signed media URLs expire. */
async function reResolve(analysisId: string, pageUrl: string, formatId: string): Promise<FormatSource | null> {
  const { sources } = normaliseInfo(await fetchVideoInfo(pageUrl));
  const [row] = await db.select({ sources: analysisRequests.sources }).from(analysisRequests).where(eq(analysisRequests.id, analysisId));
  await db.update(analysisRequests).set({ sources: { ...(row?.sources ?? {}), ...sources } }).where(eq(analysisRequests.id, analysisId));
  return sources[formatId] ?? null;
}

async function openDirect(token: StreamToken, source: FormatSource, request: Request, signal: AbortSignal): Promise<Upstream> {
  const headers: Record<string, string> = { ...source.headers, "Accept-Encoding": "identity" };
  for (const name of ["range", "if-range"]) {
    const value = request.headers.get(name);
    if (value) headers[name] = value;
  }
  let url = source.url;
  let reResolved = false;
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetchUpstream(url, headers, signal);
      const passed: Record<string, string> = {};
      for (const name of ["content-length", "content-range", "etag", "last-modified"]) {
        const value = res.headers[name];
        if (typeof value === "string") passed[name] = value;
      }
      return { status: res.statusCode!, headers: passed, body: res };
    } catch (err) {
      if (signal.aborted) throw err;
      const expired = err instanceof UpstreamError && (err.status === 403 || err.status === 410);
      if (expired && !reResolved) {
        reResolved = true;
        const fresh = await reResolve(token.analysisId, token.sourceUrl, token.formatId).catch(() => null);
        if (fresh) {
          url = fresh.url;
          Object.assign(headers, fresh.headers);
          continue;
        }
      }
      const retryable = !(err instanceof UpstreamError) || err.retryable;
      if (!retryable || attempt >= config.STREAM_RETRIES) {
        logger.warn({ err: (err as Error).message, tokenId: token.id }, "upstream failed before the first byte");
        throw new ApiError(502, "upstream_failed", "The video site did not deliver the file. Try again in a moment.");
      }
      await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
    }
  }
}

function headerArgs(source: FormatSource) {
  const headers = Object.entries(source.headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  return headers ? ["-headers", headers] : [];
}

// MPEG-TS (HLS) carries ADTS AAC, which MP4 cannot hold as is; the filter is a no-op for other AAC.
const FRAGMENTED_MP4 = ["-bsf:a", "aac_adtstoasc", "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof"];

/** The command that writes this format to stdout: ffmpeg for HLS, merges and audio; yt-dlp for the rest. */
function pipeCommand(format: MediaFormat, formats: MediaFormat[], sources: Record<string, FormatSource>, pageUrl: string): { command: string; args: string[] } {
  const ffmpeg = (inputs: FormatSource[], output: string[]) => ({
    command: config.FFMPEG_PATH,
    args: [
      "-hide_banner",
      "-loglevel", "error",
      "-nostdin",
      ...inputs.flatMap((s) => ["-protocol_whitelist", "http,https,tcp,tls,crypto", ...headerArgs(s), "-i", s.url]),
      ...output,
      "pipe:1",
    ],
  });
  const [videoId, audioId] = format.selector.split("+");
  if (format.derived === "best" && sources[videoId] && sources[audioId]) {
    const container = format.ext === "mp4" ? FRAGMENTED_MP4 : ["-f", "matroska"];
    return ffmpeg([sources[videoId], sources[audioId]], ["-map", "0:v:0", "-map", "1:a:0", "-c", "copy", ...container]);
  }
  if (format.derived === "audio" && sources[format.selector]) {
    // Copy AAC as it is; anything else (Opus, Vorbis…) is encoded to AAC for M4A.
    const sourceCodec = formats.find((f) => f.id === format.selector)?.acodec ?? "";
    const aac = /^(mp4a|aac)/i.test(sourceCodec);
    const codec = aac ? ["-c:a", "copy"] : ["-c:a", "aac", "-b:a", "192k"];
    const output = aac ? FRAGMENTED_MP4 : FRAGMENTED_MP4.slice(2);
    return ffmpeg([sources[format.selector]], ["-map", "0:a:0", "-vn", ...codec, ...output]);
  }
  if (format.protocol.startsWith("m3u8") && sources[format.id]) {
    return ffmpeg([sources[format.id]], ["-map", "0:v?", "-map", "0:a?", "-c", "copy", ...FRAGMENTED_MP4]);
  }
  return {
    command: config.YTDLP_PATH,
    args: ["--ignore-config", "--no-warnings", "--no-playlist", "--quiet", "--no-part", "-f", format.selector, "-o", "-", "--", pageUrl],
  };
}

function stopChild(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  setTimeout(() => child.kill("SIGKILL"), 2_000).unref();
}

/**
 * The pipe path: the child writes to stdout, never a file. Its output goes
 * out only once its first bytes exist (a child that fails at once gets a 502
 * JSON answer instead of a broken download), and the end of the body waits
 * for its exit code: a child that fails midway aborts the connection, so the
 * client never sees a short file that looks complete.
 */
async function openPipe(format: MediaFormat, formats: MediaFormat[], sources: Record<string, FormatSource>, pageUrl: string, signal: AbortSignal): Promise<Upstream> {
  const { command, args } = pipeCommand(format, formats, sources, pageUrl);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const onAbort = () => stopChild(child);
  signal.addEventListener("abort", onAbort, { once: true });
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  child.once("error", () => {});

  // A source that never starts is given up on, like one that fails.
  const patience = setTimeout(() => stopChild(child), 30_000);
  const first = await Promise.race([
    new Promise<Buffer>((resolve) =>
      child.stdout!.once("data", (chunk: Buffer) => {
        child.stdout!.pause();
        resolve(chunk);
      }),
    ),
    exited.then(() => null),
  ]);
  clearTimeout(patience);
  if (!first) {
    logger.warn({ command, stderr: stderr.trim().split("\n").pop() }, "pipe failed before the first byte");
    throw new ApiError(502, "upstream_failed", "The video could not be converted for download. Try another format.");
  }

  const body = new PassThrough({ highWaterMark: config.STREAM_BUFFER_SIZE });
  body.write(first);
  child.stdout!.pipe(body, { end: false });
  void exited.then((code) => {
    signal.removeEventListener("abort", onAbort);
    // At -loglevel error, anything on stderr is an error, even when ffmpeg still exits 0.
    if (code === 0 && !(command === config.FFMPEG_PATH && stderr.trim())) body.end();
    else body.destroy(new Error(`${command} exited with ${code}: ${stderr.trim().split("\n").pop() ?? ""}`));
  });
  // The client went away or the token was revoked: stop the child as well.
  body.once("close", () => stopChild(child));
  const headers: Record<string, string> = format.filesize ? { "x-content-length-estimate": String(format.filesize) } : {};
  return { status: 200, headers, body, kill: () => stopChild(child) };
}

/**
 * The body as sent: counts bytes and reports bytes, speed and ETA at most
 * twice a second. A Transform (not a 'data'
 * listener) so nothing flows before the response is being written, and
 * backpressure from the client reaches the source.
 */
function countedBody({ source, total, tokenId, onProgress }: { source: Readable; total: number | null; tokenId: string; onProgress: (progress: StreamProgress) => void }) {
  let bytes = 0;
  let lastEmit = 0;
  let lastBytes = 0;
  let speed = 0;
  const report = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastEmit < 500) return;
    // The first report has no interval behind it: speed stays unknown until the second.
    const seconds = lastEmit ? (now - lastEmit) / 1000 : 0;
    if (seconds > 0) speed = Math.round((bytes - lastBytes) / seconds);
    lastEmit = now;
    lastBytes = bytes;
    const eta = total && speed > 0 ? Math.max(0, Math.round((total - bytes) / speed)) : null;
    onProgress({ tokenId, bytes, total, speed, eta, sentAt: now });
  };
  const body = new Transform({
    highWaterMark: config.STREAM_BUFFER_SIZE,
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      report(false);
      callback(null, chunk);
    },
  });
  // Errors travel both ways: a failing source aborts the response, a departed client stops the source.
  pipeline(source, body, () => {});
  return { body, bytes: () => bytes, flush: () => report(true) };
}

/**
 * GET /api/streaming/stream/:token. Sends nothing but an error until the
 * token checks out and a concurrent-stream slot is claimed; then proxies the
 * upstream file (direct, with Range) or pipes the converter's output.
 */
export async function openStream({ token, request, clientIp, emit }: { token: string; request: Request; clientIp: string; emit: EmitToUser }): Promise<Response> {
  const row = await verifyStreamToken(token, { ip: clientIp, userAgent: request.headers.get("User-Agent") });
  const [analysis] = await db.select().from(analysisRequests).where(eq(analysisRequests.id, row.analysisId)).limit(1);
  const format = analysis?.result?.formats.find((f) => f.id === row.formatId);
  if (!analysis || !format) throw new ApiError(410, "format_gone", "The analysis behind this link no longer exists.");
  const sources = analysis.sources ?? {};

  const streamId = `${row.id}:${crypto.randomUUID()}`;
  if (!(await claimStreamSlot(row.userId, streamId).catch(() => null))) {
    throw new ApiError(429, "too_many_streams", `At most ${config.MAX_CONCURRENT_STREAMS} downloads can run at once. Wait for one to finish.`, { "Retry-After": "5" });
  }

  // The client may leave while the upstream is being opened. After that the
  // body alone tracks it: the server destroys the body when the client goes,
  // which stops the source. (request.signal is not watched past this point:
  // undici aborts a Request's signal when the Request is garbage-collected.)
  const controller = new AbortController();
  const onClientAbort = () => controller.abort();
  request.signal.addEventListener("abort", onClientAbort, { once: true });
  let upstream: Upstream;
  try {
    if (row.delivery === "direct" && sources[format.id]) upstream = await openDirect(row, sources[format.id], request, controller.signal);
    else upstream = await openPipe(format, analysis.result!.formats, sources, analysis.url, controller.signal);
  } catch (err) {
    await releaseStreamSlot(row.userId, streamId).catch(() => {});
    if (controller.signal.aborted) {
      await countStream({ outcome: "aborted", bytes: 0 });
      throw new ApiError(499, "client_closed", "The client went away.");
    }
    await countStream({ outcome: "failed", reason: err instanceof ApiError ? err.code : "internal_error", bytes: 0, title: row.title });
    throw err;
  } finally {
    request.signal.removeEventListener("abort", onClientAbort);
  }

  const total = upstream.headers["content-length"] ? Number(upstream.headers["content-length"]) : format.filesize;
  const entry: ActiveStreamEntry = { streamId, tokenId: row.id, userId: row.userId, title: row.title, formatId: row.formatId, delivery: row.delivery, bytes: 0, total, speed: 0, startedAt: new Date().toISOString() };
  void trackActiveStream(entry);
  const progress = countedBody({
    source: upstream.body,
    total,
    tokenId: row.id,
    onProgress: (report) => {
      emit(row.userId, "stream:progress", report);
      entry.bytes = report.bytes;
      entry.speed = report.speed;
      void trackActiveStream(entry);
    },
  });
  const { body } = progress;
  const renew = setInterval(() => {
    void renewStreamSlot(row.userId, streamId).catch(() => {});
    void trackActiveStream(entry);
  }, SLOT_RENEW_MS);
  const stops = running.get(row.id) ?? new Set();
  const stop = (reason: Error) => body.destroy(reason);
  stops.add(stop);
  running.set(row.id, stops);

  let outcome: "completed" | "aborted" | "failed" | null = null;
  body.once("end", () => (outcome ??= "completed"));
  body.once("error", (err) => (outcome ??= err.message === "token revoked" || (err as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE" ? "aborted" : "failed"));
  body.once("close", () => {
    clearInterval(renew);
    stops.delete(stop);
    if (!stops.size) running.delete(row.id);
    upstream.kill?.();
    const status = outcome ?? "aborted";
    progress.flush();
    emit(row.userId, "stream:end", { tokenId: row.id, status, bytes: progress.bytes() });
    void Promise.all([
      releaseStreamSlot(row.userId, streamId),
      untrackActiveStream(streamId),
      recordStreamEnd({ tokenId: row.id, bytes: progress.bytes() }),
      countStream({ outcome: status, reason: status === "failed" ? "upstream_error" : undefined, bytes: progress.bytes(), title: row.title }),
    ]).catch((err) => logger.warn({ err: (err as Error).message }, "could not record a stream's end"));
  });

  const headers = new Headers({
    "Content-Type": CONTENT_TYPES[format.ext] ?? "application/octet-stream",
    "Content-Disposition": dispositionFor(downloadFileName(row.title, format.ext), request.headers.get("User-Agent")),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  if (row.delivery === "direct") headers.set("Accept-Ranges", "bytes");
  for (const [name, value] of Object.entries(upstream.headers)) headers.set(name, value);
  return responseFromNodeStream(body, { status: upstream.status, headers });
}

/** A refused download: the code in headers and no body, or a short page for a browser tab. */
export function refusedDownload(request: Request, err: ApiError): Response {
  const headers = new Headers({ ...err.headers, "Cache-Control": "no-store", "X-Error-Code": err.code, "X-Error-Message": asciiFallback(err.message) });
  if (!(request.headers.get("Accept") ?? "").includes("text/html")) return new Response(null, { status: err.status, headers });
  headers.set("Content-Type", "text/html; charset=utf-8");
  const message = err.message.replace(/[<>&"]/g, "");
  return new Response(
    `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Download unavailable</title><body style="font-family:system-ui;max-width:32rem;margin:4rem auto;padding:0 1rem"><h1>Download unavailable</h1><p>${message}</p><p><a href="/">Back to Tải Video Nhanh</a></p>`,
    { status: err.status, headers },
  );
}
