import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express, { type RequestHandler } from "express";
import helmet from "helmet";
import { pinoHttp } from "pino-http";
import { config } from "~/config.server";
import type { EmitToUser } from "~/lib/socket-events";
import { limitHeaders, logger } from "~/platform/index.server";
import { consumeApiRequest } from "~/web/index.server";
import { createRequestHandler } from "./remix-handler";

const REQUEST_ID = /^[\w.-]{8,128}$/;
const POLLED = /^\/(api\/monitoring\/health|metrics)(\?|$)/;
const STREAM_PATH = "/api/streaming/stream/";

/** Download and API tokens travel in paths: logs keep their first characters only. */
export function maskTokens(url: string) {
  return url.replace(/(\/api\/streaming\/(?:stream|token)\/)([^/?#]{8})[^/?#]*/g, "$1$2…");
}

/** One compact line per request with its id: no headers (cookies, tokens), token paths masked. */
function requestLogger() {
  return pinoHttp({
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
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress: string }) => ({
        id: req.id,
        method: req.method,
        url: maskTokens(req.url),
        ip: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
  });
}

/** Security headers with a per-request CSP nonce (handed to Remix for its scripts). */
function securityHeaders(mode: string): RequestHandler[] {
  const nonce: RequestHandler = (_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString("base64");
    next();
  };
  const headers = helmet({
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: "same-origin" },
    contentSecurityPolicy: {
      directives: {
        "default-src": ["'self'"],
        "script-src": ["'strict-dynamic'", (_req, res) => `'nonce-${String((res as express.Response).locals.cspNonce)}'`],
        "connect-src": ["'self'", ...(mode === "development" ? ["ws:"] : [])],
        // Thumbnails come from the video sites themselves.
        "img-src": ["'self'", "data:", "https:", "http:"],
        "media-src": ["'self'", "blob:"],
        "form-action": ["'self'"],
        // Self-hosted on plain http (a LAN address) must keep working.
        "upgrade-insecure-requests": null,
      },
    },
  });
  return [nonce, headers];
}

/** One budget per client IP over the whole streaming API, downloads included. */
const apiBudget: RequestHandler = (req, res, next) => {
  consumeApiRequest(req.ip ?? "unknown").then((outcome) => {
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
  }, next);
};

/**
 * The Express app the http.Server carries: request logs, security headers,
 * compression (never on downloads: media is compressed already and Range
 * must stay exact), the API budget, static files and the Remix handler.
 */
export function createApp({ build, mode, emitToUser }: { build: ServerBuild; mode: string; emitToUser: EmitToUser }) {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.trustProxy);
  app.use(requestLogger());
  app.use(securityHeaders(mode));
  app.use(compression({ filter: (req, res) => !req.path.startsWith(STREAM_PATH) && compression.filter(req, res) }));
  app.use("/api/streaming", apiBudget);
  // Hashed build assets never change under the same name; everything else in public/ may.
  app.use("/build", express.static(path.resolve("public/build"), { immutable: true, maxAge: "1y" }));
  app.use(express.static(path.resolve("public"), { maxAge: "1h" }));
  const handle = createRequestHandler({
    build,
    mode,
    getLoadContext: (req, res) => ({
      cspNonce: String(res.locals.cspNonce),
      clientIp: req.ip ?? req.socket.remoteAddress ?? "unknown",
      requestId: typeof req.id === "string" ? req.id : JSON.stringify(req.id),
      emitToUser,
    }),
  });
  app.all("*", (req, res, next) => {
    handle(req, res, next).catch(next);
  });
  return app;
}
