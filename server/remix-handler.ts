import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createReadableStreamFromReadable, createRequestHandler as createRemixHandler, type AppLoadContext, type ServerBuild } from "@remix-run/node";
import type { NextFunction, Request as ExpressRequest, Response as ExpressResponse } from "express";
import { logger } from "~/platform/index.server";
import { nodeBodyOf } from "~/web/index.server";

/**
 * Express ⇄ Remix, like @remix-run/express but with backpressure on the way
 * out: bodies are piped with stream.pipeline (which waits for `drain` and
 * destroys the source when the client goes away), and download bodies that
 * come from a Node stream skip the web-stream layer entirely.
 */
function toRequest(req: ExpressRequest, res: ExpressResponse): Request {
  const forwardedPort = req.get("X-Forwarded-Host")?.split(":")[1];
  const hostPort = req.get("host")?.split(":")[1];
  const port = forwardedPort ?? hostPort;
  const url = new URL(`${req.protocol}://${req.hostname}${port ? `:${port}` : ""}${req.originalUrl}`);

  const controller = new AbortController();
  // Abort loaders and streams once the response can no longer be written.
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });

  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) value.forEach((v) => headers.append(key, v));
    else if (value !== undefined) headers.set(key, value);
  }
  const init: RequestInit & { duplex?: "half" } = { method: req.method, headers, signal: controller.signal };
  if (req.method !== "GET" && req.method !== "HEAD") {
    // The body-limit middleware has read it already (a Buffer); otherwise it streams through.
    const body: unknown = req.body;
    // (A view, not a copy: the Request copies it once itself.)
    if (Buffer.isBuffer(body)) init.body = new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength);
    else {
      init.body = createReadableStreamFromReadable(req);
      init.duplex = "half";
    }
  }
  return new Request(url, init);
}

/** JSON (the API) and turbo-stream (single-fetch loader and action data). */
const DATA_TYPE = /^(application\/json|text\/x-script)\b/i;

async function send(res: ExpressResponse, response: Response, clientGone: boolean) {
  res.statusMessage = response.statusText;
  res.status(response.status);
  // A 503 page rendered from a thrown response loses that response's headers: every 503 says when to retry.
  if (response.status === 503 && !response.headers.has("Retry-After")) res.set({ "Retry-After": "5", "Cache-Control": "no-store" });
  for (const [key, value] of response.headers) {
    if (key !== "set-cookie") res.append(key, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length) res.setHeader("Set-Cookie", cookies);

  const download = nodeBodyOf(response);
  if (!download && response.body && DATA_TYPE.test(response.headers.get("Content-Type") ?? "")) {
    // Data answers are whole values (no loader here defers a promise): sent at once with their
    // length, so small ones skip compression (below its threshold: no gzip stream for a 300-byte
    // answer) and the web-stream → Node stream conversion.
    const body = Buffer.from(await response.arrayBuffer());
    res.setHeader("Content-Length", body.length);
    res.end(body);
    return;
  }
  const source = download ?? (response.body ? Readable.fromWeb(response.body as import("node:stream/web").ReadableStream) : null);
  if (!source) {
    res.end();
    return;
  }
  if (clientGone) {
    // The client left while the answer was being prepared: pipeline would wait for a 'close'
    // that was already emitted, and a download body would hold its slot forever.
    source.destroy();
    return;
  }
  try {
    await pipeline(source, res);
  } catch (err) {
    // The client left, or the source failed mid-body: the connection is
    // already closed without a clean end, which is what clients must see.
    if (!res.destroyed) res.destroy(err as Error);
    if ((err as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") logger.debug({ err }, "response body ended early");
  }
}

export function createRequestHandler({
  build,
  mode,
  getLoadContext,
}: {
  build: ServerBuild;
  mode: string;
  getLoadContext: (req: ExpressRequest, res: ExpressResponse) => AppLoadContext;
}) {
  const handle = createRemixHandler(build, mode);
  return async (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    try {
      const request = toRequest(req, res);
      const response = await handle(request, getLoadContext(req, res));
      await send(res, response, request.signal.aborted);
    } catch (err) {
      next(err);
    }
  };
}
