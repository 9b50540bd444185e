import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { BlockedInfo } from "./connect.server";
import { parseEgressAllow } from "./policy";
import { type EgressProxy, proxyEnvironment, startEgressProxy } from "./proxy.server";
import { type CountingServer, hasCommand, startCountingServer } from "./test-servers.server";

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Sends raw bytes to the proxy and returns everything it answers before closing. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(request));
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

/** Opens a CONNECT tunnel and speaks HTTP through it. */
function throughTunnel(port: number, authority: string, request: string): Promise<string> {
  return rawExchange(port, `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n${request}`);
}

let internal: CountingServer;
let allowed: CountingServer;
let proxy: EgressProxy;
let blocked: BlockedInfo[] = [];
const warnings: object[] = [];
let env: NodeJS.ProcessEnv;
let workDir: string;

const haveFfmpeg = hasCommand("ffmpeg");
const haveYtDlp = hasCommand("yt-dlp");

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), "egress-proxy-"));
  let media: Buffer | undefined;
  if (haveFfmpeg) {
    const file = path.join(workDir, "source.mp4");
    execFileSync("ffmpeg", [
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc=duration=1:size=64x64:rate=5",
      "-c:v",
      "mpeg4",
      "-movflags",
      "+faststart",
      file,
    ]);
    media = readFileSync(file);
  }
  internal = await startCountingServer();
  allowed = await startCountingServer({ media });
  proxy = await startEgressProxy({
    allowPrivate: false,
    allow: parseEgressAllow(`127.0.0.1:${allowed.port}`),
    onBlocked: (info) => blocked.push(info),
    logger: { debug: () => undefined, warn: (fields) => warnings.push(fields) },
    maxBodyBytes: 64 * 1024,
    maxHeaderBytes: 8 * 1024,
  });
  // The sandbox may set no_proxy for loopback; the children must not inherit it.
  env = proxyEnvironment(proxy.url, process.env);
});

afterAll(async () => {
  await proxy.close();
  await Promise.all([internal.close(), allowed.close()]);
  rmSync(workDir, { recursive: true, force: true });
});

afterEach(() => {
  blocked = [];
  warnings.length = 0;
  internal.hits.length = 0;
  allowed.hits.length = 0;
});

