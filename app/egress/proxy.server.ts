import http from "node:http";
import https from "node:https";
import type net from "node:net";
import { type Duplex, pipeline } from "node:stream";
import { type BlockedInfo, createEgressAgents, type EgressConnectOptions, egressConnect } from "./connect.server";
import { assertAllowedUrl, EgressBlockedError, normalizeHostName, parseHostLiteral } from "./policy";

/**
 * A forward HTTP proxy on loopback for yt-dlp (--proxy) and ffmpeg/ffprobe
 * (-http_proxy), so their connections get the same connect-time policy as
 * the server's own. CONNECT tunnels carry https; absolute-form requests
 * ("GET http://host/path") carry plain http. Redirects are not followed
 * here: the client follows them, and each new request is checked again.
 *
 * Ports follow isAllowedTarget for CONNECT and absolute-form alike: 80, 443
 * and 1024+ on public addresses; privileged ports such as 22 or 25 only
 * through an EGRESS_ALLOW entry, so a CONNECT tunnel cannot be used to talk
 * SMTP or SSH to the internet. Internal addresses need EGRESS_ALLOW (or
 * allowPrivate) on any port.
 *
 * Hand-written rather than built on `proxy` (TooTallNate): that package
 * connects with a bare net.connect / http.request and offers only an
 * authentication hook, so the policy could at best pre-check names, not the
 * address actually connected to.
 */

/** pino-compatible. */
export interface EgressLogger {
  debug(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface EgressProxyOptions extends EgressConnectOptions {
  logger: EgressLogger;
  /** Request head limit (request line + headers); Node answers larger heads with 431. Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Request body limit for absolute-form requests; larger bodies get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** A tunnel or upstream request silent for this long is closed. Default 2 minutes. */
  idleTimeoutMs?: number;
}

export interface EgressProxy {
  url: string;
  port: number;
  close(): Promise<void>;
}

// RFC 9110 §7.6.1 hop-by-hop fields, plus Proxy-Connection (a de-facto one),
// and Expect: the proxy's own server already answered "100 Continue".
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect"]);

/** Raw header pairs minus hop-by-hop fields, Proxy-* fields, those named in Connection, and any in `drop`. */
function forwardableHeaders(rawHeaders: readonly string[], drop: readonly string[] = []): string[] {
  const named = new Set(drop);
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === "connection") {
      for (const token of rawHeaders[i + 1].split(",")) named.add(token.trim().toLowerCase());
    }
  }
  const kept: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (HOP_BY_HOP.has(name) || name.startsWith("proxy-") || named.has(name)) continue;
    kept.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  return kept;
}

class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Request body larger than ${limit} bytes.`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * The reason phrase of a refusal, so a child tool's error names the policy
 * (yt-dlp prints "HTTP Error 403: Blocked by egress policy", or "Tunnel
 * connection failed: 403 Blocked by egress policy" for https).
 */
export const BLOCKED_STATUS_TEXT = "Blocked by egress policy";

// Refusals close the connection: the client may still be sending a body
// nobody will read.
function replyText(res: http.ServerResponse, status: number, text: string): void {
  const body = `${text}\n`;
  res.writeHead(status, status === 403 ? BLOCKED_STATUS_TEXT : http.STATUS_CODES[status], {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    connection: "close",
  });
  res.end(body);
}

/** For a CONNECT socket, which has no ServerResponse: a complete response, then close. */
function replyRaw(socket: Duplex, status: number, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 403 ? BLOCKED_STATUS_TEXT : http.STATUS_CODES[status]}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** "host:port" or "[v6]:port" from a CONNECT line; the port is mandatory there. */
function parseAuthority(authority: string): { host: string; port: number } | null {
  const match = /^(\[[^\]]+\]|[^:@/?#[\]]+):([0-9]{1,5})$/.exec(authority);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) return null;
  // The URL parser canonicalises legacy IPv4 spellings (0x7f.1) and IDNs the
  // same way it does for absolute-form requests.
  if (!URL.canParse(`http://${match[1]}/`)) return null;
  const hostname = new URL(`http://${match[1]}/`).hostname;
  return { host: parseHostLiteral(hostname) ?? normalizeHostName(hostname), port: Number(match[2]) };
}

