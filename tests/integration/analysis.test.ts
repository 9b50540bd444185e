/**
 * The analysis pipeline end to end: API → BullMQ → a real worker process →
 * real yt-dlp and ffprobe against the loopback origin → Postgres, the Redis
 * cache and socket.io.
 */
import { execFileSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import postgres from "postgres";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnalysisUpdate } from "../../app/lib/socket-events";
import { waitForExit } from "../../scripts/lib/services";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { Client, signedUpClient } from "../support/http";
import { waitFor } from "../support/wait";

type View = {
  requestId: string;
  status: string;
  stage: string;
  progress: number;
  cached: boolean;
  statusUrl?: string;
  attempts?: number;
  result?: { title: string; thumbnail: string | null; durationSeconds: number | null; formats: Array<Record<string, unknown>> };
  error?: { code: string; message: string };
};

let fixtures: MediaFixtures;
let origin: Origin;
let app: RunningApp;
let sql: postgres.Sql;
let alice: Client;

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures);
  app = await startApp({
    env: { ...egressAllow(origin), ANALYSIS_TIMEOUT_SECONDS: "5", ANALYSIS_ATTEMPTS: "2", JOB_LOCK_SECONDS: "4" },
  });
  sql = postgres(process.env.DATABASE_URL!, { max: 2 });
  alice = await signedUpClient(app.baseUrl, "alice");
});

afterAll(async () => {
  await app?.stop();
  await origin?.close();
  await sql?.end();
});

async function analyze(client: Client, url: string) {
  const response = await client.request("/api/streaming/analyze", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ url }),
  });
  return { response, body: (await response.json()) as View };
}

async function waitForResult(client: Client, requestId: string, timeoutMs = 40_000): Promise<View> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const view = (await (await client.request(`/api/streaming/analyze/${requestId}`)).json()) as View;
    if (view.status === "completed" || view.status === "failed") return view;
    await sleep(150);
  }
  throw new Error(`analysis ${requestId} did not finish in ${timeoutMs} ms:\n${app.output().slice(-3000)}`);
}

async function analyzeAndWait(client: Client, url: string) {
  const { response, body } = await analyze(client, url);
  expect([200, 202]).toContain(response.status);
  return waitForResult(client, body.requestId);
}

const plainFormats = (view: View) => view.result!.formats.filter((f) => !f.derived);

