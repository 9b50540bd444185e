/**
 * Links that real download tools understand (issue 19.3, 19.4): the named
 * stream URL and its length, yt-dlp / curl -OJ / wget naming the file, and
 * the concurrent-download limit counting links, not connections: aria2c's
 * parallel Range requests, ffprobe's seeks and a wget -c resume all on the
 * one slot left, while a different fourth download is still refused.
 * Every tool is really run against the app; the media comes from a loopback
 * origin and is compared byte for byte.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, truncateSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureLargeFixture, ensureMediaFixtures, sha256File, type MediaFixture, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { analyzed, createToken, plainFormat } from "../support/api";
import { curl } from "../support/curl";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { signedUpClient, type Client } from "../support/http";
import { waitFor } from "../support/wait";

const run = promisify(execFile);
const tmp = mkdtempSync(path.join(os.tmpdir(), "tvn-clients-"));
const LARGE_BYTES = 6 * 1024 * 1024;
const VIETNAMESE_NAME = "Tải video nhanh – thử nghiệm.mp4";

let fixtures: MediaFixtures;
let large: MediaFixture;
let origin: Origin;
let app: RunningApp;
let alice: Client & { email: string };
let aliceId: string;
const redis = new Redis(process.env.REDIS_URL!);

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  large = await ensureLargeFixture(LARGE_BYTES);
  // The origin serves a folder of its own: the usual fixtures plus a file large enough for aria2c to split.
  const served = path.join(tmp, "origin");
  mkdirSync(served);
  const files = { ...fixtures.files };
  for (const name of ["mp4", "vietnamese"] as const) {
    files[name] = { ...files[name], file: path.join(served, path.basename(files[name].file)) };
    copyFileSync(fixtures.files[name].file, files[name].file);
  }
  copyFileSync(large.file, path.join(served, "large.mp4"));
  origin = await startOrigin({ dir: served, files }, { throttleBytesPerSecond: 16 * 1024 });
  // MAX_CONCURRENT_STREAMS and MAX_CONNECTIONS_PER_LINK stay at their defaults (3, 8). The per-address
  // budget is lifted: analyses are polled, and its 429 must not be mistaken for the stream limit's.
  app = await startApp({
    env: { ...egressAllow(origin), MAX_TOKENS_PER_USER: "50", MAX_TOKENS_PER_HOUR: "100", FREE_TIER_DAILY: "100", API_RATE_LIMIT_PER_MINUTE: "100000" },
  });
  alice = await signedUpClient(app.baseUrl, "clients");
  const sql = postgres(process.env.DATABASE_URL!, { max: 1 });
  [{ id: aliceId }] = await sql<{ id: string }[]>`select id from users where email = ${alice.email}`;
  await sql.end();
});

afterAll(async () => {
  await app?.stop();
  await origin?.close();
  redis.disconnect();
});

/** A fresh link to the first plain format of the media at `url`. */
async function linkTo(url: string) {
  const analysis = await analyzed(alice, url);
  const created = await createToken(alice, analysis.requestId, plainFormat(analysis).id);
  expect(created.status).toBe(201);
  return { ...created.body, url: `${app.baseUrl}${created.body.streamUrl}`, title: analysis.result.title };
}

/**
 * Downloads that hold slots: curl on a link whose source the origin throttles
 * (a fast source would be all in the loopback's socket buffers at once, the
 * download over for the server), until killed (the only sure way to make a
 * client really go). A slot another test just gave up
 * comes back once the server has seen that client go, so each claim is
 * retried until it holds.
 */
async function holdSlots(count: number) {
  // Downloads killed by the test before have ended for the server too: the slots are all free.
  await waitFor(async () => (await redis.zcount(`streams:slots:${aliceId}`, Date.now(), "+inf")) === 0, {
    timeoutMs: 30_000,
    message: "earlier downloads to end",
  });
  const clients: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    const link = await linkTo(origin.slowUrl("mp4"));
    const client = await waitFor(
      async () => {
        const file = path.join(tmp, `held-${clients.length}-${Date.now()}`);
        const curl = spawn("curl", ["-s", "-f", "-o", file, link.url]);
        const exited = new Promise((resolve) => curl.once("close", resolve));
        // Holding: bytes arrived and curl is still running (a refusal makes curl -f exit).
        const holding = await Promise.race([
          waitFor(() => existsSync(file) && statSync(file).size > 0, { message: "bytes" }).then(() => true),
          exited.then(() => false),
        ]);
        if (holding) return curl;
        curl.kill("SIGKILL");
        return null;
      },
      { timeoutMs: 30_000, message: "a free download slot" },
    );
    clients.push(client);
  }
  return { release: () => clients.forEach((c) => c.kill("SIGKILL")) };
}

