/**
 * STREAM_OFFLOAD=nginx through the real nginx front (scripts/nginx-front.sh):
 * the app checks the link and hands the transfer over; the bytes come from
 * the origin through nginx, exact, with Range, and a revoked link is refused
 * at its next request.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { analyzed, createToken, plainFormat } from "../support/api";
import { signedUpClient, type Client } from "../support/http";
import { startNginxFront, type NginxFront } from "../support/nginx-front";
import { waitFor } from "../support/wait";

let fixtures: MediaFixtures;
let origin: Origin;
let app: RunningApp;
let front: NginxFront;
let sql: postgres.Sql;
let alice: Client;

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures);
  app = await startApp({ env: { ...egressAllow(origin), STREAM_OFFLOAD: "nginx", TRUST_PROXY: "1" } });
  front = await startNginxFront(app.baseUrl);
  sql = postgres(process.env.DATABASE_URL!, { max: 2 });
  alice = await signedUpClient(front.baseUrl, "offload");
});

afterAll(async () => {
  await front?.stop();
  await app?.stop();
  await origin?.close();
  await sql?.end();
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function linkFor(client: Client) {
  const analysis = await analyzed(client, origin.url("mp4"));
  const { status, body } = await createToken(client, analysis.requestId, plainFormat(analysis).id);
  expect(status).toBe(201);
  return body;
}

describe("downloads handed off to the nginx front", () => {
  it("sends the file byte for byte from the origin, with the app's name and type, and counts the hand-off", async () => {
    const { streamUrl, tokenId } = await linkFor(alice);
    const requestsBefore = origin.requests;
    const response = await fetch(`${front.baseUrl}${streamUrl}`);
    expect(response.status).toBe(200);
    const body = new Uint8Array(await response.arrayBuffer());
    expect(body.length).toBe(fixtures.files.mp4.size);
    expect(sha256(body)).toBe(fixtures.files.mp4.sha256);
    expect(response.headers.get("content-type")).toBe("video/mp4");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    // The hand-off itself never reaches the client.
    expect([...response.headers.keys()].filter((name) => name.startsWith("x-offload") || name.startsWith("x-accel"))).toEqual([]);
    // The app's one-byte check, then nginx's transfer.
    expect(origin.requests - requestsBefore).toBe(2);
    // Recorded at the hand-off: nothing of the transfer reaches the app.
    const row = await waitFor(async () => {
      const [found] = await sql<{ stream_count: number; bytes_served: string }[]>`select stream_count, bytes_served from stream_tokens where id = ${tokenId}`;
      return found.stream_count === 1 ? found : null;
    });
    expect(Number(row.bytes_served)).toBe(0);
  });

  it("passes the client's Range through", async () => {
    const { streamUrl } = await linkFor(alice);
    const response = await fetch(`${front.baseUrl}${streamUrl}`, { headers: { Range: "bytes=1000-1999" } });
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe(`bytes 1000-1999/${fixtures.files.mp4.size}`);
    const body = new Uint8Array(await response.arrayBuffer());
    expect(sha256(body)).toBe(sha256(readFileSync(fixtures.files.mp4.file).subarray(1000, 2000)));
  });

  it("refuses a revoked link at its next request, and keeps the internal location internal", async () => {
    const { streamUrl, token } = await linkFor(alice);
    expect((await fetch(`${front.baseUrl}${streamUrl}`, { headers: { Range: "bytes=0-9" } })).status).toBe(206);
    expect((await alice.request(`/api/streaming/token/${token}`, { method: "DELETE" })).status).toBe(204);
    const refused = await fetch(`${front.baseUrl}${streamUrl}`);
    expect(refused.status).toBe(410);
    expect(refused.headers.get("x-error-code")).toBe("token_revoked");
    expect((await refused.arrayBuffer()).byteLength).toBe(0);
    expect((await fetch(`${front.baseUrl}/_tvn_offload`)).status).toBe(404);
  });

  it("streams through the app as before when a request did not come through the front", async () => {
    const { streamUrl, tokenId } = await linkFor(alice);
    const response = await fetch(`${app.baseUrl}${streamUrl}`);
    const body = new Uint8Array(await response.arrayBuffer());
    expect(sha256(body)).toBe(fixtures.files.mp4.sha256);
    // The app records a stream's bytes once its body has closed.
    const served = await waitFor(async () => {
      const [row] = await sql`select bytes_served from stream_tokens where id = ${tokenId}`;
      return Number(row.bytes_served) || null;
    });
    expect(served).toBe(fixtures.files.mp4.size);
  });
});
