/**
 * Download links across a rotation of STREAM_TOKEN_SECRET (a comma-separated
 * list: the first secret signs, every listed one verifies), and links bound
 * to the browser that made them (STREAM_TOKEN_BIND_UA). The app is really
 * restarted with each configuration; the links are checked as a downloader
 * would: status, error code and the bytes received.
 */
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { analyzed, createToken, plainFormat, type Analysis } from "../support/api";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { signedUpClient, type Client } from "../support/http";

const secret = () => randomBytes(24).toString("hex");
const sha256 = (bytes: ArrayBuffer) => createHash("sha256").update(Buffer.from(bytes)).digest("hex");
const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString()) as { kid: string }).kid;

let fixtures: MediaFixtures;
let origin: Origin;
const started: RunningApp[] = [];

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures);
});

afterAll(async () => {
  await Promise.all(started.map((app) => app.stop()));
  await origin?.close();
});

async function start(env: Record<string, string>, worker = false) {
  const app = await startApp({ worker, env: { ...egressAllow(origin), MAX_TOKENS_PER_USER: "50", FREE_TIER_DAILY: "100", ...env } });
  started.push(app);
  return app;
}

async function stop(app: RunningApp) {
  await app.stop();
  started.splice(started.indexOf(app), 1);
}

/** A download as a client makes it: status, error code and every body byte. */
async function download(app: RunningApp, streamUrl: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${app.baseUrl}${streamUrl}`, { headers });
  const body = await response.arrayBuffer();
  return { status: response.status, code: response.headers.get("x-error-code"), bytes: body.byteLength, sha256: sha256(body) };
}

describe("rotating STREAM_TOKEN_SECRET", () => {
  // Sessions outlive the restarts: the same SESSION_SECRET throughout.
  const SESSION_SECRET = secret();
  const OLD = secret();
  const NEW = secret();
  let alice: Client;
  let analysis: Analysis;
  let oldLink: { token: string; streamUrl: string };
  let newLink: { token: string; streamUrl: string };
  const withSession = (client: Client) => ({ Cookie: `tvn_session=${client.cookie("tvn_session")}` });

  beforeAll(async () => {
    // Links minted while only the old secret is configured.
    const before = await start({ SESSION_SECRET, STREAM_TOKEN_SECRET: OLD }, true);
    alice = await signedUpClient(before.baseUrl, "rotation");
    analysis = await analyzed(alice, origin.url("m4a"));
    const created = await createToken(alice, analysis.requestId, plainFormat(analysis).id);
    expect(created.status).toBe(201);
    oldLink = created.body;
    expect(await download(before, oldLink.streamUrl)).toMatchObject({ status: 200, bytes: fixtures.files.m4a.size });
    await stop(before);
  });

  it("still serves a link minted under the old secret after a restart with the new secret first and the old one second", async () => {
    const rotated = await start({ SESSION_SECRET, STREAM_TOKEN_SECRET: `${NEW},${OLD}` });
    try {
      expect(await download(rotated, oldLink.streamUrl)).toEqual({
        status: 200,
        code: null,
        bytes: fixtures.files.m4a.size,
        sha256: fixtures.files.m4a.sha256,
      });

      // New links are signed with the new secret (another key id), and work too.
      const response = await fetch(`${rotated.baseUrl}/api/streaming/token`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...withSession(alice) },
        body: JSON.stringify({ requestId: analysis.requestId, formatId: plainFormat(analysis).id }),
      });
      expect(response.status).toBe(201);
      newLink = (await response.json()) as { token: string; streamUrl: string };
      expect(kidOf(newLink.token)).not.toBe(kidOf(oldLink.token));
      expect(await download(rotated, newLink.streamUrl)).toEqual({
        status: 200,
        code: null,
        bytes: fixtures.files.m4a.size,
        sha256: fixtures.files.m4a.sha256,
      });
    } finally {
      await stop(rotated);
    }
  });

  it("refuses a link whose secret is no longer listed with 401 and no bytes, and keeps serving the new ones", async () => {
    expect(newLink).toBeDefined();
    const retired = await start({ SESSION_SECRET, STREAM_TOKEN_SECRET: NEW });
    try {
      expect(await download(retired, oldLink.streamUrl)).toMatchObject({ status: 401, code: "invalid_token", bytes: 0 });
      expect(await download(retired, newLink.streamUrl)).toMatchObject({ status: 200, bytes: fixtures.files.m4a.size });
    } finally {
      await stop(retired);
    }
  });
});

describe("links bound to the browser that made them (STREAM_TOKEN_BIND_UA)", () => {
  const BROWSER = "Mozilla/5.0 (X11; Linux x86_64) TVN-test-browser/1.0";
  const OTHER = "Mozilla/5.0 (Windows NT 10.0) SomeoneElse/2.0";
  let app: RunningApp;
  let streamUrl: string;

  beforeAll(async () => {
    app = await start({ STREAM_TOKEN_BIND_UA: "true" }, true);
    const client = await signedUpClient(app.baseUrl, "bound-ua");
    const analysis = await analyzed(client, origin.url("m4a"));
    const response = await client.request("/api/streaming/token", {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": BROWSER },
      body: JSON.stringify({ requestId: analysis.requestId, formatId: plainFormat(analysis).id }),
    });
    expect(response.status).toBe(201);
    ({ streamUrl } = (await response.json()) as { streamUrl: string });
  });

  it("refuses another User-Agent with 403 token_bound_elsewhere and no bytes", async () => {
    expect(await download(app, streamUrl, { "User-Agent": OTHER })).toMatchObject({ status: 403, code: "token_bound_elsewhere", bytes: 0 });
    // No User-Agent sent at all is "another browser" too.
    expect(await download(app, streamUrl, { "User-Agent": "" })).toMatchObject({ status: 403, code: "token_bound_elsewhere", bytes: 0 });
  });

  it("serves the whole file to the same User-Agent", async () => {
    expect(await download(app, streamUrl, { "User-Agent": BROWSER })).toEqual({
      status: 200,
      code: null,
      bytes: fixtures.files.m4a.size,
      sha256: fixtures.files.m4a.sha256,
    });
  });
});
