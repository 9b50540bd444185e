import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { fetchVideoInfo, mergeSources } from "~/analysis/index.server";
import { config } from "~/config.server";
import { EgressBlockedError, fetchUnderPolicy } from "~/egress/index.server";
import { normaliseInfo, type FormatSource } from "~/lib/formats";
import { AppError, logger } from "~/platform/index.server";
import type { StreamToken } from "./tables";

/** An opened source: what the response passes on, and how to stop it. */
export type Upstream = { status: number; headers: Record<string, string>; body: Readable; kill?: () => void };

/** The direct path: the format's upstream file proxied as it is, with the client's Range. */

/** How long an upstream may take to answer with headers; the body then flows at the client's pace. */
const HEADERS_TIMEOUT_MS = 20_000;

class UpstreamError extends Error {
  constructor(
    readonly status: number,
    readonly retryable: boolean,
  ) {
    super(`upstream answered ${status}`);
  }
}

/** One upstream GET under the egress policy (every redirect hop checked), until its headers arrive. */
async function fetchUpstream(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<{ response: IncomingMessage; url: string }> {
  const headersTimeout = new AbortController();
  const timer = setTimeout(() => headersTimeout.abort(new Error("upstream sent no headers in time")), HEADERS_TIMEOUT_MS);
  try {
    const fetched = await fetchUnderPolicy(url, { headers, signal: AbortSignal.any([signal, headersTimeout.signal]) });
    const { response } = fetched;
    const status = response.statusCode ?? 502;
    if (status === 200 || status === 206 || status === 416) return fetched;
    response.resume();
    throw new UpstreamError(status, status >= 500 || status === 429);
  } finally {
    clearTimeout(timer);
  }
}

/** The format's upstream again from yt-dlp: signed media URLs expire. */
async function reResolve(analysisId: string, pageUrl: string, formatId: string): Promise<FormatSource | null> {
  const { sources } = normaliseInfo(await fetchVideoInfo(pageUrl));
  await mergeSources(analysisId, sources);
  return sources[formatId] ?? null;
}

/** A source's whole file, as it is (a playlist entry in a ZIP): one GET under the policy, no Range. */
export async function openWhole(source: FormatSource, signal: AbortSignal): Promise<Upstream> {
  try {
    const { response } = await fetchUpstream(source.url, { ...source.headers, "Accept-Encoding": "identity" }, signal);
    if (response.statusCode === 200) return { status: 200, headers: {}, body: response };
    response.resume();
    throw new UpstreamError(response.statusCode ?? 502, false);
  } catch (err) {
    if (err instanceof EgressBlockedError) throw new AppError("forbidden", "blocked_address", err.message, { cause: err });
    throw new AppError("upstream", "upstream_failed", "The video site did not deliver the file.", { cause: err });
  }
}

export async function openDirect(token: StreamToken, source: FormatSource, request: Request, signal: AbortSignal): Promise<Upstream> {
  const extra: Record<string, string> = {};
  for (const name of ["range", "if-range"]) {
    const value = request.headers.get(name);
    if (value) extra[name] = value;
  }
  const { response: res } = await connectUpstream(token, source, extra, signal);
  const passed: Record<string, string> = {};
  for (const name of ["content-length", "content-range", "etag", "last-modified"]) {
    const value = res.headers[name];
    if (typeof value === "string") passed[name] = value;
  }
  return { status: res.statusCode!, headers: passed, body: res };
}

/**
 * The format's upstream answering 200/206/416 under the egress policy: retried
 * when it fails before its headers, re-resolved once when its URL expired.
 * Also what the offload mode checks before it hands the transfer to nginx.
 */
export async function connectUpstream(
  token: StreamToken,
  source: FormatSource,
  extra: Record<string, string>,
  signal: AbortSignal,
): Promise<{ response: IncomingMessage; url: string; headers: Record<string, string> }> {
  const headers: Record<string, string> = { ...source.headers, "Accept-Encoding": "identity", ...extra };
  let url = source.url;
  let reResolved = false;
  for (let attempt = 0; ; attempt++) {
    try {
      return { ...(await fetchUpstream(url, headers, signal)), headers };
    } catch (err) {
      if (signal.aborted) throw err;
      if (err instanceof EgressBlockedError) {
        logger.warn({ host: err.host, reason: err.reason, tokenId: token.id }, "download refused by the egress policy");
        throw new AppError("forbidden", "blocked_address", err.message, { cause: err });
      }
      const expired = err instanceof UpstreamError && (err.status === 403 || err.status === 410);
      if (expired && !reResolved) {
        reResolved = true;
        const fresh = await reResolve(token.analysisId, token.sourceUrl, token.formatId).catch((reason: unknown) => {
          logger.warn({ err: reason, tokenId: token.id }, "could not re-resolve an expired source");
          return null;
        });
        if (fresh) {
          url = fresh.url;
          Object.assign(headers, fresh.headers);
          continue;
        }
      }
      const retryable = !(err instanceof UpstreamError) || err.retryable;
      if (!retryable || attempt >= config.STREAM_RETRIES) {
        logger.warn({ err, tokenId: token.id }, "upstream failed before the first byte");
        throw new AppError("upstream", "upstream_failed", "The video site did not deliver the file. Try again in a moment.", { cause: err });
      }
      await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
    }
  }
}
