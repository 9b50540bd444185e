/**
 * Downloads when the video host misbehaves after the analysis: it dies
 * mid-body, its signed media URL expires, or it sends a huge file to a client
 * that stops reading. Each test asserts what the downloading user sees, and
 * that the user's only stream slot (MAX_CONCURRENT_STREAMS=1) comes back.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import http, { type ClientRequest, type IncomingMessage } from "node:http";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { analyzed, createToken, plainFormat } from "../support/api";
import { egressAllow, ROOMY_LINK_LIMITS, startApp, type RunningApp } from "../support/app";
import { signedUpClient, type Client } from "../support/http";
import { curl } from "../support/curl";
import { waitFor } from "../support/wait";

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const tmp = mkdtempSync(path.join(os.tmpdir(), "tvn-faults-"));

let fixtures: MediaFixtures;
let origin: Origin;
let app: RunningApp;
let sql: postgres.Sql;

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures);
  app = await startApp({
    env: {
      ...egressAllow(origin),
      ...ROOMY_LINK_LIMITS,
      // One download at a time: a slot that is not given back blocks the next download.
      MAX_CONCURRENT_STREAMS: "1",
    },
  });
  sql = postgres(process.env.DATABASE_URL!, { max: 2 });
});

afterAll(async () => {
  await app?.stop();
  await origin?.close();
  await sql?.end();
});

/**
 * The user's next download, retried only while it is refused for want of a
 * slot: the previous stream gives its slot back just after its connection
 * closes. Any other answer (the download itself) is returned.
 */
async function nextDownload(url: string, file: string) {
  return waitFor(
    async () => {
      const result = await curl(["-o", file, url]);
      return result.out.startsWith("429 ") ? null : result;
    },
    { timeoutMs: 20_000, intervalMs: 200, message: "the stream slot to be free again" },
  );
}

/** A signed-up user with a download link for a direct format of `url`. */
async function linkFor(client: Client, url: string) {
  const analysis = await analyzed(client, url);
  const format = plainFormat(analysis);
  expect(format.delivery).toBe("direct");
  const { status, body } = await createToken(client, analysis.requestId, format.id);
  expect(status).toBe(201);
  return { analysis, format, streamUrl: `${app.baseUrl}${body.streamUrl}`, tokenId: body.tokenId };
}

describe("the origin fails mid-body on the direct path", () => {
  it("gives the client a broken transfer (curl exit 18), never a short file that looks complete, and frees the slot", async () => {
    const client = await signedUpClient(app.baseUrl, "cut");
    const media = origin.switchable("mp4");
    const { streamUrl } = await linkFor(client, media.url);
    const whole = readFileSync(fixtures.files.mp4.file);

    media.set({ kind: "truncate", afterBytes: 200_000 });
    const file = path.join(tmp, "cut.mp4");
    const broken = await curl(["-D", `${file}.headers`, "-o", file, streamUrl]);
    // CURLE_PARTIAL_FILE: the body ended before the Content-Length the response promised.
    expect(broken.exit).toBe(18);
    const got = statSync(file).size;
    expect(broken.out).toBe(`200 ${got}`);
    expect(readFileSync(`${file}.headers`, "utf8")).toMatch(new RegExp(`content-length: ${whole.length}\\r\\n`, "i"));
    expect(got).toBeLessThanOrEqual(200_000);
    // What did arrive is the file's true beginning.
    expect(readFileSync(file)).toEqual(whole.subarray(0, got));

    // The same link works once the origin does, in the user's only slot.
    media.set({ kind: "serve" });
    const again = await nextDownload(streamUrl, path.join(tmp, "cut-again.mp4"));
    expect(again).toEqual({ exit: 0, out: `200 ${whole.length}` });
    expect(sha256(path.join(tmp, "cut-again.mp4"))).toBe(fixtures.files.mp4.sha256);
  });
});