describe("POST /api/streaming/analyze", () => {
  it("accepts a direct mp4 URL with 202 and a statusUrl, then completes with real format details", async () => {
    const { response, body } = await analyze(alice, origin.url("mp4"));
    expect(response.status).toBe(202);
    expect(body).toMatchObject({ status: "queued", statusUrl: `/api/streaming/analyze/${body.requestId}` });
    expect(response.headers.get("location")).toBe(body.statusUrl);

    const view = await waitForResult(alice, body.requestId);
    expect(view.status).toBe("completed");
    expect(view.progress).toBe(100);
    const [mp4] = plainFormats(view);
    // yt-dlp's generic extractor knows nothing of the file; ffprobe filled it in.
    expect(mp4).toMatchObject({
      ext: "mp4",
      delivery: "direct",
      width: 640,
      height: 360,
      vcodec: "h264",
      acodec: "aac",
      hasVideo: true,
      hasAudio: true,
      badge: "SD",
    });
    expect(mp4.filesize).toBe(fixtures.files.mp4.size);
    expect(view.result!.durationSeconds).toBeCloseTo(fixtures.files.mp4.durationSeconds, 0);
    expect(view.result!.formats.find((f) => f.derived === "audio")).toMatchObject({ kind: "audio", ext: "m4a", delivery: "pipe" });
  });

  it("finds both formats of a page with a <video> element, its title and thumbnail", async () => {
    const view = await analyzeAndWait(alice, origin.pageUrl("video"));
    expect(view.status).toBe("completed");
    expect(view.result!.title).toContain("Tải video nhanh – thử nghiệm");
    expect(view.result!.thumbnail).toBe(origin.url("thumbnail"));
    expect(
      plainFormats(view)
        .map((f) => f.ext)
        .sort(),
    ).toEqual(["mp4", "webm"]);
    expect(plainFormats(view).find((f) => f.ext === "webm")).toMatchObject({ vcodec: "vp9", acodec: "opus" });
    // The media URLs the page named stay on the server.
    expect(JSON.stringify(view)).not.toContain("/media/sample");
  });

  it("analyses an HLS playlist as a pipe format", async () => {
    const view = await analyzeAndWait(alice, origin.url("hls"));
    expect(view.status).toBe("completed");
    expect(plainFormats(view)).toEqual([expect.objectContaining({ protocol: "m3u8_native", delivery: "pipe", height: 180, filesize: null })]);
  });

  it("keeps a Vietnamese title intact", async () => {
    const view = await analyzeAndWait(alice, origin.url("vietnamese"));
    expect(view.result!.title).toBe("Tải video nhanh – thử nghiệm");
  });

  it("fails a 404 at once, without retrying, with a message for people", async () => {
    const view = await analyzeAndWait(alice, `${origin.baseUrl}/status/404`);
    expect(view).toMatchObject({ status: "failed", error: { code: "not_found" } });
    expect(view.error!.message).toMatch(/not found/i);
    const [row] = await sql`select attempts from analysis_requests where id = ${view.requestId}`;
    expect(row.attempts).toBe(1);
  });

  it("says no video was found on a page without one", async () => {
    const view = await analyzeAndWait(alice, origin.pageUrl("novideo"));
    expect(view).toMatchObject({ status: "failed", error: { code: "no_video", message: "No video was found at this address." } });
  });

  it("refuses a text file as no_video, though yt-dlp offers it as a direct link", async () => {
    const view = await analyzeAndWait(alice, `${origin.baseUrl}/text/notes.txt`);
    expect(view).toMatchObject({ status: "failed", error: { code: "no_video" } });
    expect(view.result).toBeUndefined();
  });

  it("names the recommended format: the video with sound, not the audio conversion", async () => {
    const view = await analyzeAndWait(alice, origin.pageUrl("video"));
    const result = view.result as unknown as { recommendedFormatId: string; formats: Array<{ id: string; kind: string; ext: string; derived: string | null }> };
    const recommended = result.formats.find((f) => f.id === result.recommendedFormatId);
    expect(recommended).toMatchObject({ kind: "video+audio", ext: "mp4", derived: null });
  });

  it("kills yt-dlp on a URL that hangs, retries, then fails with a timeout", async () => {
    const view = await analyzeAndWait(alice, `${origin.baseUrl}/hang`);
    expect(view).toMatchObject({ status: "failed", error: { code: "timeout" } });
    const [row] = await sql`select attempts from analysis_requests where id = ${view.requestId}`;
    expect(row.attempts).toBe(2);
    // No yt-dlp left running against the hanging URL (it is stopped with SIGTERM, then SIGKILL): wait for it to go.
    const running = () =>
      execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
        .split("\n")
        .filter((line) => line.includes(`${origin.baseUrl}/hang`));
    await waitFor(() => running().length === 0, { timeoutMs: 20_000, intervalMs: 200, message: "no yt-dlp left on /hang" }).catch(() => {});
    expect(running()).toEqual([]);
  });

  it("answers a repeated URL from the cache, without touching the origin", async () => {
    const url = origin.url("webm");
    const first = await analyzeAndWait(alice, url);
    expect(first.cached).toBe(false);
    const redis = new Redis(process.env.REDIS_URL!);
    const hitsBefore = Number(await redis.get("analysis:cache:hits"));
    const requestsBefore = origin.requests;

    // Same page: a fragment and tracking parameters do not make it a new URL.
    const { response, body } = await analyze(await signedUpClient(app.baseUrl, "cache"), `${url}?utm_source=newsletter#t=10`);
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ status: "completed", cached: true });
    expect(body.result!.formats).toEqual(first.result!.formats);
    expect(origin.requests).toBe(requestsBefore);
    expect(Number(await redis.get("analysis:cache:hits"))).toBe(hitsBefore + 1);
    redis.disconnect();
  });

  it("refuses bad input with a clear error in one shape", async () => {
    const cases: Array<[unknown, string, number]> = [
      [{ url: "ftp://example.com/video.mp4" }, "invalid_url", 400],
      [{ url: "not a url" }, "invalid_url", 400],
      [{ url: "http://localhost/video" }, "invalid_url", 400],
      [{ url: `https://example.com/${"a".repeat(2100)}` }, "invalid_url", 400],
      [{}, "invalid_url", 400],
    ];
    for (const [payload, code, status] of cases) {
      const response = await alice.request("/api/streaming/analyze", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
      });
      expect(response.status).toBe(status);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(code);
      expect(body.error.message.length).toBeGreaterThan(5);
    }
    const malformed = await alice.request("/api/streaming/analyze", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{nope" });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe("invalid_body");

    const asForm = await alice.post("/api/streaming/analyze", { url: origin.url("mp4") });
    expect([200, 202]).toContain(asForm.status);
  });

  it("needs a session, and shows an analysis to its owner only", async () => {
    const anonymous = await fetch(`${app.baseUrl}/api/streaming/analyze`, {
      method: "POST",
      body: JSON.stringify({ url: origin.url("mp4") }),
      headers: { "Content-Type": "application/json" },
    });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe("unauthenticated");

    const { body } = await analyze(alice, origin.url("m4a"));
    const mallory = await signedUpClient(app.baseUrl, "mallory");
    const peek = await mallory.request(`/api/streaming/analyze/${body.requestId}`);
    expect(peek.status).toBe(404);
    expect(await peek.json()).toEqual({ error: { code: "not_found", message: "No analysis with this id." } });
    expect((await mallory.request("/api/streaming/analyze/not-a-uuid")).status).toBe(404);
  });
});

