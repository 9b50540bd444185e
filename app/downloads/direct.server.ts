import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import { fetchVideoInfo, mergeSources } from "~/analysis/index.server";
import { config } from "~/config.server";
import { assertPublicUrl } from "~/egress/index.server";
import { normaliseInfo, type FormatSource } from "~/lib/formats";
import { AppError, logger } from "~/platform/index.server";
import type { StreamToken } from "./tables";

/** An opened source: what the response passes on, and how to stop it. */
export type Upstream = { status: number; headers: Record<string, string>; body: Readable; kill?: () => void };

/** The direct path: the format's upstream file proxied as it is, with the client's Range. */
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
  await mergeSources(analysisId, sources);
  return sources[formatId] ?? null;
}

export async function openDirect(token: StreamToken, source: FormatSource, request: Request, signal: AbortSignal): Promise<Upstream> {
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
