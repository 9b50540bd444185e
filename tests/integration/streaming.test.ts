/**
 * Download tokens and the stream route with real clients: curl (resume,
 * ranges, -OJ), ffprobe on piped output, forged and limited tokens, and many
 * aborted downloads leaving no child process behind.
 */
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import postgres from "postgres";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StreamEnd, StreamProgress } from "../../app/lib/socket-events";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { egressAllow, ROOMY_LINK_LIMITS, startApp, type RunningApp } from "../support/app";
import { analyzed, createToken, plainFormat, type Analysis } from "../support/api";
import { signedUpClient, type Client } from "../support/http";
import { curl } from "../support/curl";
import { waitFor } from "../support/wait";

const run = promisify(execFile);
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const tmp = mkdtempSync(path.join(os.tmpdir(), "tvn-streams-"));

let fixtures: MediaFixtures;
let origin: Origin;
let app: RunningApp;
let sql: postgres.Sql;

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures, { throttleBytesPerSecond: 128 * 1024 });
  app = await startApp({
    env: {
      ...egressAllow(origin),
      ...ROOMY_LINK_LIMITS,
      MAX_CONCURRENT_STREAMS: "100",
    },
  });
  sql = postgres(process.env.DATABASE_URL!, { max: 2 });
});

afterAll(async () => {
  await app?.stop();
  await origin?.close();
  await sql?.end();
});

async function probeDuration(file: string) {
  const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file]);
  return Number(stdout.trim());
}

describe("direct downloads", () => {
  let alice: Client;
  let analysis: Analysis;
  let url: string;

  beforeAll(async () => {
    alice = await signedUpClient(app.baseUrl, "direct");
    analysis = await analyzed(alice, origin.url("mp4"));
    const { body } = await createToken(alice, analysis.requestId, "mp4");
    url = `${app.baseUrl}${body.streamUrl}`;
  });

  it("creates a token once, stores only its hash", async () => {
    const { status, body } = await createToken(alice, analysis.requestId, "mp4");
    expect(status).toBe(201);
    expect(body.streamUrl).toBe(`/api/streaming/stream/${body.token}/${encodeURIComponent(body.fileName)}`);
    const [row] = await sql`select token_hash from stream_tokens where id = ${body.tokenId}`;
    expect(row.token_hash).toBe(createHash("sha256").update(body.token).digest("hex"));
    const dump = await sql`select row_to_json(t)::text as j from stream_tokens t where id = ${body.tokenId}`;
    expect(dump[0].j).not.toContain(body.token);
  });

  it("serves the file byte for byte, with Range support", async () => {
    const file = path.join(tmp, "full.mp4");
    const full = await curl(["-o", file, url]);
    expect(full.out).toBe(`200 ${fixtures.files.mp4.size}`);
    expect(sha256(file)).toBe(fixtures.files.mp4.sha256);

    const part = path.join(tmp, "part.bin");
    const ranged = await curl(["-D", path.join(tmp, "part.headers"), "-r", "100-199", "-o", part, url]);
    expect(ranged.out).toBe("206 100");
    expect(readFileSync(part)).toEqual(readFileSync(fixtures.files.mp4.file).subarray(100, 200));
    const headers = readFileSync(path.join(tmp, "part.headers"), "utf8");
    expect(headers).toMatch(new RegExp(`content-range: bytes 100-199/${fixtures.files.mp4.size}`, "i"));
    expect(headers).toMatch(/accept-ranges: bytes/i);
  });

  it("resumes a download killed halfway with curl -C -", async () => {
    const slow = await analyzed(alice, origin.slowUrl("mp4"));
    const { body } = await createToken(alice, slow.requestId, "mp4");
    const file = path.join(tmp, "resumed.mp4");
    const first = spawn("curl", ["-s", "-o", file, `${app.baseUrl}${body.streamUrl}`]);
    for (let i = 0; i < 100 && (!readdirSync(tmp).includes("resumed.mp4") || statSync(file).size < 150_000); i++) await sleep(50);
    first.kill("SIGKILL");
    await new Promise((r) => first.once("close", r));
    const partial = statSync(file).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(fixtures.files.mp4.size);

    const resumed = await curl(["-C", "-", "-o", file, `${app.baseUrl}${body.streamUrl}`]);
    expect(resumed.out).toBe(`206 ${fixtures.files.mp4.size - partial}`);
    expect(sha256(file)).toBe(fixtures.files.mp4.sha256);
  });

  it("names the file after the Vietnamese title with curl -OJ", async () => {
    const vi = await analyzed(alice, origin.url("vietnamese"));
    const format = vi.result.formats.find((f) => !f.derived)!;
    const { body } = await createToken(alice, vi.requestId, format.id);
    const dir = mkdtempSync(path.join(tmp, "oj-"));
    await run("curl", ["-s", "-OJ", `${app.baseUrl}${body.streamUrl}`], { cwd: dir });
    expect(readdirSync(dir)).toEqual(["Tải video nhanh – thử nghiệm.mp4"]);
    expect(sha256(path.join(dir, "Tải video nhanh – thử nghiệm.mp4"))).toBe(fixtures.files.vietnamese.sha256);
  });

  it("reports progress and the end over socket.io, and counts the bytes served", async () => {
    const socket = io(app.baseUrl, { transports: ["websocket"], extraHeaders: { Cookie: `tvn_session=${alice.cookie("tvn_session")}` } });
    await new Promise<void>((resolve, reject) => {
      socket.on("connect", () => resolve());
      socket.on("connect_error", reject);
    });
    const slow = await analyzed(alice, origin.slowUrl("webm"));
    const { body } = await createToken(alice, slow.requestId, slow.result.formats.find((f) => !f.derived && f.ext === "webm")!.id);
    const progress: StreamProgress[] = [];
    const ended = new Promise<StreamEnd>((resolve) => socket.on("stream:end", (e) => e.tokenId === body.tokenId && resolve(e)));
    socket.on("stream:progress", (p) => p.tokenId === body.tokenId && progress.push(p));
    await curl(["-o", path.join(tmp, "progress.webm"), `${app.baseUrl}${body.streamUrl}`]);
    const end = await ended;
    socket.close();
    expect(end).toMatchObject({ status: "completed", bytes: fixtures.files.webm.size });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toMatchObject({ bytes: fixtures.files.webm.size, total: fixtures.files.webm.size });
    expect(progress.some((p) => p.speed > 0)).toBe(true);
    // At most two a second (with a final one at the end).
    expect(progress.length).toBeLessThanOrEqual(Math.ceil((fixtures.files.webm.size / (128 * 1024)) * 2) + 2);
    for (let i = 0; i < 20; i++) {
      const [row] = await sql`select bytes_served, stream_count, last_used_at from stream_tokens where id = ${body.tokenId}`;
      if (row.stream_count === 1) {
        expect(Number(row.bytes_served)).toBe(fixtures.files.webm.size);
        expect(row.last_used_at).not.toBeNull();
        return;
      }
      await sleep(100);
    }
    throw new Error("stream end was not recorded");
  });
});

