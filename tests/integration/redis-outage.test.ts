/**
 * Creating a download link while Redis is down. The app runs on a Redis of
 * this file's own (as in health.test.ts), which the test really stops and
 * starts again on the same port, so no other test file's Redis is touched.
 * The user must get a clear 503 in the API's JSON shape, quickly (never a
 * 500, never a hang), and a link once Redis is back.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis } from "../../scripts/lib/services";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { analyzed, plainFormat, type Analysis } from "../support/api";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { signedUpClient, type Client } from "../support/http";
import { waitFor } from "../support/wait";

const dir = mkdtempSync(path.join(os.tmpdir(), "tvn-redis-outage-"));
chmodSync(dir, 0o755);
const redisSettings = { dataDir: path.join(dir, "redis"), logFile: path.join(dir, "redis.log"), password: randomBytes(12).toString("hex"), ephemeral: true };

let redis: Awaited<ReturnType<typeof startRedis>>;
let redisRunning = false;
let fixtures: MediaFixtures;
let origin: Origin;
let app: RunningApp;
let sql: postgres.Sql;
let alice: Client & { email: string };
let analysis: Analysis;

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures);
  redis = await startRedis(redisSettings);
  redisRunning = true;
  app = await startApp({ env: { REDIS_URL: redis.url, ...egressAllow(origin), MAX_TOKENS_PER_USER: "50", FREE_TIER_DAILY: "100" } });
  sql = postgres(process.env.DATABASE_URL!, { max: 1 });
  alice = await signedUpClient(app.baseUrl, "redis-down");
  analysis = await analyzed(alice, origin.url("m4a"));
});

afterAll(async () => {
  await app?.stop();
  await origin?.close();
  await sql?.end();
  if (redisRunning) await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** POST /api/streaming/token; a request that hangs fails the test through the abort. */
async function createLink() {
  const response = await alice.request("/api/streaming/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ requestId: analysis.requestId, formatId: plainFormat(analysis).id }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get("content-type"), retryAfter: response.headers.get("retry-after"), text };
}

const linksOf = async (email: string) =>
  (await sql`select count(*)::int as n from stream_tokens t join users u on u.id = t.user_id where u.email = ${email}`)[0].n as number;

describe("creating a download link while Redis is down", () => {
  it("answers 503 in JSON with a clear message and creates nothing; after Redis returns, a link is created and downloads", async () => {
    try {
      await redis.stop();
      redisRunning = false;

      const refused = await createLink();
      expect(refused.status).toBe(503);
      expect(refused.contentType).toMatch(/^application\/json/);
      expect(refused.retryAfter).toBeTruthy();
      const { error } = JSON.parse(refused.text) as { error: { code: string; message: string } };
      expect(error.code).toBe("service_unavailable");
      expect(error.message).toMatch(/try again/i);
      expect(await linksOf(alice.email)).toBe(0);
      // The web process stays up through the outage.
      expect(app.web.exitCode).toBeNull();
    } finally {
      if (!redisRunning) {
        redis = await startRedis({ ...redisSettings, port: redis.port });
        redisRunning = true;
      }
    }

    // Back on the same port: the app reconnects by itself. Until it has, the answer stays a 503.
    const statuses: number[] = [];
    const created = await waitFor(
      async () => {
        const attempt = await createLink();
        statuses.push(attempt.status);
        return attempt.status === 201 ? attempt : null;
      },
      { timeoutMs: 30_000, intervalMs: 250, message: "a link to be created once Redis is back" },
    );
    expect(statuses.filter((s) => s !== 201 && s !== 503)).toEqual([]);
    const { streamUrl } = JSON.parse(created.text) as { streamUrl: string };
    expect(await linksOf(alice.email)).toBe(1);

    const download = await fetch(`${app.baseUrl}${streamUrl}`);
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(fixtures.files.m4a.size);
  });
});
