/**
 * Slow clients, stalled sources and restarts, as an operator sees them. The
 * stall limit is 2 s here and the user has one stream slot, so a slot that is
 * not given back shows at once as a refused next download.
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForExit } from "../../scripts/lib/services";
import { ensureMediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin, type SwitchableMedia } from "../fixtures/origin";
import { analyzed, createToken, plainFormat } from "../support/api";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { signedUpClient, type Client } from "../support/http";
import { curl } from "../support/curl";
import { waitFor } from "../support/wait";

const MiB = 1024 * 1024;

let origin: Origin;
let app: RunningApp;
let sql: postgres.Sql;
let env: Record<string, string>;

beforeAll(async () => {
  origin = await startOrigin(await ensureMediaFixtures());
  env = {
    ...egressAllow(origin),
    MAX_TOKENS_PER_USER: "50",
    MAX_TOKENS_PER_HOUR: "100",
    FREE_TIER_DAILY: "100",
    MAX_CONCURRENT_STREAMS: "1",
    STREAM_STALL_SECONDS: "2",
    // Claims lapse after 2 s without renewal: the tests outlast several lifetimes of a claim.
    STREAM_SLOT_TTL_SECONDS: "2",
    SHUTDOWN_GRACE_SECONDS: "2",
    // The same name across restarts: the new process clears what the old one left.
    INSTANCE_NAME: `reliability-${process.pid}`,
    LOG_LEVEL: "info",
    // A restart keeps its secrets, so links made before it still work.
    SESSION_SECRET: randomBytes(24).toString("hex"),
    STREAM_TOKEN_SECRET: randomBytes(24).toString("hex"),
    REDIS_URL: process.env.REDIS_URL!.replace(/\/\d+$/, "/9"),
  };
  app = await startApp({ env });
  sql = postgres(process.env.DATABASE_URL!, { max: 2 });
});

afterAll(async () => {
  await app?.stop();
  await origin?.close();
  await sql?.end();
});

/** curl's exit code, and its status and bytes received (the body goes to /dev/null). */
async function transfer(args: string[]) {
  const { exit, out } = await curl(["-o", "/dev/null", ...args]);
  const [status, bytes] = out.split(" ").map(Number);
  return { exit, status, bytes };
}

async function linkFor(client: Client, media: SwitchableMedia) {
  const analysis = await analyzed(client, media.url);
  const { status, body } = await createToken(client, analysis.requestId, plainFormat(analysis).id);
  expect(status).toBe(201);
  return { url: () => `${app.baseUrl}${body.streamUrl}`, tokenId: body.tokenId };
}

/** The next download on the user's only slot: it must not be refused for a slot nobody uses. */
async function slotIsFree(url: string) {
  const next = await transfer(["-r", "0-999", url]);
  expect(next.status).not.toBe(429);
  return next;
}

describe("timeouts that understand backpressure", () => {
  it("keeps streaming to a client that reads slowly for longer than the stall limit", async () => {
    const client = await signedUpClient(app.baseUrl, "slow");
    const media = origin.switchable("mp4");
    const link = await linkFor(client, media);
    media.set({ kind: "generate", bytes: 512 * MiB });
    // 100 kB/s for 7 s, far past the 2 s stall limit: the client, not the server, ends it (exit 28).
    const slow = await transfer(["--limit-rate", "100k", "-m", "7", link.url()]);
    expect(slow.exit).toBe(28);
    expect(slow.status).toBe(200);
    expect(slow.bytes).toBeGreaterThan(400_000);
  });

  it("ends a download whose source goes silent while the client waits, and frees the slot", async () => {
    const client = await signedUpClient(app.baseUrl, "stall");
    const media = origin.switchable("mp4");
    const link = await linkFor(client, media);
    media.set({ kind: "stall", afterBytes: 100_000 });
    // The -m bound only keeps a broken stall detector from hanging the test.
    const stalled = await transfer(["-m", "30", link.url()]);
    expect(stalled.exit).toBe(18);
    expect(stalled.bytes).toBeLessThanOrEqual(100_000);
    media.set({ kind: "serve" });
    await waitFor(async () => (await transfer(["-r", "0-999", link.url()])).status === 206, { timeoutMs: 10_000, message: "the slot to come back" });
    const [row] = await sql`select stream_count from stream_tokens where id = ${link.tokenId}`;
    expect(row.stream_count).toBeGreaterThanOrEqual(2);
  });
});

describe("the concurrent-stream limit", () => {
  it("still holds for a download running far longer than a slot's lifetime", async () => {
    const client = await signedUpClient(app.baseUrl, "long");
    const media = origin.switchable("mp4");
    const link = await linkFor(client, media);
    const other = await linkFor(client, origin.switchable("webm"));
    media.set({ kind: "generate", bytes: 512 * MiB });
    const started = Date.now();
    const running = transfer(["--limit-rate", "100k", "-m", "12", link.url()]);
    await waitFor(() => media.bytesSent > 0, { timeoutMs: 10_000, message: "the download to start" });
    // Past three lifetimes of a claim (6 s), the running download still holds the user's only slot.
    await waitFor(() => Date.now() - started > 7_000, { timeoutMs: 10_000, intervalMs: 250 });
    const refused = await transfer(["-r", "0-999", other.url()]);
    expect(refused.status).toBe(429);
    const ended = await running;
    expect(ended.exit).toBe(28);
    expect(ended.status).toBe(200);
  });
});

describe("restarts lose nothing", () => {
  it("on SIGTERM, a running download ends as interrupted with its bytes recorded, and the restarted server serves the user at once", async () => {
    const client = await signedUpClient(app.baseUrl, "drain");
    const media = origin.switchable("mp4");
    const link = await linkFor(client, media);
    media.set({ kind: "generate", bytes: 512 * MiB });
    const download = transfer(["--limit-rate", "500k", "-m", "60", link.url()]);
    // The download is running: stop the web process the way an orchestrator does.
    await waitFor(() => media.bytesSent > 0, { timeoutMs: 10_000, message: "the download to start" });
    app.web.kill("SIGTERM");
    const ended = await download;
    expect(ended.exit).toBe(18);
    expect(await waitForExit(app.web, 30_000)).toBe(true);
    expect(app.web.exitCode).toBe(0);
    const [row] = await sql`select stream_count, bytes_served from stream_tokens where id = ${link.tokenId}`;
    expect(row.stream_count).toBe(1);
    expect(Number(row.bytes_served)).toBeGreaterThan(0);
    expect(app.output()).toContain("interrupting downloads still running at shutdown");

    await app.stop();
    app = await startApp({ env });
    media.set({ kind: "serve" });
    expect((await slotIsFree(link.url())).status).toBe(206);
  });

  it("after a crash (SIGKILL mid-download), the restarted server clears the dead process' slot at once", async () => {
    const client = await signedUpClient(app.baseUrl, "crash");
    const media = origin.switchable("mp4");
    const link = await linkFor(client, media);
    media.set({ kind: "generate", bytes: 512 * MiB });
    const download = transfer(["--limit-rate", "500k", "-m", "60", link.url()]);
    await waitFor(() => media.bytesSent > 0, { timeoutMs: 10_000, message: "the download to start" });
    app.web.kill("SIGKILL");
    await download;
    await app.stop();

    app = await startApp({ env });
    media.set({ kind: "serve" });
    // Without the start-up clean-up the dead stream's slot would refuse this for up to a minute.
    expect((await slotIsFree(link.url())).status).toBe(206);
  });
});
