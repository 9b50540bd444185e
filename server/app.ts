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
import { API_BUDGET_REFUSED, consumeApiRequest, deferApiBudget, isCrossSite, maskTokens, type ApiBudgetTicket } from "~/web/index.server";
import { createRequestHandler } from "./remix-handler";

const REQUEST_ID = /^[\w.-]{8,128}$/;
const POLLED = /^\/(api\/monitoring\/health|metrics|livez|readyz)(\?|$)/;
const STREAM_PATH = "/api/streaming/stream/";

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
        // Thumbnails are served from our own origin (analysis/thumbnails.server.ts): no third-party images.
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'", "blob:"],
        // The service worker (public/sw.js): 'strict-dynamic' in script-src does not cover workers.
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        // Self-hosted on plain http (a LAN address) must keep working.
        "upgrade-insecure-requests": null,
      },
    },
  });
  return [nonce, headers];
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The API's error shape, for refusals made here before Remix runs. */
function refuse(res: express.Response, status: number, code: string, message: string, headers: Record<string, string> = {}) {
  res
    .status(status)
    .set({ ...headers, "Cache-Control": "no-store" })
    .json({ error: { code, message } });
}

/** State-changing requests from another site (forms, fetches, /logout) get 403 before anything runs. */
const sameSiteOnly: RequestHandler = (req, res, next) => {
  if (SAFE_METHODS.has(req.method)) return next();
  const crossSite = isCrossSite({
    secFetchSite: req.get("Sec-Fetch-Site"),
    origin: req.get("Origin"),
    host: req.get("X-Forwarded-Host") && config.trustProxy ? req.get("X-Forwarded-Host") : req.get("Host"),
    authorization: req.get("Authorization"),
  });
  if (!crossSite) return next();
  refuse(res, 403, "cross_site", "Requests from other sites cannot change anything here.");
};

/**
 * Bodies are read here, up to a limit by type, before anything parses them:
 * a larger Content-Length is refused at once, and a chunked body is cut off
 * at the limit, so a flood of large posts never piles up in memory.
 */
const jsonBody = express.raw({ type: ["application/json", "application/*+json"], limit: config.JSON_BODY_LIMIT_BYTES });
const otherBody = express.raw({ type: () => true, limit: config.FORM_BODY_LIMIT_BYTES });
const boundedBody: RequestHandler = (req, res, next) => {
  if (SAFE_METHODS.has(req.method)) return next();
  jsonBody(req, res, (err?: unknown) => (err ? next(err) : otherBody(req, res, next)));
};

/** The body limit's refusal (and any other body error) in the API's error shape. */
const bodyErrors: express.ErrorRequestHandler = (err: { type?: string; status?: number }, req, res, next) => {
  if (err.type === "entity.too.large") return refuse(res, 413, "payload_too_large", "The request body is too large.", { Connection: "close" });
  if (err.status && err.status < 500) return refuse(res, err.status, "invalid_body", "The request body could not be read.");
  next(err);
};

/**
 * One budget per client IP over the whole streaming API, downloads included. Link creation
 * spends it in its own limit script (a ticket in res.locals, handed to the route); whatever
 * answers such a request before the route does, the budget is spent once it is answered.
 */
const apiBudget: RequestHandler = (req, res, next) => {
  const ip = req.ip ?? "unknown";
  const ticket = deferApiBudget(req.method, req.originalUrl.split("?")[0]);
  if (ticket) {
    res.locals.apiBudget = ticket;
    res.once("close", () => {
      if (!ticket.spent) void consumeApiRequest(ip);
    });
    return next();
  }
  consumeApiRequest(ip).then((outcome) => {
    if (outcome.allowed) return next();
    if (outcome.reason === "limited") {
      refuse(res, 429, API_BUDGET_REFUSED.code, API_BUDGET_REFUSED.message, limitHeaders(outcome));
    } else {
      refuse(res, 503, "service_unavailable", "Request limits cannot be checked right now. Please try again shortly.", limitHeaders(outcome));
    }
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
  // Downloads skip the middleware altogether: not even its write wrappers sit on the bytes path.
  const compress = compression();
  app.use((req, res, next) => (req.path.startsWith(STREAM_PATH) ? next() : compress(req, res, next)));
  app.use(sameSiteOnly);
  app.use("/api/streaming", apiBudget);
  // Remix's old data protocol: this app's pages use single fetch (`.data`), and Remix logs every
  // `?_data=` request as an error, so a flood of them would flood the error log.
  app.use((req, res, next) => (req.query._data === undefined ? next() : refuse(res, 400, "invalid_request", "Data requests use single fetch (.data).")));
  // Hashed build assets never change under the same name; everything else in public/ may.
  app.use("/build", express.static(path.resolve("public/build"), { immutable: true, maxAge: "1y" }));
  app.use(
    express.static(path.resolve("public"), {
      maxAge: "1h",
      // A new service worker must reach browsers at once: they check it on every visit (scope: the whole site).
      setHeaders: (res, file) => {
        if (path.basename(file) === "sw.js") res.set({ "Cache-Control": "no-cache", "Service-Worker-Allowed": "/" });
      },
    }),
  );
  app.use(boundedBody, bodyErrors);
  const handle = createRequestHandler({
    build,
    mode,
    getLoadContext: (req, res) => ({
      cspNonce: String(res.locals.cspNonce),
      clientIp: req.ip ?? req.socket.remoteAddress ?? "unknown",
      requestId: typeof req.id === "string" ? req.id : JSON.stringify(req.id),
      emitToUser,
      apiBudget: res.locals.apiBudget as ApiBudgetTicket | undefined,
    }),
  });
  app.all("*", (req, res, next) => {
    handle(req, res, next).catch(next);
  });
  return app;
}