/** Listens on 127.0.0.1, on a port the OS picks. */
export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const { logger } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const maxHeaderSize = options.maxHeaderBytes ?? 16 * 1024;
  const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  const egress: EgressConnectOptions = {
    ...options,
    onBlocked(info: BlockedInfo) {
      logger.warn({ ...info }, "egress proxy refused a target");
      options.onBlocked?.(info);
    },
  };
  const agents = createEgressAgents(egress, { keepAlive: true });
  const tunnels = new Set<Duplex>();

  const server = http.createServer({ maxHeaderSize });

  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const target = req.url ?? "";
    // Only absolute-form is proxy-shaped; origin-form ("GET /x") means a
    // client mistook the proxy for a web server.
    if (!/^https?:\/\//i.test(target)) {
      replyText(res, 400, "This is a forward proxy: send absolute-form requests or CONNECT.");
      return;
    }
    let url: URL;
    try {
      url = assertAllowedUrl(target, egress);
    } catch (error) {
      if (!(error instanceof EgressBlockedError)) throw error;
      egress.onBlocked?.({ host: error.host, reason: error.reason });
      replyText(res, 403, error.message);
      return;
    }
    if (Number(req.headers["content-length"] ?? 0) > maxBodyBytes) {
      replyText(res, 413, new BodyTooLargeError(maxBodyBytes).message);
      return;
    }
    const isHttps = url.protocol === "https:";
    const upstream = (isHttps ? https : http).request(url, {
      method: req.method,
      headers: [...forwardableHeaders(req.rawHeaders, ["host"]), "host", url.host],
      agent: isHttps ? agents.https : agents.http,
      maxHeaderSize,
    });
    upstream.setTimeout(idleTimeoutMs, () => upstream.destroy(new Error("upstream idle timeout")));
    upstream.on("response", (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, forwardableHeaders(upstreamRes.rawHeaders));
      pipeline(upstreamRes, res, (error) => {
        if (error) logger.debug({ err: error, url: url.href }, "egress proxy response stream ended early");
      });
    });
    upstream.on("error", (error) => {
      if (res.headersSent) {
        res.destroy(error);
      } else if (error instanceof EgressBlockedError) {
        replyText(res, 403, error.message);
      } else if (error instanceof BodyTooLargeError) {
        replyText(res, 413, error.message);
      } else {
        logger.debug({ err: error, url: url.href }, "egress proxy upstream request failed");
        replyText(res, 502, "The upstream server could not be reached.");
      }
    });
    // The client going away mid-response must not leave the upstream open.
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    // pipe rather than pipeline for the body: pipeline would destroy req on
    // the size error, and destroying an unfinished request destroys its
    // socket before the 413 can be written.
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBodyBytes && !upstream.destroyed) {
        req.unpipe(upstream);
        upstream.destroy(new BodyTooLargeError(maxBodyBytes));
      }
    });
    req.pipe(upstream);
  });

  server.on("connect", (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
    client.on("error", (error) => logger.debug({ err: error, target: req.url }, "egress proxy client socket failed"));
    const target = parseAuthority(req.url ?? "");
    if (!target) {
      replyRaw(client, 400, "CONNECT needs host:port.");
      return;
    }
    const upstream = egressConnect(target, egress);
    tunnels.add(client);
    client.on("close", () => {
      tunnels.delete(client);
      upstream.destroy();
    });
    upstream.setTimeout(idleTimeoutMs, () => upstream.destroy(new Error("tunnel idle timeout")));
    let established = false;
    upstream.once("connect", () => {
      established = true;
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      // Bytes the client sent right behind the CONNECT head (e.g. its TLS hello).
      if (head.length > 0) upstream.write(head);
      const ended = (error: Error | null | undefined) => {
        if (error) logger.debug({ err: error, target: req.url }, "egress proxy tunnel closed with an error");
      };
      pipeline(client, upstream, ended);
      pipeline(upstream, client, ended);
    });
    upstream.on("error", (error) => {
      if (established) return; // the tunnel's pipelines report it
      if (error instanceof EgressBlockedError) {
        replyRaw(client, 403, error.message);
      } else {
        logger.debug({ err: error, target: req.url }, "egress proxy tunnel could not connect");
        replyRaw(client, 502, "The upstream server could not be reached.");
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as net.AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close() {
      const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      server.closeAllConnections();
      for (const tunnel of tunnels) tunnel.destroy();
      agents.destroy();
      return closed;
    },
  };
}

/**
 * Environment for a child process that must use the proxy. Proxy variables
 * from the parent are replaced and no_proxy is removed: ffmpeg and curl
 * honour no_proxy even when given an explicit proxy, which would let a
 * matching host skip the policy entirely.
 */
export function proxyEnvironment<Env extends Record<string, string | undefined>>(proxyUrl: string, base: Env): Env {
  const env: Record<string, string | undefined> = { ...base };
  for (const name of Object.keys(env)) {
    if (/^(https?|all|no|ftp)_proxy$/i.test(name)) delete env[name];
  }
  for (const name of ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"]) env[name] = proxyUrl;
  return env as Env;
}
