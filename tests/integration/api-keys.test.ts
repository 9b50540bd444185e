/**
 * API keys as a script uses them: made with the session, then sent as
 * `Authorization: Bearer` to analyse and make a download link (with the
 * owner's limits), downloaded with curl, and dead once revoked. Every JSON
 * answer is checked against the OpenAPI document's schema for it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { analyzed, createToken, plainFormat } from "../support/api";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { curl } from "../support/curl";
import { Client, signedUpClient } from "../support/http";
import { openApiContract } from "../support/openapi";
import { waitFor } from "../support/wait";

let fixtures: MediaFixtures;
let origin: Origin;
let app: RunningApp;
let contract: Awaited<ReturnType<typeof openApiContract>>;

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures);
  app = await startApp({ env: { ...egressAllow(origin), MAX_API_KEYS_PER_USER: "3", FREE_TIER_DAILY: "1" } });
  contract = await openApiContract(app.baseUrl);
});

afterAll(async () => {
  await app?.stop();
  await origin?.close();
});

async function makeKey(client: Client, name: string) {
  const response = await client.request("/api/keys", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name }) });
  return { status: response.status, body: (await response.json()) as { id: string; key: string; name: string; prefix: string } };
}

const withKey = (key: string) => new Client(app.baseUrl, { Authorization: `Bearer ${key}` });

describe("API keys", () => {
  it("a key made with the session drives analyse and token, streams with curl, and dies when revoked", async () => {
    const owner = await signedUpClient(app.baseUrl, "keys");
    const created = await makeKey(owner, "backup script");
    expect(created.status).toBe(201);
    contract.expectConforms("POST", "/api/keys", 201, created.body);
    expect(created.body).toMatchObject({ name: "backup script", lastUsedAt: null });
    expect(created.body.key.startsWith(created.body.prefix)).toBe(true);

    const script = withKey(created.body.key);
    const analysis = await analyzed(script, origin.url("mp4"));
    const status = await script.request(`/api/streaming/analyze/${analysis.requestId}`);
    contract.expectConforms("GET", "/api/streaming/analyze/{requestId}", 200, await status.json());
    // The analysis belongs to the key's owner: their session sees it too.
    expect((await owner.request(`/api/streaming/analyze/${analysis.requestId}`)).status).toBe(200);

    const link = await createToken(script, analysis.requestId, plainFormat(analysis).id);
    expect(link.status).toBe(201);
    contract.expectConforms("POST", "/api/streaming/token", 201, link.body);
    const listed = (await (await script.request("/api/streaming/tokens")).json()) as { tokens: Array<{ tokenId: string }> };
    contract.expectConforms("GET", "/api/streaming/tokens", 200, listed);
    expect(listed.tokens.map((t) => t.tokenId)).toEqual([link.body.tokenId]);

    const download = await curl(["-o", "/dev/null", `${app.baseUrl}${link.body.streamUrl}`]);
    expect(download).toEqual({ exit: 0, out: `200 ${fixtures.files.mp4.size}` });

    // The owner's limits apply: a free plan with one download a day has none left for the key.
    const second = await createToken(script, analysis.requestId, plainFormat(analysis).id);
    expect(second.status).toBe(429);
    contract.expectConforms("POST", "/api/streaming/token", 429, second.body);

    // Last use is recorded (in the background, at most once a minute).
    const keys = await waitFor(async () => {
      const list = (await (await owner.request("/api/keys")).json()) as { keys: Array<{ id: string; lastUsedAt: string | null }> };
      return list.keys[0]?.lastUsedAt ? list : null;
    });
    contract.expectConforms("GET", "/api/keys", 200, keys);
    expect(keys.keys.map((k) => k.id)).toEqual([created.body.id]);
    expect(JSON.stringify(keys)).not.toContain(created.body.key);

    const revoked = await owner.request(`/api/keys/${created.body.id}`, { method: "DELETE" });
    expect(revoked.status).toBe(204);
    const refused = await script.request("/api/streaming/tokens");
    expect(refused.status).toBe(401);
    expect(refused.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm="TaiVideoNhanh", error="invalid_token"/);
    const error = await refused.json();
    contract.expectConforms("GET", "/api/streaming/tokens", 401, error);
    expect(error.error.code).toBe("invalid_api_key");
  });

  it("refuses unknown keys and malformed credentials with 401, never falling back to the session cookie", async () => {
    const unknown = await withKey("tvn_not-a-real-key").request("/api/streaming/tokens");
    expect(unknown.status).toBe(401);
    expect((await unknown.json()).error.code).toBe("invalid_api_key");

    const owner = await signedUpClient(app.baseUrl, "keys-fallback");
    const withBadKey = await owner.request("/api/streaming/tokens", { headers: { Authorization: "Bearer tvn_wrong" } });
    expect(withBadKey.status).toBe(401);
    const basic = await owner.request("/api/streaming/tokens", { headers: { Authorization: "Basic dXNlcjpwYXNz" } });
    expect(basic.status).toBe(401);
    expect(basic.headers.get("WWW-Authenticate")).toContain("Bearer");

    const anonymous = await fetch(`${app.baseUrl}/api/streaming/tokens`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("WWW-Authenticate")).toBe('Bearer realm="TaiVideoNhanh"');
  });

  it("manages keys with the session only: a key cannot make keys, others' keys are not found, and the cap holds", async () => {
    const alice = await signedUpClient(app.baseUrl, "keys-alice");
    const bob = await signedUpClient(app.baseUrl, "keys-bob");
    const alicesKey = await makeKey(alice, "alice");
    expect(alicesKey.status).toBe(201);

    const byKey = await withKey(alicesKey.body.key).request("/api/keys", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "minted by a key" }),
    });
    expect(byKey.status).toBe(401);

    const bobDeletes = await bob.request(`/api/keys/${alicesKey.body.id}`, { method: "DELETE" });
    expect(bobDeletes.status).toBe(404);
    contract.expectConforms("DELETE", "/api/keys/{id}", 404, await bobDeletes.json());
    expect((await bob.request("/api/keys/not-a-uuid", { method: "DELETE" })).status).toBe(404);
    expect((await withKey(alicesKey.body.key).request("/api/streaming/tokens")).status).toBe(200);

    const blank = await makeKey(alice, "   ");
    expect(blank.status).toBe(400);
    contract.expectConforms("POST", "/api/keys", 400, blank.body);

    // The cap is 3 here; requests at once cannot overshoot it.
    const burst = await Promise.all([1, 2, 3, 4].map((n) => makeKey(alice, `burst ${n}`)));
    expect(burst.map((r) => r.status).sort()).toEqual([201, 201, 429, 429]);
    const capped = burst.find((r) => r.status === 429)!;
    contract.expectConforms("POST", "/api/keys", 429, capped.body);
    expect((capped.body as unknown as { error: { code: string } }).error.code).toBe("too_many_api_keys");
    const list = (await (await alice.request("/api/keys")).json()) as { keys: unknown[] };
    expect(list.keys).toHaveLength(3);
  });

  it("refuses a cross-site key creation with the session cookie", async () => {
    const alice = await signedUpClient(app.baseUrl, "keys-csrf");
    const response = await alice.request("/api/keys", {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" },
      body: JSON.stringify({ name: "planted" }),
    });
    expect(response.status).toBe(403);
    const list = (await (await alice.request("/api/keys")).json()) as { keys: unknown[] };
    expect(list.keys).toEqual([]);
  });
});