describe("piped downloads (no disk)", () => {
  let alice: Client;
  beforeAll(async () => {
    alice = await signedUpClient(app.baseUrl, "pipe");
  });

  async function downloadAndProbe(url: string, pick: (f: Analysis["result"]["formats"][number]) => boolean, name: string) {
    const analysis = await analyzed(alice, url);
    const format = analysis.result.formats.find(pick)!;
    expect(format).toBeDefined();
    const { body } = await createToken(alice, analysis.requestId, format.id);
    const file = path.join(tmp, name);
    const result = await curl(["-D", `${file}.headers`, "-o", file, `${app.baseUrl}${body.streamUrl}`]);
    expect(result.exit).toBe(0);
    return { file, headers: readFileSync(`${file}.headers`, "utf8"), format };
  }

  it("remuxes an HLS stream into MP4 that ffprobe reads, of the source's duration", async () => {
    const { file, headers } = await downloadAndProbe(origin.url("hls"), (f) => !f.derived && f.delivery === "pipe", "hls.mp4");
    expect(headers).toMatch(/content-type: video\/mp4/i);
    expect(Math.abs((await probeDuration(file)) - fixtures.files.hls.durationSeconds)).toBeLessThan(0.5);
  });

  it("merges separate video and audio into one file", async () => {
    const { file, format } = await downloadAndProbe(origin.pageUrl("split"), (f) => f.derived === "best", "merged.mp4");
    // H.264 + AAC fit MP4, which plays everywhere.
    expect(format.ext).toBe("mp4");
    const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", file]);
    expect(stdout.trim().split("\n").sort()).toEqual(["audio", "video"]);
    expect(Math.abs((await probeDuration(file)) - fixtures.files.videoOnly.durationSeconds)).toBeLessThan(0.5);
  });

  it("extracts the sound as M4A", async () => {
    const { file, headers } = await downloadAndProbe(origin.url("webm"), (f) => f.derived === "audio", "audio.m4a");
    expect(headers).toMatch(/content-type: audio\/mp4/i);
    const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "csv=p=0", file]);
    expect(stdout.trim()).toBe("aac,audio");
    expect(Math.abs((await probeDuration(file)) - fixtures.files.webm.durationSeconds)).toBeLessThan(0.5);
  });

  it("leaves no ffmpeg or yt-dlp behind after 100 downloads aborted mid-stream", async () => {
    const analysis = await analyzed(alice, origin.slowUrl("mkv"));
    const audio = analysis.result.formats.find((f) => f.derived === "audio")!;
    const { body } = await createToken(alice, analysis.requestId, audio.id);
    const streamUrl = `${app.baseUrl}${body.streamUrl}`;
    for (let batch = 0; batch < 5; batch++) {
      // 20 at once: each gets its first bytes, then the client disappears.
      await Promise.all(
        Array.from({ length: 20 }, () => run("curl", ["-s", "-o", "/dev/null", "--max-filesize", "1", "-m", "20", "-r", "0-", streamUrl]).catch(() => null)),
      );
    }
    const leftovers = async () =>
      (await run("ps", ["-eo", "args"])).stdout.split("\n").filter((line) => line.includes(origin.baseUrl) && /ffmpeg|yt-dlp/.test(line));
    // A departed client's child gets SIGTERM, then SIGKILL 2 s later: wait for them to go, not for a fixed time.
    await waitFor(async () => (await leftovers()).length === 0, { timeoutMs: 20_000, intervalMs: 200, message: "no ffmpeg/yt-dlp left running" }).catch(
      () => {},
    );
    expect(await leftovers()).toEqual([]);
  });
});

