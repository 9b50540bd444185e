/**
 * A database outage, answered honestly: the app runs on a Postgres of this
 * file's own, which the test stops and starts again on the same port. While
 * it is down, the API, the pages and the download route answer 503 with
 * Retry-After (quickly: a request that hangs fails the test by its abort),
 * liveness stays up, readiness goes down, and everything comes back by itself.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrations } from "../../app/db/migrate.server";
import { startPostgres } from "../../scripts/lib/services";
import { startApp, type RunningApp } from "../support/app";
import { signedUpClient, type Client } from "../support/http";
import { waitFor } from "../support/wait";

const dir = mkdtempSync(path.join(os.tmpdir(), "tvn-outage-"));
chmodSync(dir, 0o755);
const pgSettings = { dataDir: path.join(dir, "postgres"), logFile: path.join(dir, "postgres.log"), password: randomBytes(12).toString("hex"), ephemeral: true };

let pg: Awaited<ReturnType<typeof startPostgres>>;
let app: RunningApp;
let alice: Client;

beforeAll(async () => {
  pg = await startPostgres(pgSettings);
  await runMigrations(pg.url);
  app = await startApp({ env: { DATABASE_URL: pg.url } });
  alice = await signedUpClient(app.baseUrl, "outage");
});

afterAll(async () => {
  await app?.stop();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A request that must answer, whatever it answers, within the abort's bound. */
const answer = (pathname: string, headers: Record<string, string> = {}) => alice.request(pathname, { headers, signal: AbortSignal.timeout(15_000) });

describe("while Postgres is down", () => {
  beforeAll(async () => {
    await pg.stop();
  });

  it("the API answers 503 service_unavailable with Retry-After", async () => {
    const response = await answer("/api/streaming/tokens");
    expect(response.status).toBe(503);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await response.json()).toMatchObject({ error: { code: "service_unavailable" } });
  });

  it("pages answer a translated 503 page", async () => {
    const en = await answer("/account", { "Accept-Language": "en" });
    expect(en.status).toBe(503);
    expect(en.headers.get("retry-after")).toBeTruthy();
    expect(await en.text()).toContain("This service cannot answer right now");
    const vi = await answer("/", { "Accept-Language": "vi" });
    expect(vi.status).toBe(503);
    expect(await vi.text()).toContain("Dịch vụ tạm thời không phản hồi");
  });

  it("a download link answers 503 with its code, and no body", async () => {
    const response = await answer(`/api/streaming/stream/${"a".repeat(40)}.${"b".repeat(40)}.${"c".repeat(40)}`);
    // A malformed token is refused before the database is asked; a well-formed one needs it.
    expect([401, 503]).toContain(response.status);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it("liveness stays up while readiness goes down", async () => {
    expect((await answer("/livez")).status).toBe(200);
    const ready = await answer("/readyz");
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "unavailable", checks: { postgres: { status: "down" }, redis: { status: "ok" } } });
  });

  it("comes back by itself when Postgres returns", async () => {
    pg = await startPostgres({ ...pgSettings, port: pg.port });
    await waitFor(async () => (await answer("/api/streaming/tokens")).status === 200, { timeoutMs: 30_000, message: "the API did not recover" });
    expect((await answer("/readyz")).status).toBe(200);
    expect((await answer("/account")).status).toBe(200);
  });
});
