import { execFileSync } from "node:child_process";
import http from "node:http";
import type net from "node:net";

/**
 * Loopback HTTP servers for the egress tests: each counts the requests that
 * reach it, so a refusal can be shown to have happened before any byte left.
 */
export interface CountingServer {
  port: number;
  /** Requests received, in order, with the headers they carried. */
  hits: Array<{ url: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

export interface CountingServerOptions {
  host?: string;
  /** Served at /media.mp4. */
  media?: Buffer;
}

/**
 * Routes: /redirect?to=URL (302), /loop (302 to itself), /big?bytes=N (N
 * bytes), /media.mp4, anything else 200 "hello".
 */
export async function startCountingServer(options: CountingServerOptions = {}): Promise<CountingServer> {
  const hits: CountingServer["hits"] = [];
  const server = http.createServer((req, res) => {
    hits.push({ url: req.url ?? "", headers: req.headers });
    req.resume();
    const url = new URL(req.url ?? "/", "http://test");
    if (url.pathname === "/redirect") {
      res.writeHead(302, { location: url.searchParams.get("to") ?? "/" }).end();
    } else if (url.pathname === "/loop") {
      res.writeHead(302, { location: "/loop" }).end();
    } else if (url.pathname === "/big") {
      const total = Number(url.searchParams.get("bytes"));
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": total });
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const writeMore = () => {
        while (sent < total) {
          const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
          sent += piece.length;
          if (!res.write(piece)) return void res.once("drain", writeMore);
        }
        res.end();
      };
      writeMore();
    } else if (url.pathname === "/media.mp4" && options.media) {
      res.writeHead(200, { "content-type": "video/mp4", "content-length": options.media.length }).end(req.method === "HEAD" ? undefined : options.media);
    } else {
      res.writeHead(200, { "content-type": "text/plain" }).end("hello");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Whether an executable is on PATH, for tests of optional tools. */
export function hasCommand(name: string): boolean {
  try {
    execFileSync("which", [name], { stdio: "ignore" });
    return true;
  } catch {
    // `which` exits non-zero when the command is missing.
    return false;
  }
}