describe("absolute-form requests", () => {
  it("fetch from the allowed server (curl -x)", async () => {
    const result = await run("curl", ["-sS", "-x", proxy.url, `http://127.0.0.1:${allowed.port}/`], env);
    expect(result).toMatchObject({ code: 0, stdout: "hello" });
    expect(allowed.hits).toHaveLength(1);
  });

  it.each(["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "2130706433"])("refuse the internal server as %s with 403 and zero hits", async (host) => {
    const result = await run("curl", ["-sS", "-w", "\n%{http_code}", "-x", proxy.url, `http://${host}:${internal.port}/`], env);
    const lines = result.stdout.split("\n");
    const [body, status] = [lines[0], lines.at(-1)];
    expect(status).toBe("403");
    expect(body).toMatch(/is not allowed: (loopback|IPv4-mapped private) address\./);
    expect(internal.hits).toHaveLength(0);
    expect(blocked).toHaveLength(1);
    expect(warnings).toHaveLength(1);
  });

  it("refuse a public address on a privileged port without connecting", async () => {
    const answer = await rawExchange(proxy.port, "GET http://8.8.8.8:25/ HTTP/1.1\r\nHost: 8.8.8.8:25\r\nConnection: close\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toContain("port not allowed");
  });

  it("refuse origin-form requests with 400", async () => {
    const answer = await rawExchange(proxy.port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });

  it("refuse other schemes", async () => {
    const answer = await rawExchange(proxy.port, "GET ftp://example.com/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });

  it("strip hop-by-hop and Proxy-* headers and set Host from the URL", async () => {
    const answer = await rawExchange(
      proxy.port,
      `GET http://127.0.0.1:${allowed.port}/h HTTP/1.1\r\nHost: internal.example\r\nProxy-Authorization: Basic eDp5\r\n` +
        "Proxy-Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nX-Kept: 2\r\nTE: trailers\r\n\r\n",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    const { headers } = allowed.hits[0];
    expect(headers.host).toBe(`127.0.0.1:${allowed.port}`);
    expect(headers["x-kept"]).toBe("2");
    for (const name of ["proxy-authorization", "proxy-connection", "keep-alive", "x-secret", "te"]) expect(headers).not.toHaveProperty(name);
  });

  it("stream a large response intact", async () => {
    const bytes = 8 * 1024 * 1024;
    const file = path.join(workDir, "big.bin");
    const result = await run("curl", ["-sS", "-o", file, "-x", proxy.url, `http://127.0.0.1:${allowed.port}/big?bytes=${bytes}`], env);
    expect(result.code).toBe(0);
    expect(statSync(file).size).toBe(bytes);
  });

  it("forward a request body within the limit", async () => {
    const result = await run(
      "curl",
      ["-sS", "-w", "%{http_code}", "-o", "/dev/null", "-x", proxy.url, "--data-binary", "x".repeat(1000), `http://127.0.0.1:${allowed.port}/`],
      env,
    );
    expect(result.stdout).toBe("200");
  });

  it("refuse a declared body over the limit with 413", async () => {
    const answer = await rawExchange(
      proxy.port,
      `POST http://127.0.0.1:${allowed.port}/ HTTP/1.1\r\nHost: x\r\nContent-Length: ${128 * 1024}\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(allowed.hits).toHaveLength(0);
  });

  it("cut off a chunked body that grows over the limit", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request({ host: "127.0.0.1", port: proxy.port, method: "POST", path: `http://127.0.0.1:${allowed.port}/` }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      request.on("error", reject);
      for (let i = 0; i < 10; i++) request.write(Buffer.alloc(16 * 1024));
      request.end();
    });
    expect(status).toBe(413);
  });

  it("answer an oversized request head with 431", async () => {
    const answer = await rawExchange(proxy.port, `GET http://127.0.0.1:${allowed.port}/ HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(10_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(allowed.hits).toHaveLength(0);
  });
});

describe("CONNECT tunnels", () => {
  it("carry a request to the allowed server (curl -p)", async () => {
    const result = await run("curl", ["-sS", "-p", "-x", proxy.url, `http://127.0.0.1:${allowed.port}/tunnelled`], env);
    expect(result).toMatchObject({ code: 0, stdout: "hello" });
    expect(allowed.hits.map((h) => h.url)).toEqual(["/tunnelled"]);
  });

  it("deliver bytes sent right behind the CONNECT head", async () => {
    const answer = await throughTunnel(proxy.port, `127.0.0.1:${allowed.port}`, "GET /early HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK/);
    expect(answer).toContain("hello");
  });

  it.each(["127.0.0.1", "localhost", "0x7f.1", "[::1]", "[::ffff:127.0.0.1]"])("refuse the internal port at %s with 403 and zero hits", async (host) => {
    const answer = await throughTunnel(proxy.port, `${host}:${internal.port}`, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 403 Blocked by egress policy\r\n/);
    expect(answer).toMatch(/is not allowed: .*address\.\n$/);
    expect(internal.hits).toHaveLength(0);
    expect(blocked).toHaveLength(1);
  });

  it("refuse a public address on a privileged port", async () => {
    const answer = await throughTunnel(proxy.port, "8.8.8.8:22", "");
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(blocked).toMatchObject([{ host: "8.8.8.8", port: 22, reason: "blocked_port" }]);
  });

  it.each(["127.0.0.1", "example.com:", "user@example.com:443", "example.com:99999"])("answer a malformed target %s with 400", async (authority) => {
    const answer = await throughTunnel(proxy.port, authority, "");
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });

  it("answer 502 when the allowed target is down", async () => {
    const down = await startCountingServer();
    await down.close();
    const closedProxy = await startEgressProxy({
      allowPrivate: false,
      allow: parseEgressAllow(`127.0.0.1:${down.port}`),
      logger: { debug: () => undefined, warn: () => undefined },
    });
    try {
      const answer = await throughTunnel(closedProxy.port, `127.0.0.1:${down.port}`, "");
      expect(answer).toMatch(/^HTTP\/1\.1 502 /);
    } finally {
      await closedProxy.close();
    }
  });
});

describe("child processes through the proxy", () => {
  it("proxyEnvironment replaces proxy variables and drops no_proxy", () => {
    expect(
      proxyEnvironment("http://127.0.0.1:1", { PATH: "/bin", no_proxy: "*", NO_PROXY: "localhost", ALL_PROXY: "socks5://x", HTTP_PROXY: "http://other" }),
    ).toEqual({
      PATH: "/bin",
      http_proxy: "http://127.0.0.1:1",
      HTTP_PROXY: "http://127.0.0.1:1",
      https_proxy: "http://127.0.0.1:1",
      HTTPS_PROXY: "http://127.0.0.1:1",
    });
  });

  it.runIf(haveFfmpeg)("ffmpeg -http_proxy reads from the allowed server", async () => {
    const result = await run(
      "ffmpeg",
      ["-hide_banner", "-loglevel", "error", "-http_proxy", proxy.url, "-i", `http://127.0.0.1:${allowed.port}/media.mp4`, "-f", "null", "-"],
      env,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(allowed.hits.length).toBeGreaterThan(0);
  });

  it.runIf(haveFfmpeg)("ffmpeg -http_proxy is refused the internal server", async () => {
    const result = await run(
      "ffmpeg",
      ["-hide_banner", "-loglevel", "error", "-http_proxy", proxy.url, "-i", `http://127.0.0.1:${internal.port}/media.mp4`, "-f", "null", "-"],
      env,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("403");
    expect(internal.hits).toHaveLength(0);
  });

  it.runIf(haveFfmpeg)("ffmpeg would skip the proxy for a no_proxy host, which is why proxyEnvironment drops it", async () => {
    const args = ["-hide_banner", "-loglevel", "error", "-http_proxy", proxy.url, "-i", `http://127.0.0.1:${internal.port}/`, "-f", "null", "-"];
    await run("ffmpeg", args, { ...env, no_proxy: "127.0.0.1" });
    expect(internal.hits.length).toBeGreaterThan(0);
  });

  it.runIf(haveYtDlp && haveFfmpeg)(
    "yt-dlp --proxy downloads from the allowed server and is refused the internal one",
    async () => {
      const common = ["--ignore-config", "--no-cache-dir", "--no-playlist", "--proxy", proxy.url, "-P", workDir, "-o", "%(id)s.%(ext)s"];
      const ok = await run("yt-dlp", [...common, `http://127.0.0.1:${allowed.port}/media.mp4`], env);
      expect(ok.code, ok.stderr).toBe(0);
      expect(statSync(path.join(workDir, "media.mp4")).size).toBeGreaterThan(0);

      const refused = await run("yt-dlp", [...common, `http://127.0.0.1:${internal.port}/media.mp4`], env);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("403");
      expect(internal.hits).toHaveLength(0);
    },
    60_000,
  );
});
