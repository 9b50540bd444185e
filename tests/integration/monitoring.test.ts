/**
 * Monitoring with the real processes: health, JSON and Prometheus metrics
 * (checked by promtool), queue and status reports, who may see them, the
 * sampler and its alerts (to a loopback webhook), and the cleanup.
 */
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MetricsSnapshot, QueueReport } from "../../app/lib/monitoring";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { analyzed, createToken, plainFormat } from "../support/api";
import { Client, signedUpClient, uniqueEmail } from "../support/http";

const METRICS_TOKEN = randomBytes(24).toString("hex");
const SESSION_SECRET = randomBytes(24).toString("hex");
const ADMIN_EMAIL = uniqueEmail("ops-admin");
const bearer = { Authorization: `Bearer ${METRICS_TOKEN}` };

let fixtures: MediaFixtures;
let origin: Origin;
let app: RunningApp;
let sql: postgres.Sql;
let admin: Client;
let user: Client & { email: string };
let webhook: Server;
const webhookCalls: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures);
  webhook = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      webhookCalls.push({ method: req.method, contentType: req.headers["content-type"], ...(JSON.parse(body) as Record<string, unknown>) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", resolve));
  app = await startApp({
    env: {
      ...egressAllow(origin),
      // A Redis database of its own: the counters start from zero whatever ran before.
      REDIS_URL: process.env.REDIS_URL!.replace(/\/\d+$/, "/3"),
      ADMIN_EMAILS: ADMIN_EMAIL,
      METRICS_TOKEN,
      SESSION_SECRET,
      METRICS_SAMPLE_SECONDS: "1",
      // Every process is above 16 MB: the memory alert fires on the first sample.
      MEMORY_WARN_MB: "16",
      ALERT_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hooks/secret-path`,
      MAX_TOKENS_PER_USER: "1",
    },
  });
  sql = postgres(process.env.DATABASE_URL!, { max: 2 });
  admin = new Client(app.baseUrl);
  const password = "a long enough password";
  expect((await admin.post("/signup", { email: ADMIN_EMAIL, password, confirmPassword: password })).status).toBe(302);
  user = await signedUpClient(app.baseUrl, "ops-user");
});

afterAll(async () => {
  await app?.stop();
  await origin?.close();
  await sql?.end();
  await new Promise((resolve) => webhook?.close(resolve));
});

async function getJson<T>(client: Client | null, path: string, headers: Record<string, string> = {}) {
  const response = client ? await client.request(path, { headers }) : await fetch(`${app.baseUrl}${path}`, { headers });
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value)) {
    if (Date.now() > deadline) throw new Error(`condition not met; last value: ${JSON.stringify(value)}`);
    await sleep(200);
    value = await read();
  }
  return value;
}

type Health = { status: string; checks: Record<string, { status: string; version?: string; workersOnline?: number; latencyMs?: number }> };

describe("health", () => {
  it("is public and names every check, with the tools' versions", async () => {
    const { status, body } = await eventually(
      () => getJson<Health>(null, "/api/monitoring/health"),
      (r) => r.body.checks.queue.status === "ok",
    );
    expect(status).toBe(200);
    expect(Object.keys(body.checks).sort()).toEqual(["eventLoopLag", "ffmpeg", "memory", "postgres", "queue", "redis", "ytDlp"]);
    expect(body.checks.postgres.status).toBe("ok");
    expect(body.checks.redis.status).toBe("ok");
    expect(body.checks.queue.workersOnline).toBeGreaterThanOrEqual(1);
    expect(body.checks.ytDlp.version).toMatch(/^\d{4}\.\d{2}\.\d{2}/);
    expect(body.checks.ffmpeg.version).toMatch(/^\d/);
    // MEMORY_WARN_MB=16 here: memory alone makes it degraded, still a 200.
    expect(body.checks.memory.status).toBe("degraded");
    expect(body.status).toBe("degraded");
  });
});

describe("who may see the operators' endpoints", () => {
  const readers = ["/api/monitoring/metrics", "/api/monitoring/queues", "/api/monitoring/status", "/metrics"];

  it("asks anonymous clients to sign in, and refuses signed-in non-admins", async () => {
    for (const path of readers) {
      const anonymous = await getJson<{ error: { code: string } }>(null, path);
      expect([path, anonymous.status, anonymous.body.error.code]).toEqual([path, 401, "unauthenticated"]);
      const plain = await getJson<{ error: { code: string } }>(user, path);
      expect([path, plain.status, plain.body.error.code]).toEqual([path, 403, "forbidden"]);
    }
    expect((await fetch(`${app.baseUrl}/api/monitoring/cleanup`, { method: "POST" })).status).toBe(401);
    expect((await user.request("/api/monitoring/cleanup", { method: "POST" })).status).toBe(403);
    expect((await user.request("/dashboard")).status).toBe(403);
    expect((await fetch(`${app.baseUrl}/dashboard`, { redirect: "manual" })).headers.get("location")).toMatch(/^\/login\?redirectTo=%2Fdashboard/);
  });

  it("takes the metrics token for reading, never for the cleanup", async () => {
    for (const path of readers) expect([path, (await fetch(`${app.baseUrl}${path}`, { headers: bearer })).status]).toEqual([path, 200]);
    const wrong = await getJson<{ error: { code: string } }>(null, "/api/monitoring/metrics", { Authorization: "Bearer not-the-token" });
    expect([wrong.status, wrong.body.error.code]).toEqual([401, "invalid_token"]);
    expect((await fetch(`${app.baseUrl}/api/monitoring/cleanup`, { method: "POST", headers: bearer })).status).toBe(401);
  });
});

describe("the dashboard's admin actions", () => {
  it("refuse non-admins and explain bad input", async () => {
    expect((await user.post("/dashboard", { intent: "set-tier", email: user.email, tier: "pro" })).status).toBe(403);
    const badId = await admin.post("/dashboard", { intent: "revoke", tokenId: "not-an-id" });
    expect(badId.status).toBe(400);
    expect(await badId.text()).toContain("Not a download link id.");
    const unknown = await admin.post("/dashboard", { intent: "set-tier", email: "nobody@example.com", tier: "pro" });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("No account uses nobody@example.com.");
    expect((await admin.post("/dashboard", { intent: "revoke", tokenId: randomUUID() })).status).toBe(404);
  });
});

describe("metrics", () => {
  const snapshot = async () => (await getJson<MetricsSnapshot>(admin, "/api/monitoring/metrics")).body;

  it("counts analyses, the cache, links created and refused, and bytes served", async () => {
    const before = await snapshot();
    const first = await analyzed(user, origin.url("mp4"));
    await analyzed(user, origin.url("mp4"));
    const created = await createToken(user, first.requestId, plainFormat(first).id);
    expect(created.status).toBe(201);
    const refused = await createToken(user, first.requestId, plainFormat(first).id);
    expect(refused.body.error?.code).toBe("too_many_active_tokens");
    const download = await fetch(`${app.baseUrl}${created.body.streamUrl}`);
    expect((await download.arrayBuffer()).byteLength).toBe(fixtures.files.mp4.size);

    const after = await eventually(snapshot, (s) => s.streams.completed === before.streams.completed + 1);
    expect(after.streams.bytesServed - before.streams.bytesServed).toBe(fixtures.files.mp4.size);
    expect(after.streams.successRate).toBe(1);
    expect(after.tokens.created - before.tokens.created).toBe(1);
    expect((after.tokens.refusedByReason.too_many_active_tokens ?? 0) - (before.tokens.refusedByReason.too_many_active_tokens ?? 0)).toBe(1);
    expect(after.analysis.cache.hits - before.analysis.cache.hits).toBe(1);
    expect(after.analysis.cache.misses - before.analysis.cache.misses).toBe(1);
    expect(after.analysis.latencyMs.p50).toBeGreaterThan(0);
    expect(after.analysis.processingMs.p95).toBeGreaterThan(0);
    expect(after.analysis.completedLastHour).toBeGreaterThanOrEqual(1);
    expect(after.queues.analysis).toBeDefined();
  });

  it("has the worker processes' own figures beside the web's", async () => {
    const { processes } = await eventually(snapshot, (s) => s.processes.some((p) => p.service === "worker"));
    const worker = processes.find((p) => p.service === "worker")!;
    expect(worker.pid).toBe(app.worker!.pid);
    expect(processes.find((p) => p.service === "web")!.pid).toBe(app.web.pid);
    for (const p of processes) {
      expect(p.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
      expect(p.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(p.eventLoopLagMs).toBeGreaterThanOrEqual(0);
    }
  });

  it("speaks Prometheus' text format, accepted by promtool, worker metrics included", async () => {
    // The analysis histogram is published by the worker with its next report.
    const text = await eventually(
      async () => (await fetch(`${app.baseUrl}/metrics`, { headers: bearer })).text(),
      (t) => /tvn_analysis_duration_seconds_count\{[^}]*service="worker"/.test(t),
    );
    expect(text).toMatch(/process_resident_memory_bytes\{service="worker",instance="[^"]+"\} \d+/);
    expect(text).toMatch(/process_resident_memory_bytes\{service="web",instance="[^"]+"\} \d+/);
    expect(text).toMatch(/^tvn_streams_total\{outcome="completed"\} [1-9]/m);
    expect(text).toMatch(/^tvn_tokens_refused_total\{reason="too_many_active_tokens"\} 1$/m);
    expect(text).toMatch(/^tvn_queue_workers\{queue="analysis"\} [1-9]/m);

    const promtool = spawn("promtool", ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    promtool.stdout.on("data", (c: Buffer) => (output += c.toString()));
    promtool.stderr.on("data", (c: Buffer) => (output += c.toString()));
    promtool.stdin.end(text);
    const code = await new Promise<number | null>((resolve) => promtool.once("close", resolve));
    expect({ code, output }).toEqual({ code: 0, output: "" });

    const negotiated = await fetch(`${app.baseUrl}/api/monitoring/metrics`, { headers: { ...bearer, Accept: "text/plain;version=0.0.4;q=0.5,*/*;q=0.1" } });
    expect(negotiated.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

describe("queues and status", () => {
  it("reports each queue's counts, workers and throughput", async () => {
    const { body } = await getJson<{ queues: QueueReport[] }>(admin, "/api/monitoring/queues");
    expect(body.queues.map((q) => q.name)).toEqual(["analysis", "maintenance"]);
    const analysis = body.queues[0];
    for (const key of [
      "waiting",
      "active",
      "delayed",
      "completed",
      "failed",
      "workers",
      "completedPerMinute",
      "failedPerMinute",
      "completedLastHour",
    ] as const) {
      expect(typeof analysis[key], key).toBe("number");
    }
    expect(typeof analysis.paused).toBe("boolean");
    expect(analysis.workers).toBeGreaterThanOrEqual(1);
    expect(analysis.completed).toBeGreaterThanOrEqual(1);
    expect(analysis.oldestWaitingAgeSeconds).toBeNull();
  });

  it("tells versions, uptime and the effective configuration, without a secret", async () => {
    const response = await admin.request("/api/monitoring/status");
    const text = await response.text();
    const status = JSON.parse(text) as { version: string; node: string; ytDlp: string; uptimeSeconds: number; config: Record<string, unknown> };
    expect(status.version).toBe((JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version);
    expect(status.node).toBe(process.version);
    expect(status.ytDlp).toMatch(/^\d{4}\./);
    expect(status.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(status.config).toMatchObject({ MAX_TOKENS_PER_USER: 1, METRICS_SAMPLE_SECONDS: 1, SESSION_SECRET: "[redacted]", METRICS_TOKEN: "[redacted]" });
    for (const secret of [METRICS_TOKEN, SESSION_SECRET, "secret-path"]) expect(text).not.toContain(secret);
  });
});

describe("the sampler and its alerts", () => {
  it("records a sample every second and fires the memory alert: log, webhook and dashboard", async () => {
    const count = async () => (await sql<{ n: number }[]>`select count(*)::int as n from metric_samples where created_at > now() - interval '1 minute'`)[0].n;
    const start = await count();
    await eventually(count, (n) => n >= start + 3);
    const [latest] = await sql<
      { data: { processes: Array<{ service: string }>; streams: { completed: number } } }[]
    >`select data from metric_samples order by created_at desc limit 1`;
    expect(latest.data.processes.map((p) => p.service).sort()).toEqual(["web", "worker"]);

    const firing = await eventually(
      () => Promise.resolve(webhookCalls.filter((c) => c.key === "memory")),
      (calls) => calls.length > 0,
    );
    expect(firing).toHaveLength(1);
    expect(firing[0]).toMatchObject({
      method: "POST",
      contentType: "application/json",
      source: "taivideonhanh",
      key: "memory",
      status: "firing",
      threshold: 16 * 1024 * 1024,
    });
    expect(app.output()).toContain('"alert":"memory"');

    const page = await (await admin.request("/dashboard")).text();
    expect(page).toContain('data-testid="alerts"');
    expect(page).toMatch(/The (web|worker) process \S+ uses \d+ MB/);
  });
});

describe("cleanup", () => {
  it("removes expired and revoked tokens past the grace period and old samples, and nothing else", async () => {
    const [owner] = await sql<{ id: string }[]>`select id from users where email = ${user.email}`;
    const [analysis] = await sql<{ id: string }[]>`
      insert into analysis_requests (user_id, url, url_hash, status) values (${owner.id}, 'http://example.com/v', 'h', 'completed') returning id`;
    const token = async (expiresAt: string, revokedAt: string | null) => {
      const id = randomUUID();
      await sql`
        insert into stream_tokens (id, user_id, token_hash, analysis_id, source_url, format_id, title, ext, delivery, expires_at, revoked_at)
        values (${id}, ${owner.id}, ${randomUUID()}, ${analysis.id}, 'http://example.com/v', 'mp4', 't', 'mp4', 'direct',
                now() + ${expiresAt}::interval, ${revokedAt === null ? null : sql`now() + ${revokedAt}::interval`})`;
      return id;
    };
    const expiredLongAgo = await token("-2 days", null);
    const revokedLongAgo = await token("1 hour", "-2 days");
    const expiredRecently = await token("-1 hour", null);
    const active = await token("30 minutes", null);
    for (const age of ["25 hours", "2 days", "3 days"]) await sql`insert into metric_samples (created_at, data) values (now() - ${age}::interval, '{}'::jsonb)`;
    const recentSamples = (await sql<{ n: number }[]>`select count(*)::int as n from metric_samples where created_at > now() - interval '1 hour'`)[0].n;

    const response = await admin.request("/api/monitoring/cleanup", { method: "POST" });
    expect(response.status).toBe(200);
    const { removed } = (await response.json()) as {
      removed: { tokens: number; samples: number; sessions: number; jobs: Record<string, { completed: number; failed: number }> };
    };
    expect(removed.tokens).toBe(2);
    expect(removed.samples).toBe(3);
    expect(removed.jobs).toHaveProperty("analysis");

    const left = (await sql<{ id: string }[]>`select id from stream_tokens where id in ${sql([expiredLongAgo, revokedLongAgo, expiredRecently, active])}`)
      .map((r) => r.id)
      .sort();
    expect(left).toEqual([expiredRecently, active].sort());
    expect(
      (await sql<{ n: number }[]>`select count(*)::int as n from metric_samples where created_at > now() - interval '1 hour'`)[0].n,
    ).toBeGreaterThanOrEqual(recentSamples);
    // Live sessions survive: the admin is still signed in.
    expect((await admin.request("/api/monitoring/status")).status).toBe(200);
    expect((await admin.request("/api/monitoring/cleanup")).status).toBe(405);
  });
});
