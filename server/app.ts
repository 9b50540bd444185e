import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import helmet from "helmet";
import { pinoHttp } from "pino-http";
import { config } from "~/config.server";
import { logger } from "~/services/logger.server";
import { consumeApiRequest, limitHeaders } from "~/services/rate-limit.server";
import type { EmitToUser } from "~/services/streaming.server";
import { createRequestHandler } from "./remix-handler";

const REQUEST_ID = /^[\w.-]{8,128}$/;
const POLLED = /^\/(api\/monitoring\/health|metrics)(\?|$)/;

/**
 * The Express app the http.Server carries: security headers with a
 * per-request CSP nonce, request logs, static files and the Remix handler.
 * `getBuild` is called per request so dev rebuilds are picked up.
 */
export function createApp({ getBuild, mode, emitToUser }: { getBuild: () => ServerBuild; mode: string; emitToUser: EmitToUser }) {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.trustProxy);

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers["x-request-id"];
        const id = typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader("X-Request-Id", id);
        return id;
      },
      customLogLevel: (req, res, err) => {
        if (err || res.statusCode >= 500) return "error";
        if (res.statusCode >= 400) return "warn";
        // Probes and scrapes come every few seconds: visible at debug, not filling the info log.
        return req.url && POLLED.test(req.url) ? "debug" : "info";
      },
      autoLogging: { ignore: (req) => req.url?.startsWith("/build/") ?? false },
      // One compact line per request: no headers (cookies, tokens) in the logs.
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: req.url, ip: req.remoteAddress }),
        res: (res) => ({ status: res.statusCode }),
      },
    }),
  );

  app.use((_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString("base64");
    next();
  });
  app.use(
    helmet({
      crossOriginEmbedderPolicy: false,
      referrerPolicy: { policy: "same-origin" },
      contentSecurityPolicy: {
        directives: {
          "default-src": ["'self'"],
          "script-src": ["'strict-dynamic'", (_req, res) => `'nonce-${(res as express.Response).locals.cspNonce}'`],
          "connect-src": ["'self'", ...(mode === "development" ? ["ws:"] : [])],
          // Thumbnails come from the video sites themselves.
          "img-src": ["'self'", "data:", "https:", "http:"],
          "media-src": ["'self'", "blob:"],
          "form-action": ["'self'"],
          // Self-hosted on plain http (a LAN address) must keep working.
          "upgrade-insecure-requests": null,
        },
      },
    }),
  );

  // Downloads are already-compressed media, and compressing them would break Range.
  app.use(compression({ filter: (req, res) => !req.path.startsWith("/api/streaming/stream/") && compression.filter(req, res) }));

  // One budget per client IP over the whole streaming API, downloads included.
  app.use("/api/streaming", async (req, res, next) => {
    const outcome = await consumeApiRequest(req.ip ?? "unknown");
    if (outcome.allowed) return next();
    const limited = outcome.reason === "limited";
    res
      .status(limited ? 429 : 503)
      .set({ ...limitHeaders(outcome), "Cache-Control": "no-store" })
      .json({
        error: limited
          ? { code: "rate_limited", message: "Too many requests from your address. Slow down and try again shortly." }
          : { code: "limits_unavailable", message: "Request limits cannot be checked right now. Please try again shortly." },
      });
  });

  // Hashed build assets never change under the same name; everything else in public/ may.
  app.use("/build", express.static(path.resolve("public/build"), { immutable: true, maxAge: "1y" }));
  app.use(express.static(path.resolve("public"), { maxAge: "1h" }));

  // One handler per build: created once in production, again after each dev rebuild.
  let current: { build: ServerBuild; handle: ReturnType<typeof createRequestHandler> } | undefined;
  const handlerFor = (build: ServerBuild) => {
    if (current?.build !== build) {
      current = {
        build,
        handle: createRequestHandler({
          build,
          mode,
          getLoadContext: (req, res) => ({
            cspNonce: res.locals.cspNonce as string,
            clientIp: req.ip ?? req.socket.remoteAddress ?? "unknown",
            requestId: String(req.id),
            emitToUser,
          }),
        }),
      };
    }
    return current.handle;
  };
  app.all("*", (req, res, next) => handlerFor(getBuild())(req, res, next));

  return app;
}
