import { getAnalysisRecord, type AnalysisRequest } from "~/analysis/index.server";
import { config } from "~/config.server";
import { downloadFileName } from "~/lib/file-name";
import { subtitleSourceKey, type MediaFormat } from "~/lib/formats";
import { SUBTITLES_FORMAT } from "~/lib/media-options";
import type { EmitToUser, StreamOutcome } from "~/lib/socket-events";
import { AppError, logger, UnavailableError } from "~/platform/index.server";
import { responseFromNodeStream } from "~/web/index.server";
import { clearOwnStaleEntries, trackActiveStream, untrackActiveStream, type ActiveStreamEntry } from "./active-streams.server";
import { countStream } from "./counters.server";
import { openDirect, type Upstream } from "./direct.server";
import { openMedia, openSubtitles } from "./media.server";
import { isConvertedAudio } from "./media-plan.server";
import { openPipe } from "./pipe.server";
import { handOffHeaders, offloadRequested, recordHandOff } from "./offload.server";
import { openPlaylistZip } from "./playlist-zip.server";
import { countedBody } from "./progress.server";
import { CONTENT_TYPES, dispositionFor } from "./responses.server";
import { claimStreamSlot, clearOwnStaleSlots, instanceSlotPrefix, releaseStreamSlot, renewStreamSlot, SLOT_RENEW_MS, streamIdFor } from "./slots.server";
import type { StreamToken } from "./tables";
import { recordStreamEnd, verifyStreamToken } from "./tokens.server";

/** Streams running in this process, by token id, so a revoke elsewhere can stop them. */
const running = new Map<string, Set<(reason: Error) => void>>();
/** The bookkeeping of streams that ended (slot, bytes, counters), so a shutdown can wait for it. */
const endings = new Set<Promise<unknown>>();
/** Keeps one such record in `endings` until it is written. */
function awaitedAtShutdown(ending: Promise<unknown>) {
  endings.add(ending);
  void ending.finally(() => endings.delete(ending));
}
let draining = false;

class StreamStop extends Error {
  constructor(readonly outcome: Extract<StreamOutcome, "aborted" | "interrupted">) {
    super(outcome === "aborted" ? "token revoked" : "server shutting down");
  }
}

export function abortStreamsForToken(tokenId: string) {
  for (const stop of running.get(tokenId) ?? []) stop(new StreamStop("aborted"));
}

/**
 * Graceful drain (SIGTERM): new downloads are refused with 503, running ones
 * get `graceMs` to finish, then the rest end as `interrupted` — bytes
 * recorded, slots released — before this resolves.
 */
