/** Download limits hold at exactly their configured counts, each with its own code and headers. */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { analyzed, createToken, plainFormat } from "../support/api";
import { Client, signedUpClient } from "../support/http";
import { waitFor } from "../support/wait";

let origin: Origin;
let app: RunningApp;
let sql: postgres.Sql;
// A Redis database of its own: these limits must not count other tests' requests.
const redisUrl = () => process.env.REDIS_URL!.replace(/\/\d+$/, "/5");

beforeAll(async () => {
  origin = await startOrigin(await ensureMediaFixtures(), { throttleBytesPerSecond: 64 * 1024 });
  app = await startApp({
    env: {
      REDIS_URL: redisUrl(),
      ...egressAllow(origin),
      MAX_TOKENS_PER_USER: "3",
      MAX_TOKENS_PER_HOUR: "6",
      FREE_TIER_DAILY: "4",
      PRO_TIER_DAILY: "100",
      MAX_CONCURRENT_STREAMS: "2",
      STREAM_TOKEN_BIND_IP: "true",
      TRUST_PROXY: "loopback",
    },
  });
  sql = postgres(process.env.DATABASE_URL!, { max: 2 });
});

afterAll(async () => {
  await app?.stop();
  await origin?.close();
  await sql?.end();
});

async function analyzedTarget(client: Client, url: string) {
  const analysis = await analyzed(client, url);
  return { requestId: analysis.requestId, formatId: plainFormat(analysis).id };
}

const token = (client: Client, target: { requestId: string; formatId: string }) => createToken(client, target.requestId, target.formatId);

/** Creates and revokes tokens until refused; returns the statuses and the refusal. */
async function createAndRevokeUntilRefused(client: Client, target: { requestId: string; formatId: string }, max: number) {
  const statuses: number[] = [];
  for (let i = 0; i < max; i++) {
    const created = await token(client, target);
    statuses.push(created.status);
    if (created.status !== 201) return { statuses, refusal: created };
    await client.request(`/api/streaming/token/${created.body.token}`, { method: "DELETE" });
  }
  return { statuses, refusal: null };
}

describe("download limits", () => {
  it("refuses the next token once MAX_TOKENS_PER_USER are active", async () => {
    const client = await signedUpClient(app.baseUrl, "active");
    const target = await analyzedTarget(client, origin.url("m4a"));
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await token(client, target)).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const refused = await token(client, target);
    expect(refused.body.error!.code).toBe("too_many_active_tokens");
    expect(refused.headers.get("retry-after")).toBeTruthy();
  });

  it("holds the free tier's daily quota at exactly FREE_TIER_DAILY", async () => {
    const client = await signedUpClient(app.baseUrl, "daily");
    const target = await analyzedTarget(client, origin.url("m4a"));
    const { statuses, refusal } = await createAndRevokeUntilRefused(client, target, 10);
    expect(statuses).toEqual([201, 201, 201, 201, 429]);
    expect(refusal!.body.error!.code).toBe("daily_quota_exceeded");
    expect(refusal!.headers.get("ratelimit-limit")).toBe("4");
    expect(refusal!.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(refusal!.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("holds MAX_TOKENS_PER_HOUR for a pro user, whose daily quota is larger", async () => {
    const client = await signedUpClient(app.baseUrl, "hourly");
    await sql`update users set tier = 'pro' where email = ${client.email}`;
    const target = await analyzedTarget(client, origin.url("m4a"));
    const { statuses, refusal } = await createAndRevokeUntilRefused(client, target, 10);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 201, 429]);
    expect(refusal!.body.error!.code).toBe("hourly_limit");
    expect(refusal!.headers.get("ratelimit-limit")).toBe("6");
  });

  it("allows MAX_CONCURRENT_STREAMS downloads (links) at once and frees the slot when one ends", async () => {
    const client = await signedUpClient(app.baseUrl, "concurrent");
    const target = await analyzedTarget(client, origin.slowUrl("mp4"));
    const links: string[] = [];
    for (let i = 0; i < 3; i++) links.push(`${app.baseUrl}${(await token(client, target)).body.streamUrl}`);
    const running = [new AbortController(), new AbortController()];
    const responses = await Promise.all(running.map((c, i) => fetch(links[i], { signal: c.signal })));
    expect(responses.map((r) => r.status)).toEqual([200, 200]);

    const third = await fetch(links[2]);
    expect(third.status).toBe(429);
    expect(third.headers.get("x-error-code")).toBe("too_many_streams");
    expect((await third.arrayBuffer()).byteLength).toBe(0);

    running[0].abort();
    await waitFor(
      async () => {
        const again = await fetch(links[2]);
        await again.body?.cancel();
        return again.status === 200;
      },
      { timeoutMs: 5_000, message: "the slot to come back" },
    );
    running[1].abort();
  });

  it("binds a token to its creator's IP when STREAM_TOKEN_BIND_IP is on (through TRUST_PROXY)", async () => {
    const client = await signedUpClient(app.baseUrl, "bound");
    const target = await analyzedTarget(client, origin.url("m4a"));
    const response = await client.request("/api/streaming/token", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Forwarded-For": "203.0.113.5" },
      body: JSON.stringify(target),
    });
    const { streamUrl } = (await response.json()) as { streamUrl: string };
    const elsewhere = await fetch(`${app.baseUrl}${streamUrl}`, { headers: { "X-Forwarded-For": "198.51.100.7" } });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.headers.get("x-error-code")).toBe("token_bound_elsewhere");
    expect((await elsewhere.arrayBuffer()).byteLength).toBe(0);
    const same = await fetch(`${app.baseUrl}${streamUrl}`, { headers: { "X-Forwarded-For": "203.0.113.5" } });
    expect(same.status).toBe(200);
    await same.arrayBuffer();
  });
});