describe("refused tokens send no bytes", () => {
  let alice: Client;
  let token: string;
  let tokenId: string;
  beforeAll(async () => {
    alice = await signedUpClient(app.baseUrl, "refused");
    const analysis = await analyzed(alice, origin.url("m4a"));
    ({ token, tokenId } = (await createToken(alice, analysis.requestId, plainFormat(analysis).id)).body);
  });

  async function refused(t: string) {
    const response = await fetch(`${app.baseUrl}/api/streaming/stream/${t}`);
    const bytes = (await response.arrayBuffer()).byteLength;
    return { status: response.status, bytes, code: response.headers.get("x-error-code") };
  }

  it("refuses forged and altered tokens with 401", async () => {
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const altered = `${header}.${Buffer.from(JSON.stringify({ ...claims, fmt: "audio" })).toString("base64url")}.${signature}`;
    const flipped = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith("AA") ? "BB" : "AA"}`;
    for (const bad of [altered, flipped, "not-a-token", `${header}.${payload}.`]) {
      expect(await refused(bad)).toEqual({ status: 401, bytes: 0, code: "invalid_token" });
    }
  });

  it("refuses an expired token with 410", async () => {
    await sql`update stream_tokens set expires_at = now() - interval '1 second' where id = ${tokenId}`;
    expect(await refused(token)).toEqual({ status: 410, bytes: 0, code: "token_expired" });
    await sql`update stream_tokens set expires_at = now() + interval '30 minutes' where id = ${tokenId}`;
  });

  it("revokes with DELETE (204) and then refuses with 410", async () => {
    const response = await alice.request(`/api/streaming/token/${token}`, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect(await refused(token)).toEqual({ status: 410, bytes: 0, code: "token_revoked" });
  });

  it("shows a short page instead when a browser opens a dead link", async () => {
    const response = await fetch(`${app.baseUrl}/api/streaming/stream/${token}`, { headers: { Accept: "text/html" } });
    expect(response.status).toBe(410);
    expect(await response.text()).toContain("This download link was revoked.");
  });
});

describe("token API", () => {
  it("refreshes a token (the old one is revoked), lists active ones, and bounds refreshes", async () => {
    const alice = await signedUpClient(app.baseUrl, "refresh");
    const analysis = await analyzed(alice, origin.url("m4a"));
    const first = (await createToken(alice, analysis.requestId, plainFormat(analysis).id)).body;
    const refreshed = await alice.request(`/api/streaming/token/${first.token}/refresh`, { method: "POST" });
    expect(refreshed.status).toBe(201);
    const second = (await refreshed.json()) as { token: string; tokenId: string };
    expect(second.token).not.toBe(first.token);
    expect((await fetch(`${app.baseUrl}/api/streaming/stream/${first.token}`)).status).toBe(410);
    expect((await fetch(`${app.baseUrl}/api/streaming/stream/${second.token}`)).status).toBe(200);

    const list = (await (await alice.request("/api/streaming/tokens")).json()) as { tokens: Array<{ tokenId: string }> };
    expect(list.tokens.map((t) => t.tokenId)).toEqual([second.tokenId]);
    expect(JSON.stringify(list)).not.toContain(second.token);

    let current = second.token;
    for (let i = 1; i < 3; i++)
      current = ((await (await alice.request(`/api/streaming/token/${current}/refresh`, { method: "POST" })).json()) as { token: string }).token;
    const tooMany = await alice.request(`/api/streaming/token/${current}/refresh`, { method: "POST" });
    expect(tooMany.status).toBe(429);
  });

  it("keeps tokens to their owner", async () => {
    const alice = await signedUpClient(app.baseUrl, "owner");
    const mallory = await signedUpClient(app.baseUrl, "thief");
    const analysis = await analyzed(alice, origin.url("m4a"));
    const { token } = (await createToken(alice, analysis.requestId, plainFormat(analysis).id)).body;
    expect((await mallory.request(`/api/streaming/token/${token}`, { method: "DELETE" })).status).toBe(404);
    expect((await createToken(mallory, analysis.requestId, "m4a")).status).toBe(404);
  });
});