export async function drainStreams(graceMs: number) {
  draining = true;
  const deadline = Date.now() + graceMs;
  while (running.size && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  const left = [...running.values()].flatMap((stops) => [...stops]);
  if (left.length) logger.info({ streams: left.length }, "interrupting downloads still running at shutdown");
  for (const stop of left) stop(new StreamStop("interrupted"));
  await Promise.all(endings);
}

type Transfer = {
  row: StreamToken;
  /** Null for what is not one of the analysis's formats: a playlist ZIP, a subtitle file. */
  format: MediaFormat | null;
  analysis: AnalysisRequest;
  streamId: string;
  request: Request;
  emit: EmitToUser;
};

/**
 * GET /api/streaming/stream/:token[/:name]. Sends nothing but an error until
 * the token checks out and a concurrent-stream slot is claimed (parallel
 * connections on one link share the link's slot); then proxies the
 * upstream file (direct, with Range) or pipes the converter's output. Once
 * claimed, the slot is released on every path that does not hand it to a
 * running body (which releases it when it closes).
 */
export async function openStream({
  token,
  request,
  clientIp,
  emit,
}: {
  token: string;
  request: Request;
  clientIp: string;
  emit: EmitToUser;
}): Promise<Response> {
  if (draining) throw new UnavailableError("service_unavailable", "This server is restarting. Please try again in a few seconds.");
  const row = await verifyStreamToken(token, { ip: clientIp, userAgent: request.headers.get("User-Agent") });
  const analysis = await getAnalysisRecord(row.analysisId);
  const format = analysis?.result?.formats.find((f) => f.id === row.formatId) ?? null;
  const knownWithoutFormat = !!row.options?.entries || row.formatId === SUBTITLES_FORMAT;
  if (!analysis || (!format && !knownWithoutFormat)) throw new AppError("gone", "format_gone", "The analysis behind this link no longer exists.");

  // A HEAD (curl -I, wget --spider, download managers probing) is described, never transferred:
  // no slot, no upstream, no child process (Remix drops a HEAD's body unread).
  if (request.method === "HEAD") return new Response(null, { status: 200, headers: describe(row, request) });

  const streamId = streamIdFor(row.id);
  const claim = await claimStreamSlot(row.userId, row.id, streamId, row.delivery === "direct" ? config.MAX_CONNECTIONS_PER_LINK : 1).catch((err: unknown) => {
    throw new UnavailableError("service_unavailable", "Download limits cannot be checked right now. Please try again shortly.", { cause: err });
  });
  if (claim === "too_many_streams") {
    throw new AppError("limited", "too_many_streams", `At most ${config.MAX_CONCURRENT_STREAMS} downloads can run at once. Wait for one to finish.`, {
      retryAfterSeconds: 5,
    });
  }
  if (claim === "too_many_connections") {
    const most = row.delivery === "direct" ? config.MAX_CONNECTIONS_PER_LINK : 1;
    throw new AppError("limited", "too_many_connections", `A download link can have at most ${most} connection${most === 1 ? "" : "s"} open at once.`, {
      retryAfterSeconds: 5,
    });
  }
  try {
    return await startTransfer({ row, format, analysis, streamId, request, emit });
  } catch (err) {
    await releaseStreamSlot(row.userId, streamId).catch((reason: unknown) =>
      logger.warn({ err: reason }, "could not release a stream slot; it lapses by itself"),
    );
    const aborted = err instanceof AppError && err.kind === "client_closed";
    await countStream(
      aborted
        ? { outcome: "aborted", bytes: 0 }
        : { outcome: "failed", reason: err instanceof AppError ? err.code : "internal_error", bytes: 0, title: row.title },
    );
    throw err;
  }
}

/** What a download is, before any byte: its type, its file name, whether it can be resumed. */
function describe(row: Transfer["row"], request: Request) {
  const headers = new Headers({
    "Content-Type": CONTENT_TYPES[row.ext] ?? "application/octet-stream",
    "Content-Disposition": dispositionFor(downloadFileName(row.title, row.ext), request.headers.get("User-Agent")),
    "Cache-Control": "no-store",
  });
  if (row.delivery === "direct") headers.set("Accept-Ranges", "bytes");
  return headers;
}

async function startTransfer({ row, format, analysis, streamId, request, emit }: Transfer): Promise<Response> {
  // Headers first: nothing is opened upstream for a response that cannot be described.
  const headers = describe(row, request);

  // Offload (STREAM_OFFLOAD=nginx): checked here, the bytes moved by the front. See offload.server.ts.
  const source = format && analysis.sources?.[format.id];
  if (row.delivery === "direct" && source && offloadRequested(request)) {
    const handOff = await handOffHeaders(row, source, request);
    if (handOff) {
      // Recorded beside the answer, not before it: the front starts the transfer ~3 ms sooner.
      awaitedAtShutdown(recordHandOff({ row, streamId, emit }));
      for (const [name, value] of Object.entries(handOff)) headers.set(name, value);
      return new Response(null, { status: 200, headers });
    }
  }

  const upstream = await openUpstream({ row, format, analysis, request, emit });
  for (const [name, value] of Object.entries(upstream.headers)) headers.set(name, value);
  const body = trackTransfer({ row, format, streamId, emit, upstream });
  return responseFromNodeStream(body, { status: upstream.status, headers });
}

/**
 * Opens the source. The client may leave meanwhile; after that the body alone
 * tracks it: the server destroys the body when the client goes, which stops
 * the source. (request.signal is not watched past this point: undici aborts a
 * Request's signal when the Request is garbage-collected.)
 */
async function openUpstream({ row, format, analysis, request, emit }: Pick<Transfer, "row" | "format" | "analysis" | "request" | "emit">): Promise<Upstream> {
  const sources = analysis.sources ?? {};
  const options = row.options ?? {};
  const controller = new AbortController();
  const onClientAbort = () => controller.abort();
  request.signal.addEventListener("abort", onClientAbort, { once: true });
  // A client that left before this point (a download manager dropping a spare connection) is gone already.
  if (request.signal.aborted) onClientAbort();
  try {
    if (options.entries) {
      const chosen = new Set(options.entries);
      const entries = (analysis.result?.entries ?? []).filter((e) => chosen.has(e.index));
      return openPlaylistZip({ entries, formatId: row.formatId, onEntry: (report) => emit(row.userId, "stream:entry", { tokenId: row.id, ...report }) });
    }
    if (options.subtitles) {
      const source = sources[subtitleSourceKey(options.subtitles.lang)];
      if (!source) throw new AppError("gone", "format_gone", "The subtitles behind this link are no longer known.");
      return await openSubtitles(source, options.subtitles.format, controller.signal);
    }
    if (!format) throw new AppError("gone", "format_gone", "The analysis behind this link no longer exists.");
    if (options.clip || options.embedSubtitles || isConvertedAudio(format)) {
      const meta = { title: row.title, artist: analysis.result?.uploader ?? null, thumbnail: analysis.result?.thumbnail ?? null };
      return await openMedia({ format, sources, meta, options }, controller.signal);
    }
    if (row.delivery === "direct" && sources[format.id]) return await openDirect(row, sources[format.id], request, controller.signal);
    return await openPipe(format, analysis.result?.formats ?? [], sources, analysis.url, controller.signal);
  } catch (err) {
    if (controller.signal.aborted) throw new AppError("client_closed", "client_closed", "The client went away.", { cause: err });
    throw err;
  } finally {
    request.signal.removeEventListener("abort", onClientAbort);
  }
}

/** The running body: progress to the owner, the slot renewed, revocable, and its end recorded once. */
function trackTransfer({ row, format, streamId, emit, upstream }: Pick<Transfer, "row" | "format" | "streamId" | "emit"> & { upstream: Upstream }) {
  const total = upstream.headers["content-length"] ? Number(upstream.headers["content-length"]) : (format?.filesize ?? null);
  const entry: ActiveStreamEntry = {
    streamId,
    tokenId: row.id,
    userId: row.userId,
    title: row.title,
    formatId: row.formatId,
    delivery: row.delivery,
    bytes: 0,
    total,
    speed: 0,
    startedAt: new Date().toISOString(),
  };
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
    renewStreamSlot(row.userId, streamId).catch((err: unknown) => logger.warn({ err }, "could not renew a stream slot"));
    void trackActiveStream(entry);
  }, SLOT_RENEW_MS);
  const stops = running.get(row.id) ?? new Set();
  const stop = (reason: Error) => body.destroy(reason);
  stops.add(stop);
  running.set(row.id, stops);

  let outcome: StreamOutcome | null = null;
  body.once("end", () => (outcome ??= "completed"));
  body.once("error", (err: NodeJS.ErrnoException) => {
    outcome ??= err instanceof StreamStop ? err.outcome : err.code === "ERR_STREAM_PREMATURE_CLOSE" ? "aborted" : "failed";
  });
  body.once("close", () => {
    clearInterval(renew);
    stops.delete(stop);
    if (!stops.size) running.delete(row.id);
    upstream.kill?.();
    const status = outcome ?? "aborted";
    progress.flush();
    emit(row.userId, "stream:end", { tokenId: row.id, status, bytes: progress.bytes() });
    const ending = Promise.all([
      releaseStreamSlot(row.userId, streamId),
      untrackActiveStream(streamId),
      recordStreamEnd({ tokenId: row.id, bytes: progress.bytes() }),
      countStream({ outcome: status, reason: status === "failed" ? "upstream_error" : undefined, bytes: progress.bytes(), title: row.title }),
    ]).catch((err: unknown) => logger.warn({ err }, "could not record a stream's end"));
    awaitedAtShutdown(ending);
  });
  return body;
}

/** At start-up: slots and dashboard entries a crash of this instance's previous life left behind. */
export async function clearOwnLeftovers() {
  const [slots, entries] = await Promise.all([clearOwnStaleSlots(), clearOwnStaleEntries(instanceSlotPrefix)]);
  if (slots || entries) logger.info({ slots, entries }, "cleared downloads left by this instance before a restart");
}
