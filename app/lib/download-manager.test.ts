import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createDownload, type DownloadJob, type DownloadOptions, type DownloadSnapshot, type DownloadState } from "./download-manager";

/**
 * A real HTTP server on loopback, so fetch, Range and broken connections behave as they do in the browser.
 * Its misbehaviours (?stall, ?cut, ?short, ?throttle) apply to a test's first request only, so that resuming or retrying
 * succeeds; ?ignore-range answers every request in full.
 */
const SIZE = 2.5 * 1024 * 1024; // More than one memory part (1 MiB), so their joining is covered too.
const HALF = SIZE / 2;
const source = randomBytes(SIZE);

let server: Server;
let base: string;
let requests: { path: string; range: string | undefined; status: number }[] = [];

function handle(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", "http://loopback");
  const options = url.searchParams;
  const range = req.headers.range;
  const first = requests.length === 0;
  const log = (status: number) => requests.push({ path: url.pathname + url.search, range, status });

  if (url.pathname === "/refused") {
    log(410);
    res.writeHead(410, { "X-Error-Code": "token_revoked", "X-Error-Message": "This download link was revoked" }).end();
    return;
  }
  if (url.pathname === "/unavailable") {
    log(503);
    res.writeHead(503).end();
    return;
  }
  if (url.pathname === "/pipe") {
    // Converted on the fly: chunked, no length, no ranges.
    log(200);
    res.writeHead(200, { "Content-Type": "video/mp4", "x-content-length-estimate": String(SIZE) });
    res.end(source);
    return;
  }
  if (url.pathname === "/lying") {
    // Claims the whole file and sends half of it, with a Content-Length that matches the half.
    log(206);
    res.writeHead(206, { "Content-Range": `bytes 0-${SIZE - 1}/${SIZE}`, "Content-Length": HALF }).end(source.subarray(0, HALF));
    return;
  }
  if (url.pathname === "/tail" && !range) {
    // Sends every byte, never ends the (chunked) body: a pause can land after the last byte.
    log(206);
    res.writeHead(206, { "Content-Range": `bytes 0-${SIZE - 1}/${SIZE}`, "Accept-Ranges": "bytes" }).write(source);
    return;
  }

  const asked = range && !options.has("ignore-range") ? /^bytes=(\d+)-$/.exec(range) : null;
  const start = asked ? Number(asked[1]) : 0;
  if (start >= SIZE) {
    log(416);
    res.writeHead(416, { "Content-Range": `bytes */${SIZE}` }).end();
    return;
  }
  const headers = { "Content-Type": "video/mp4", "Accept-Ranges": "bytes", "Content-Length": SIZE - start };
  log(asked ? 206 : 200);
  if (asked) res.writeHead(206, { ...headers, "Content-Range": `bytes ${start}-${SIZE - 1}/${SIZE}` });
  else res.writeHead(200, options.has("short") ? { ...headers, Connection: "close" } : headers);

  if (!first) res.end(source.subarray(start));
  else if (options.has("stall"))
    res.write(source.subarray(0, HALF)); // …and waits until the client goes away.
  else if (options.has("cut")) res.write(source.subarray(0, HALF), () => setTimeout(() => res.socket?.destroy(), 50));
  else if (options.has("short")) res.end(source.subarray(0, HALF));
  else if (options.has("throttle")) void throttled(res);
  else res.end(source);
}

