/**
 * Health against dependencies that really stop: the app runs on a Postgres
 * and a Redis of this file's own, which the test stops and starts again on
 * the same ports, and health must follow (quickly, never hanging).
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "../../app/db/migrate.server";
import { startPostgres, startRedis } from "../../scripts/lib/services";
import { startApp, type RunningApp } from "../support/app";
import { waitFor } from "../support/wait";

type Health = { status: string; checks: Record<string, { status: string; error?: string }> };

const dir = mkdtempSync(path.join(os.tmpdir(), "tvn-health-"));
chmodSync(dir, 0o755);
const instance = (name: string) => ({
  dataDir: path.join(dir, name),
  logFile: path.join(dir, `${name}.log`),
  password: randomBytes(12).toString("hex"),
  ephemeral: true,
});
const pgSettings = instance("postgres");
const redisSettings = instance("redis");

let pg: Awaited<ReturnType<typeof startPostgres>>;
let redis: Awaited<ReturnType<typeof startRedis>>;
let app: RunningApp;

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(pgSettings), startRedis(redisSettings)]);
  await runMigrations(pg.url);
  app = await startApp({
    // Debian's yt-dlp is from 2023: its age check (tests/integration/ytdlp-update.test.ts) would keep health degraded here.
    env: { DATABASE_URL: pg.url, REDIS_URL: redis.url, LOG_LEVEL: "info", HEALTH_PROBE_TIMEOUT_MS: "500", YTDLP_MAX_AGE_DAYS: "3650" },
  });
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([pg?.stop(), redis?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Polls health until `want`. A hung dependency must not hang health: a request that never answers fails the test (abort). */
async function healthBecomes(want: (h: Health) => boolean, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${app.baseUrl}/api/monitoring/health`, { signal: AbortSignal.timeout(10_000) });
    const health = (await response.json()) as Health;
    expect(response.status).toBe(health.status === "down" ? 503 : 200);
    if (want(health)) return health;
    if (Date.now() > deadline) throw new Error(`health never got there: ${JSON.stringify(health)}`);
    await sleep(250);
  }
}

describe("health follows its dependencies", () => {
  it("is ok with everything up", async () => {
    const health = await healthBecomes((h) => h.status === "ok");
    expect(Object.values(health.checks).every((c) => c.status === "ok")).toBe(true);
  });

  it("goes down while Redis is stopped, and back to ok when it returns", async () => {
    await redis.stop();
    const down = await healthBecomes((h) => h.status === "down");
    expect(down.checks.redis.status).toBe("down");
    expect(down.checks.postgres.status).toBe("ok");

    redis = await startRedis({ ...redisSettings, port: redis.port });
    // The worker reconnects too: the queue check is ok only once it is consuming again.
    await healthBecomes((h) => h.status === "ok");
  });

  it("goes down while Postgres is stopped, and back to ok when it returns", async () => {
    await pg.stop();
    const down = await healthBecomes((h) => h.status === "down");
    expect(down.checks.postgres.status).toBe("down");
    expect(down.checks.postgres.error).toBeTruthy();
    expect(down.checks.redis.status).toBe("ok");

    pg = await startPostgres({ ...pgSettings, port: pg.port });
    await healthBecomes((h) => h.status === "ok");
  });

  it("leaves health checks out of the info-level request log", async () => {
    await fetch(`${app.baseUrl}/login`);
    const requestLines = () =>
      app
        .output()
        .split("\n")
        .filter((line) => line.includes('"req":'))
        .map((line) => JSON.parse(line) as { level: number; req: { url: string } });
    // The log line is written after the response: wait for it rather than for a fixed time.
    await waitFor(() => requestLines().some((l) => l.req.url === "/login" && l.level === 30), {
      timeoutMs: 10_000,
      message: "the /login request at info level in the log",
    });
    expect(requestLines().filter((l) => l.req.url.startsWith("/api/monitoring/health") && l.level <= 30)).toEqual([]);
  });
});
