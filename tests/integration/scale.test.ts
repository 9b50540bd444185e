/**
 * Two web processes and two workers on one Postgres and one Redis, the way
 * the platform scales out: nothing one process knows is kept from the others.
 */
import { createHash, randomBytes } from "node:crypto";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StreamEnd, StreamProgress } from "../../app/lib/socket-events";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { analyzed, createToken, plainFormat } from "../support/api";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { Client, signedUpClient } from "../support/http";

let fixtures: MediaFixtures;
let origin: Origin;
let webA: RunningApp;
let webB: RunningApp;
let alice: Client & { email: string };
let aliceOnB: Client;
const sockets: Socket[] = [];

// Both nodes must sign sessions and links with the same secrets, as a real deployment's do.
const shared = {
  SESSION_SECRET: randomBytes(24).toString("hex"),
  STREAM_TOKEN_SECRET: randomBytes(24).toString("hex"),
  REDIS_URL: process.env.REDIS_URL!.replace(/\/\d+$/, "/6"),
  MAX_TOKENS_PER_USER: "100",
  FREE_TIER_DAILY: "100",
  JOB_LOCK_SECONDS: "3",
};

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures, { throttleBytesPerSecond: 256 * 1024 });
  // A: web + worker 1. B: web only; worker 2 is started later, beside A's.
  const env = { ...shared, ...egressAllow(origin) };
  [webA, webB] = await Promise.all([startApp({ env }), startApp({ env, worker: false })]);
  alice = await signedUpClient(webA.baseUrl, "scale");
  // The same session cookie works on B: sessions live in Postgres, not in a process.
  aliceOnB = new Client(webB.baseUrl);
});

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await Promise.all([webA?.stop(), webB?.stop()]);
  await origin?.close();
});

const withSession = (init: RequestInit = {}) => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), Cookie: `tvn_session=${alice.cookie("tvn_session")}` },
});

function socketOn(baseUrl: string) {
  const socket = io(baseUrl, { transports: ["websocket"], extraHeaders: { Cookie: `tvn_session=${alice.cookie("tvn_session")}` } });
  sockets.push(socket);
  return new Promise<Socket>((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

describe("two web processes, two workers", () => {
  it("streams through web B a link created on web A, and B's progress reaches a socket on A", async () => {
    const socketOnA = await socketOn(webA.baseUrl);
    const progress: StreamProgress[] = [];
    const ends: StreamEnd[] = [];
    socketOnA.on("stream:progress", (p) => progress.push(p));
    socketOnA.on("stream:end", (e) => ends.push(e));

    const analysis = await analyzed(alice, origin.slowUrl("mp4"));
    const { status, body } = await createToken(alice, analysis.requestId, plainFormat(analysis).id);
    expect(status).toBe(201);
    const response = await fetch(`${webB.baseUrl}${body.streamUrl}`);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(fixtures.files.mp4.sha256);

    await expect.poll(() => ends.find((e) => e.tokenId === body.tokenId)?.status, { timeout: 10_000 }).toBe("completed");
    expect(progress.filter((p) => p.tokenId === body.tokenId).length).toBeGreaterThan(1);
    // Exactly one end event: the adapter delivers each emit once, however many web processes there are.
    expect(ends.filter((e) => e.tokenId === body.tokenId)).toHaveLength(1);
  });

  it("revokes on A a download running on B", async () => {
    const analysis = await analyzed(alice, origin.slowUrl("webm"));
    const { body } = await createToken(alice, analysis.requestId, plainFormat(analysis).id);
    const response = await fetch(`${webB.baseUrl}${body.streamUrl}`);
    const reader = response.body!.getReader();
    await reader.read();
    expect((await alice.request(`/api/streaming/token/${encodeURIComponent(body.token)}`, { method: "DELETE" })).status).toBe(204);
    const drain = async () => {
      for (;;) if ((await reader.read()).done) return;
    };
    await expect(drain()).rejects.toThrow();
  });

  it("holds the hourly limit across both nodes: the 21st link in the hour is refused whichever node gets it", async () => {
    const analysis = await analyzed(alice, origin.url("m4a"));
    const target = JSON.stringify({ requestId: analysis.requestId, formatId: plainFormat(analysis).id });
    // Two links were made in the tests above.
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const base = i % 2 ? webB.baseUrl : webA.baseUrl;
      const response = await fetch(
        `${base}/api/streaming/token`,
        withSession({ method: "POST", headers: { "Content-Type": "application/json" }, body: target }),
      );
      statuses.push(response.status);
      if (response.status === 429) expect(((await response.json()) as { error: { code: string } }).error.code).toBe("hourly_limit");
    }
    expect(statuses.slice(0, 18).every((s) => s === 201)).toBe(true);
    expect(statuses.slice(18)).toEqual([429, 429]);
  });

  it("loses nothing when the worker running an analysis is SIGKILLed: the other worker finishes it", async () => {
    const worker1 = webA.worker!;
    const response = await alice.request("/api/streaming/analyze", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ url: origin.delayedPageUrl("video", 4_000) }),
    });
    const { requestId } = (await response.json()) as { requestId: string };
    const status = async () => ((await (await aliceOnB.request(`/api/streaming/analyze/${requestId}`, withSession())).json()) as { status: string }).status;
    await expect.poll(status, { timeout: 10_000 }).toBe("active");

    const worker2 = webA.spawnWorker();
    // Worker 2 must be consuming before worker 1 dies: wait until the queue counts both.
    const workersOnline = async () =>
      ((await (await fetch(`${webA.baseUrl}/api/monitoring/health`)).json()) as { checks: { queue: { workersOnline?: number } } }).checks.queue.workersOnline ??
      0;
    await expect.poll(workersOnline, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    worker1.kill("SIGKILL");
    await expect.poll(status, { timeout: 40_000, interval: 500 }).toBe("completed");
    expect(worker2.exitCode).toBeNull();
  });
});