describe("the per-IP limit on /api/streaming/*", () => {
  const BUDGET = 6;
  let limited: RunningApp;
  beforeAll(async () => {
    limited = await startApp({
      env: {
        REDIS_URL: process.env.REDIS_URL!.replace(/\/\d+$/, "/6"),
        ...egressAllow(origin),
        API_RATE_LIMIT_PER_MINUTE: String(BUDGET),
        TRUST_PROXY: "loopback",
      },
    });
  });
  afterAll(async () => {
    await limited?.stop();
  });
  const from = (ip: string, init: RequestInit = {}) => ({ ...init, headers: { ...(init.headers as Record<string, string>), "X-Forwarded-For": ip } });

  it("answers 429 rate_limited past API_RATE_LIMIT_PER_MINUTE, per client address", async () => {
    const client = await signedUpClient(limited.baseUrl, "flood");
    const statuses = [];
    for (let i = 0; i <= BUDGET; i++) statuses.push((await client.request("/api/streaming/tokens", from("192.0.2.50"))).status);
    expect(statuses).toEqual([...Array<number>(BUDGET).fill(200), 429]);
    const refused = await client.request("/api/streaming/tokens", from("192.0.2.50"));
    expect(await refused.json()).toMatchObject({ error: { code: "rate_limited" } });
    expect(refused.headers.get("retry-after")).toBeTruthy();
    expect((await client.request("/api/streaming/tokens", from("192.0.2.51"))).status).toBe(200);
  });

  it("counts link creation against the same budget, spent in the link limits' own script, refused or not", async () => {
    const client = await signedUpClient(limited.baseUrl, "budget");
    // The analysis is submitted from an address of its own and awaited in the database: polls would spend the budget.
    const submitted = await client.request(
      "/api/streaming/analyze",
      from("198.51.100.1", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ url: origin.url("mp4") }) }),
    );
    const { requestId } = (await submitted.json()) as { requestId: string };
    const [row] = await waitFor(async () => {
      const rows = await sql<{ formats: { id: string; derived: string | null }[] }[]>`
        select result -> 'formats' as formats from analysis_requests where id = ${requestId} and status = 'completed'`;
      return rows.length ? rows : null;
    });
    const formatId = row.formats.find((f) => !f.derived)!.id;
    const link = (ip: string, body: unknown = { requestId, formatId }, as: Client = client, path = "/api/streaming/token") =>
      as.request(path, from(ip, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }));

    const ip = "192.0.2.60";
    const statuses = [
      (await link(ip, {})).status, // a bad body: refused before the script, spends here
      (await link(ip, { requestId, formatId }, new Client(limited.baseUrl))).status, // not signed in
      (await link(ip)).status,
      (await link(ip, { requestId, formatId, padding: "x".repeat(100_000) })).status, // refused for its size before Remix: spent once answered
      (await client.request("/api/streaming/tokens", from(ip))).status, // the middleware's share of the same budget
      (await link(ip, { requestId, formatId }, client, "/api/streaming/token/")).status, // another spelling of the same route: spent once
    ];
    expect(statuses).toEqual([400, 401, 201, 413, 200, 201]);

    const refused = await link(ip);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: "rate_limited" } });
    expect(refused.headers.get("retry-after")).toBeTruthy();
    expect(refused.headers.get("ratelimit-limit")).toBe(String(BUDGET));
    // Spent, whatever the request: a bad one and the other routes are refused too.
    expect((await link(ip, {})).status).toBe(429);
    expect((await client.request("/api/streaming/tokens", from(ip))).status).toBe(429);

    // The refused attempts took no link place: the user's third link (another address) is made.
    expect((await link("192.0.2.61")).status).toBe(201);
    // Remix's old data protocol is refused before Remix (which would log each one as an error).
    const oldProtocol = await link("192.0.2.62", { requestId, formatId }, client, "/api/streaming/token?_data=root");
    expect(oldProtocol.status).toBe(400);
    const [{ links }] = await sql<
      { links: number }[]
    >`select count(*)::int as links from stream_tokens t join analysis_requests a on a.id = t.analysis_id where a.id = ${requestId}`;
    expect(links).toBe(3);
  });
});