describe("the analysis queue", () => {
  it("survives a worker killed mid-job: another worker finishes it", async () => {
    const { body } = await analyze(alice, origin.delayedPageUrl("video", 3_000));
    // Wait until the original worker has really taken the job.
    for (let i = 0; i < 100; i++) {
      const [row] = await sql`select status from analysis_requests where id = ${body.requestId}`;
      if (row.status === "active") break;
      await sleep(100);
    }
    app.worker!.kill("SIGKILL");
    await waitForExit(app.worker!, 5_000);
    // This file's 5 s analysis timeout would leave yt-dlp 2 s beside the page's 3 s delay, which a busy
    // machine can miss (twice, then the job fails): the replacement gets time enough, since takeover is what is tested.
    const replacement = app.spawnWorker({ ANALYSIS_TIMEOUT_SECONDS: "30" });
    const view = await waitForResult(alice, body.requestId, 60_000);
    expect(view.status).toBe("completed");
    expect(plainFormats(view)).toHaveLength(2);
    expect(replacement.exitCode).toBeNull();
  });

  it("runs pro users' analyses before free users' ones", async () => {
    // Its own Redis database, so no other test's worker drains this queue early.
    const ownRedis = process.env.REDIS_URL!.replace(/\/\d+$/, "/3");
    const queued = await startApp({
      worker: false,
      env: { REDIS_URL: ownRedis, ...egressAllow(origin), ANALYSIS_CONCURRENCY: "1", ANALYSIS_CACHE_TTL_SECONDS: "0" },
    });
    try {
      const free = await signedUpClient(queued.baseUrl, "free");
      const pro = await signedUpClient(queued.baseUrl, "pro");
      await sql`update users set tier = 'pro' where email = ${pro.email}`;

      const freeJobs = await Promise.all([1, 2, 3].map(() => analyze(free, origin.url("mkv"))));
      const proJob = await analyze(pro, origin.url("mkv"));
      queued.spawnWorker();
      const order = await Promise.all(
        [proJob, ...freeJobs].map(async ({ body }) => {
          const view = await waitForResult(body.requestId === proJob.body.requestId ? pro : free, body.requestId);
          const [row] = await sql`select started_at from analysis_requests where id = ${view.requestId}`;
          return row.started_at as Date;
        }),
      );
      const [proStarted, ...freeStarted] = order;
      expect(freeStarted.every((t) => proStarted < t)).toBe(true);
    } finally {
      await queued.stop();
    }
  });
});

describe("live progress over socket.io", () => {
  function connect(client: Client) {
    return new Promise<Socket>((resolve, reject) => {
      const socket = io(app.baseUrl, { transports: ["websocket"], extraHeaders: { Cookie: `tvn_session=${client.cookie("tvn_session")}` } });
      socket.on("connect", () => resolve(socket));
      socket.on("connect_error", reject);
    });
  }

  it("sends analysis:update events to the owner's sockets only", async () => {
    const bob = await signedUpClient(app.baseUrl, "bob");
    const [aliceSocket, bobSocket] = await Promise.all([connect(alice), connect(bob)]);
    const seenByAlice: AnalysisUpdate[] = [];
    const seenByBob: AnalysisUpdate[] = [];
    aliceSocket.on("analysis:update", (u) => seenByAlice.push(u));
    bobSocket.on("analysis:update", (u) => seenByBob.push(u));

    const { body } = await analyze(alice, `${origin.url("mkv")}?socket=${Date.now()}`);
    await waitForResult(alice, body.requestId);
    for (let i = 0; i < 50 && !seenByAlice.some((u) => u.status === "completed"); i++) await sleep(100);

    const mine = seenByAlice.filter((u) => u.requestId === body.requestId);
    expect(mine.map((u) => u.stage)).toEqual(expect.arrayContaining(["fetching", "probing", "parsing", "done"]));
    expect(mine.at(-1)).toMatchObject({ status: "completed", progress: 100 });
    expect(seenByBob.filter((u) => u.requestId === body.requestId)).toEqual([]);
    aliceSocket.close();
    bobSocket.close();
  });
});
