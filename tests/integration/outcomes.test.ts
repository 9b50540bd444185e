/**
 * Outcomes told apart (issue 19.5): a client killed mid-download is
 * `aborted`, not an error: the failure counters, the dashboard's recent
 * failures and the error-rate alert stay untouched, while a source that
 * breaks mid-download is still counted as `failed`. Real processes: curl
 * killed with SIGKILL, the sampler running every second with a low alert
 * threshold.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import type { Alert, AlertEvent, MetricsSnapshot, RecentFailure } from "../../app/lib/monitoring";
import { ensureMediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { analyzed, createToken, plainFormat } from "../support/api";
import { curl } from "../support/curl";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { Client, signedUpClient, uniqueEmail } from "../support/http";
import { waitFor } from "../support/wait";

const ADMIN_EMAIL = uniqueEmail("outcomes-admin");
const KILLED = 6;
const tmp = mkdtempSync(path.join(os.tmpdir(), "tvn-outcomes-"));

let origin: Origin;
let app: RunningApp;
let admin: Client;
let user: Client;
let sql: postgres.Sql;
const redisUrl = process.env.REDIS_URL!.replace(/\/\d+$/, "/6");
const redis = new Redis(redisUrl);

beforeAll(async () => {
  origin = await startOrigin(await ensureMediaFixtures(), { throttleBytesPerSecond: 32 * 1024 });
  app = await startApp({
    env: {
      ...egressAllow(origin),
      // A Redis database of its own: counters and alerts start from zero.
      REDIS_URL: redisUrl,
      ADMIN_EMAILS: ADMIN_EMAIL,
      SESSION_SECRET: randomBytes(24).toString("hex"),
      METRICS_SAMPLE_SECONDS: "1",
      ERROR_RATE_WARN: "0.1",
      MAX_TOKENS_PER_USER: "50",
      MAX_TOKENS_PER_HOUR: "100",
      FREE_TIER_DAILY: "100",
      MAX_CONCURRENT_STREAMS: "20",
      API_RATE_LIMIT_PER_MINUTE: "100000",
    },
  });
  sql = postgres(process.env.DATABASE_URL!, { max: 2 });
  admin = new Client(app.baseUrl);
  const password = "a long enough password";
  expect((await admin.post("/signup", { email: ADMIN_EMAIL, password, confirmPassword: password })).status).toBe(302);
  user = await signedUpClient(app.baseUrl, "outcomes");
});

afterAll(async () => {
  await app?.stop();
  await origin?.close();
  await sql?.end();
  redis.disconnect();
});

async function snapshot() {
  const response = await admin.request("/api/monitoring/metrics");
  const text = await response.text();
  if (response.status !== 200 || !text) throw new Error(`metrics answered ${response.status}: ${text} ${JSON.stringify([...response.headers])}`);
  return JSON.parse(text) as MetricsSnapshot;
}
/** What the dashboard shows of alerts and failures, read where the app keeps them. */
async function board() {
  const [alerts, events, failures] = await Promise.all([
    redis.hvals("monitoring:alerts:active"),
    redis.lrange("monitoring:alerts:recent", 0, -1),
    redis.lrange("monitoring:failures", 0, -1),
  ]);
  const parse = <T>(values: string[]) => values.map((v) => JSON.parse(v) as T);
  return { alerts: parse<Alert>(alerts), alertEvents: parse<AlertEvent>(events), recentFailures: parse<RecentFailure>(failures) };
}

/** A sample taken after `since` (the sampler evaluates the alerts with each one). */
async function sampleAfter(since: Date) {
  await waitFor(async () => (await sql`select 1 from metric_samples where created_at > ${since} limit 1`).length > 0, { message: "a sample" });
}

async function link(url: string) {
  const analysis = await analyzed(user, url);
  const created = await createToken(user, analysis.requestId, plainFormat(analysis).id);
  expect(created.status).toBe(201);
  return `${app.baseUrl}${created.body.streamUrl}`;
}

/** curl downloading `url` (a throttled source), killed with SIGKILL once it has received some bytes. */
async function killMidDownload(url: string) {
  const file = path.join(tmp, `${randomBytes(6).toString("hex")}.part`);
  const client = spawn("curl", ["-s", "-o", file, url]);
  await waitFor(() => existsSync(file) && statSync(file).size > 0, { message: "the download to start" });
  client.kill("SIGKILL");
  await new Promise((resolve) => client.once("close", resolve));
}

describe("download outcomes", () => {
  it("records killed clients as aborted, never as errors: counters, recent failures and the error-rate alert untouched", async () => {
    const before = await snapshot();
    const url = await link(origin.slowUrl("mp4"));
    const started = new Date();
    await Promise.all(Array.from({ length: KILLED }, () => killMidDownload(url)));

    const after = await waitFor(
      async () => {
        const s = await snapshot();
        return s.streams.aborted - before.streams.aborted >= KILLED ? s : null;
      },
      { message: "the killed downloads to be counted as aborted" },
    );
    expect(after.streams.aborted - before.streams.aborted).toBe(KILLED);
    expect(after.streams.failed).toBe(before.streams.failed);
    expect(after.streams.errorsByReason).toEqual(before.streams.errorsByReason);
    expect(after.streams.errorRate).toBe(before.streams.errorRate);

    // Several samples later, with a 10 % threshold, no error-rate alert and no failure listed.
    await sampleAfter(new Date(Date.now() + 1_500));
    const shown = await board();
    expect(shown.alerts.filter((a) => a.key === "error_rate")).toEqual([]);
    expect(shown.alertEvents.filter((a) => a.key === "error_rate")).toEqual([]);
    expect(shown.recentFailures.filter((f) => f.kind === "stream" && Date.parse(f.at) >= started.getTime())).toEqual([]);
  });

  it("still counts a source that breaks mid-download as failed, with its reason", async () => {
    const before = await snapshot();
    const media = origin.switchable("mp4");
    const url = await link(media.url);
    media.set({ kind: "truncate", afterBytes: 100_000 });
    const cut = await curl(["-o", "/dev/null", url]);
    expect(cut.exit).toBe(18);

    const after = await waitFor(
      async () => {
        const s = await snapshot();
        return s.streams.failed > before.streams.failed ? s : null;
      },
      { message: "the failure to be counted" },
    );
    expect(after.streams.failed - before.streams.failed).toBe(1);
    expect(after.streams.aborted).toBe(before.streams.aborted);
    expect(Object.values(after.streams.errorsByReason).reduce((a, b) => a + b, 0)).toBe(
      Object.values(before.streams.errorsByReason).reduce((a, b) => a + b, 0) + 1,
    );
    expect((await board()).recentFailures.some((f) => f.kind === "stream")).toBe(true);
  });
});