describe("stream URLs with the file name", () => {
  it("describes a link to a HEAD (curl -I) without holding a download slot", async () => {
    const link = await linkTo(origin.slowUrl("mp4"));
    for (let i = 0; i < 5; i++) {
      const head = await fetch(link.url, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-disposition")).toContain("sample.mp4");
      expect(head.headers.get("accept-ranges")).toBe("bytes");
      expect(head.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect(await redis.zcard(`streams:slots:${aliceId}`)).toBe(0);
    const get = await fetch(link.url, { headers: { Range: "bytes=0-99" } });
    expect(get.status).toBe(206);
    expect((await get.arrayBuffer()).byteLength).toBe(100);
  });

  it("hands out /api/streaming/stream/<token>/<file name> under 200 characters, and the bare form still works", async () => {
    const link = await linkTo(origin.url("mp4"));
    expect(link.streamUrl).toMatch(/^\/api\/streaming\/stream\/[\w.-]+\/sample\.mp4$/);
    expect(link.fileName).toBe("sample.mp4");
    expect(link.url.length).toBeLessThan(200);

    const bare = link.url.slice(0, link.url.lastIndexOf("/"));
    for (const url of [link.url, bare]) {
      const file = path.join(tmp, `named-${url === bare ? "bare" : "named"}.mp4`);
      expect((await curl(["-o", file, url])).out).toBe(`200 ${fixtures.files.mp4.size}`);
      expect(await sha256File(file)).toBe(fixtures.files.mp4.sha256);
    }
  });

  it("URL-encodes a Vietnamese title in the path, with the right extension", async () => {
    const link = await linkTo(origin.url("vietnamese"));
    const name = link.streamUrl.split("/").at(-1)!;
    expect(name).toBe(encodeURIComponent(VIETNAMESE_NAME));
    expect(decodeURIComponent(name)).toBe(VIETNAMESE_NAME);
  });

  it("is saved as <title>.mp4 by yt-dlp (generic extractor on the direct URL), curl -OJ and wget --content-disposition", async () => {
    const link = await linkTo(origin.url("vietnamese"));
    for (const [tool, args] of [
      ["yt-dlp", ["--no-part", "--no-progress", "-q", "-o", "%(title)s.%(ext)s", link.url]],
      ["curl", ["-s", "-f", "-OJ", link.url]],
      ["wget", ["-q", "--content-disposition", link.url]],
    ] as const) {
      const dir = mkdtempSync(path.join(tmp, `${tool}-`));
      await run(tool, [...args], { cwd: dir });
      expect(readdirSync(dir), tool).toEqual([VIETNAMESE_NAME]);
      expect(await sha256File(path.join(dir, VIETNAMESE_NAME)), tool).toBe(fixtures.files.vietnamese.sha256);
    }
  });
});

describe("the concurrent-download limit counts links, not connections", () => {
  it("lets aria2c -x4 -s4 finish byte-exact on the one slot left, with no error line", async () => {
    const others = await holdSlots(2);
    try {
      const link = await linkTo(`${origin.baseUrl}/media/large.mp4`);
      const before = origin.log.length;
      const dir = mkdtempSync(path.join(tmp, "aria2-"));
      const { stdout, stderr } = await run("aria2c", [
        "-x4",
        "-s4",
        "-k1M",
        "--file-allocation=none",
        "--summary-interval=0",
        "-d",
        dir,
        "-o",
        "large.mp4",
        link.url,
      ]);
      const output = `${stdout}\n${stderr}`;
      expect(output).not.toMatch(/error|aborted|429/i);
      expect(output).toMatch(/Download complete/);
      expect(await sha256File(path.join(dir, "large.mp4"))).toBe(large.sha256);
      // Really in parallel: more than one of aria2c's connections was let through to the origin
      // (a refused one never gets there; aria2c may drop a spare one it no longer needs).
      const admitted = origin.log.slice(before).filter((r) => r.path.endsWith("/large.mp4"));
      expect(admitted.length).toBeGreaterThanOrEqual(2);
    } finally {
      others.release();
    }
  });

  it("lets ffprobe seek through a link and wget -c resume one on the last slot", async () => {
    const others = await holdSlots(2);
    try {
      const link = await linkTo(origin.url("mp4"));
      // Reading packets from the middle makes ffprobe seek: a second request (Range) on the same link.
      const { stdout } = await run("ffprobe", ["-v", "error", "-read_intervals", "1.5%+#3", "-show_entries", "packet=pts_time", "-of", "csv=p=0", link.url]);
      const times = stdout.trim().split("\n").map(Number);
      expect(times.length).toBeGreaterThanOrEqual(3);
      expect(Math.min(...times)).toBeGreaterThan(0.5);

      const file = path.join(tmp, "resumed.mp4");
      expect((await curl(["-o", file, link.url])).out).toBe(`200 ${fixtures.files.mp4.size}`);
      truncateSync(file, Math.floor(fixtures.files.mp4.size / 3));
      await run("wget", ["-q", "-c", "-O", file, link.url]);
      expect(statSync(file).size).toBe(fixtures.files.mp4.size);
      expect(await sha256File(file)).toBe(fixtures.files.mp4.sha256);
    } finally {
      others.release();
    }
  });

  it("still refuses a fourth different download with 429 while a running one opens more connections", async () => {
    const running = await holdSlots(3);
    try {
      const fourth = await linkTo(origin.url("mp4"));
      expect((await curl(["-o", "/dev/null", fourth.url])).out).toBe("429 0");

      // Connections on a link already downloading share its slot, up to MAX_CONNECTIONS_PER_LINK (8).
      const busy = await linkTo(origin.slowUrl("mp4"));
      const busyConnections = new AbortController();
      const { signal } = busyConnections;
      running.release();
      const first = await waitFor(async () => {
        const response = await fetch(busy.url, { signal });
        if (response.status === 200) return response;
        await response.body?.cancel();
        return null;
      });
      const rest = await Promise.all(Array.from({ length: 7 }, (_, i) => fetch(busy.url, { signal, headers: { Range: `bytes=${(i + 1) * 1000}-` } })));
      try {
        expect(rest.map((r) => r.status)).toEqual(rest.map(() => 206));
        const ninth = await fetch(busy.url);
        expect(ninth.status).toBe(429);
        expect(ninth.headers.get("x-error-code")).toBe("too_many_connections");
        expect((await ninth.arrayBuffer()).byteLength).toBe(0);
      } finally {
        expect([first, ...rest].every((r) => !r.bodyUsed)).toBe(true);
        busyConnections.abort();
      }
    } finally {
      running.release();
    }
  });
});