/** About 6 MB/s: 32 KiB every 5 ms. */
async function throttled(res: ServerResponse) {
  for (let at = 0; at < SIZE && !res.destroyed; at += 32 * 1024) {
    res.write(source.subarray(at, at + 32 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  res.end();
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  requests = [];
});

function download(path: string, options: Partial<DownloadOptions> = {}) {
  const states: DownloadState[] = [];
  const job = createDownload({
    url: base + path,
    fileName: "video.mp4",
    resumable: true,
    storage: "memory",
    onChange: (snapshot) => {
      if (states.at(-1) !== snapshot.state) states.push(snapshot.state);
    },
    ...options,
  });
  return { job, states };
}

async function bytesOf(job: DownloadJob) {
  return Buffer.from(await (await job.file()).arrayBuffer());
}

const receivedHalf = (job: DownloadJob) => vi.waitFor(() => expect(job.snapshot.received).toBe(HALF), { timeout: 5000, interval: 5 });

describe("createDownload", () => {
  it("downloads the whole file", async () => {
    const { job, states } = download("/file");
    await job.start();
    expect(job.snapshot).toMatchObject({ state: "done", received: SIZE, total: SIZE, speed: 0, eta: null, error: null, resumable: true });
    expect(states).toEqual(["downloading", "done"]);
    expect((await bytesOf(job)).equals(source)).toBe(true);
    expect(requests).toEqual([{ path: "/file", range: undefined, status: 200 }]);
  });

  it("reports a smoothed speed and an eta while bytes flow, a few times a second", async () => {
    const seen: DownloadSnapshot[] = [];
    const { job } = download("/file?throttle", { onChange: (snapshot) => seen.push(snapshot) });
    const startedAt = performance.now();
    await job.start();
    const seconds = (performance.now() - startedAt) / 1000;
    const progress = seen.filter((s) => s.state === "downloading");
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(seconds * 4) + 1);
    const last = progress.at(-1)!;
    expect(last.speed).toBeGreaterThan(0);
    expect(last.eta).toBe(Math.ceil((SIZE - last.received) / last.speed));
    expect(job.snapshot).toMatchObject({ state: "done", speed: 0, eta: null });
    expect((await bytesOf(job)).equals(source)).toBe(true);
  });

  it("keeps the bytes in memory where there is no Origin Private File System", async () => {
    const { job } = download("/file", { storage: "auto" });
    await job.start();
    expect((await bytesOf(job)).equals(source)).toBe(true);
  });

  it("pauses halfway and resumes with a Range from the bytes it has", async () => {
    const { job, states } = download("/file?stall");
    const started = job.start();
    await receivedHalf(job);
    job.pause();
    await started;
    expect(job.snapshot).toMatchObject({ state: "paused", received: HALF, total: SIZE, speed: 0, eta: null });

    await job.resume();
    expect(job.snapshot).toMatchObject({ state: "done", received: SIZE, total: SIZE });
    expect(states).toEqual(["downloading", "paused", "starting", "downloading", "done"]);
    expect((await bytesOf(job)).equals(source)).toBe(true);
    expect(requests.map((r) => [r.range, r.status])).toEqual([
      [undefined, 200],
      [`bytes=${HALF}-`, 206],
    ]);
  });

  it("starts over cleanly when the server ignores the Range", async () => {
    const { job } = download("/file?stall&ignore-range");
    const started = job.start();
    await receivedHalf(job);
    job.pause();
    await started;

    await job.resume();
    expect(job.snapshot).toMatchObject({ state: "done", received: SIZE, total: SIZE });
    expect((await bytesOf(job)).equals(source)).toBe(true);
    expect(requests.map((r) => [r.range, r.status])).toEqual([
      [undefined, 200],
      [`bytes=${HALF}-`, 200],
    ]);
  });

  it("finishes on a 416 when the pause came after the last byte", async () => {
    const { job } = download("/tail");
    const started = job.start();
    await vi.waitFor(() => expect(job.snapshot.received).toBe(SIZE), { timeout: 5000, interval: 5 });
    job.pause();
    await started;

    await job.resume();
    expect(job.snapshot.state).toBe("done");
    expect((await bytesOf(job)).equals(source)).toBe(true);
    expect(requests.at(-1)).toMatchObject({ range: `bytes=${SIZE}-`, status: 416 });
  });

  it("fails a refused download with the server's code and message", async () => {
    const { job } = download("/refused");
    await job.start();
    expect(job.snapshot).toMatchObject({
      state: "failed",
      received: 0,
      error: { code: "token_revoked", status: 410, message: "This download link was revoked" },
    });
    await expect(job.file()).rejects.toThrow();
  });

  it("falls back to the status when the server gives no code", async () => {
    const { job } = download("/unavailable");
    await job.start();
    expect(job.snapshot.error).toEqual({ code: "http_503", status: 503, message: "Service Unavailable" });
  });

  it("fails a cut connection as a network error, and retry resumes from the bytes kept", async () => {
    const { job } = download("/file?cut");
    await job.start();
    const { received } = job.snapshot;
    expect(job.snapshot).toMatchObject({ state: "failed", total: SIZE, error: { code: "network_error", status: null } });
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(SIZE);

    await job.retry();
    expect(job.snapshot).toMatchObject({ state: "done", received: SIZE, error: null });
    expect((await bytesOf(job)).equals(source)).toBe(true);
    expect(requests.at(-1)).toMatchObject({ range: `bytes=${received}-`, status: 206 });
  });

  it("fails a body shorter than its Content-Length (fetch reports it as a network error), and retry completes it", async () => {
    const { job } = download("/file?short");
    await job.start();
    expect(job.snapshot).toMatchObject({ state: "failed", total: SIZE, error: { code: "network_error" } });
    expect(job.snapshot.received).toBeLessThan(SIZE);

    await job.retry();
    expect(job.snapshot.state).toBe("done");
    expect((await bytesOf(job)).equals(source)).toBe(true);
  });

  it("fails a body that ends cleanly before the announced size as incomplete", async () => {
    const { job } = download("/lying");
    await job.start();
    expect(job.snapshot).toMatchObject({ state: "failed", received: HALF, total: SIZE, error: { code: "incomplete", status: null } });
  });

  it("starts over on retry when the job can't resume", async () => {
    const { job } = download("/file?cut", { resumable: false });
    await job.start();
    expect(job.snapshot.error?.code).toBe("network_error");

    await job.retry();
    expect((await bytesOf(job)).equals(source)).toBe(true);
    expect(requests.map((r) => r.range)).toEqual([undefined, undefined]);
  });

  it("cancels: discards the bytes and file() rejects", async () => {
    const { job, states } = download("/file?stall");
    const started = job.start();
    await receivedHalf(job);
    await job.cancel();
    await started;
    expect(job.snapshot).toMatchObject({ state: "cancelled", received: 0, speed: 0 });
    expect(states.at(-1)).toBe("cancelled");
    await expect(job.file()).rejects.toThrow(/cancelled/);
    await job.resume();
    expect(job.snapshot.state).toBe("cancelled");
  });

  it("refuses to pause a job converted on the fly, which still completes", async () => {
    const { job } = download("/pipe", { resumable: false });
    const started = job.start();
    expect(() => job.pause()).toThrow();
    await started;
    expect(job.snapshot).toMatchObject({ state: "done", received: SIZE, total: null, resumable: false });
    expect((await bytesOf(job)).equals(source)).toBe(true);
  });

  it("goes through the injected fetch", async () => {
    const seen: string[] = [];
    const { job } = download("/file", {
      fetch: (input, init) => {
        seen.push(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
        return fetch(input, init);
      },
    });
    await job.start();
    expect(seen).toEqual([`${base}/file`]);
  });
});