describe("the format's media URL has expired (403 / 410)", () => {
  it.each([403, 410])("re-extracts the page with yt-dlp and streams the right bytes when the old URL answers %i", async (expiredStatus) => {
    const client = await signedUpClient(app.baseUrl, `expired-${expiredStatus}`);
    const page = origin.expiringPage("mp4");
    const { analysis, streamUrl } = await linkFor(client, page.pageUrl);
    const stale = new URL(page.mediaUrl).pathname;
    page.expire(expiredStatus);
    const fresh = new URL(page.mediaUrl).pathname;
    const pagePath = new URL(page.pageUrl).pathname;

    const from = origin.log.length;
    const file = path.join(tmp, `expired-${expiredStatus}.mp4`);
    const result = await curl(["-o", file, streamUrl]);
    expect(result).toEqual({ exit: 0, out: `200 ${fixtures.files.mp4.size}` });
    expect(sha256(file)).toBe(fixtures.files.mp4.sha256);

    // The stale URL was refused, the page read again, and the fresh URL served the bytes.
    const seen = () => origin.log.slice(from).map((r) => `${r.status} ${r.path}`);
    await waitFor(() => seen().includes(`200 ${fresh}`), { message: "the fresh media URL in the origin's log" });
    expect(seen()).toContain(`${expiredStatus} ${stale}`);
    expect(seen()).toContain(`200 ${pagePath}`);

    // The fresh URL is kept: the next download goes to it straight away.
    const [row] = await sql`select sources from analysis_requests where id = ${analysis.requestId}`;
    expect(JSON.stringify(row.sources)).toContain(fresh);
    const next = origin.log.length;
    const second = await nextDownload(streamUrl, path.join(tmp, `expired-${expiredStatus}-2.mp4`));
    expect(second).toEqual({ exit: 0, out: `200 ${fixtures.files.mp4.size}` });
    await waitFor(() => origin.log.length > next, { message: "the second download in the origin's log" });
    expect(origin.log.slice(next).map((r) => `${r.status} ${r.path}`)).toEqual([`200 ${fresh}`]);
  });
});

describe("a client that stops reading a large download", () => {
  const TOTAL = 512 * 1024 * 1024;
  const MiB = 1024 * 1024;
  const rssBytes = () => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${app.web.pid}/status`, "utf8"))![1]) * 1024;

  /** Opens the download and reads nothing: the response is left paused, so TCP flow control pushes back. */
  function stalledDownload(url: string) {
    return new Promise<{ req: ClientRequest; res: IncomingMessage }>((resolve, reject) => {
      const req = http.get(url, (res) => resolve({ req, res }));
      req.once("error", reject);
    });
  }

  /** Waits until the origin has stopped producing: the whole path is full and holding it back. */
  async function originHeldBack(media: { bytesSent: number }) {
    let last = -1;
    return waitFor(
      () => {
        const now = media.bytesSent;
        const still = now === last;
        last = now;
        return still && now > 0;
      },
      { timeoutMs: 30_000, intervalMs: 500, message: "the origin to be held back by the stalled client" },
    );
  }

  it("keeps the web process' memory bounded while stalled, delivers every byte on resume, and frees the slot on disconnect", async () => {
    const client = await signedUpClient(app.baseUrl, "stall");
    const media = origin.switchable("mp4");
    const { streamUrl } = await linkFor(client, media.url);
    media.set({ kind: "generate", bytes: TOTAL });

    // 1. Stall, then resume and read to the end.
    const rssBefore = rssBytes();
    const first = await stalledDownload(streamUrl);
    expect(first.res.statusCode).toBe(200);
    expect(Number(first.res.headers["content-length"])).toBe(TOTAL);
    await originHeldBack(media);
    const heldAt = media.bytesSent;
    const samples: number[] = [];
    for (let i = 0; i < 12; i++) {
      samples.push(rssBytes());
      await sleep(250);
    }
    // Memory stays bounded while the origin, which could send 512 MiB, is kept waiting.
    expect(Math.max(...samples) - rssBefore).toBeLessThan(64 * MiB);
    expect(media.bytesSent - heldAt).toBeLessThan(4 * MiB);
    expect(media.bytesSent).toBeLessThan(TOTAL / 4);

    let received = 0;
    const ended = new Promise<void>((resolve, reject) => {
      first.res.on("end", resolve);
      first.res.on("error", reject);
      first.res.on("aborted", () => reject(new Error("the download was cut off after the stall")));
    });
    first.res.on("data", (chunk: Buffer) => (received += chunk.length));
    await ended;
    expect(received).toBe(TOTAL);

    // 2. Stall again, then hang up: the origin connection is dropped and the slot comes back.
    const sentBefore = media.bytesSent;
    const second = await stalledDownload(streamUrl);
    expect(second.res.statusCode).toBe(200);
    await originHeldBack(media);
    expect(media.bytesSent - sentBefore).toBeLessThan(TOTAL / 4);
    second.req.destroy();
    // The origin sees every request for this URL over (its log records a request once it has closed).
    const mediaPath = new URL(media.url).pathname;
    await waitFor(() => origin.log.filter((r) => r.path === mediaPath).length === media.hits, {
      message: "the upstream request to close after the client left",
    });

    media.set({ kind: "serve" });
    const after = await nextDownload(streamUrl, path.join(tmp, "after-stall.mp4"));
    expect(after).toEqual({ exit: 0, out: `200 ${fixtures.files.mp4.size}` });
    expect(sha256(path.join(tmp, "after-stall.mp4"))).toBe(fixtures.files.mp4.sha256);
  });
});
