/**
 * What a hostile (or just unlucky) user sees at the edges the abuse pass
 * added: oversized bodies, one account flooding the analysis queue, racing
 * link creations and refreshes, cross-site requests and sockets, titles that
 * put an emoji right at the file-name cut, secrets in logs, and sign-in
 * limits a stranger cannot turn against the account's owner.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import postgres from "postgres";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { startRedis } from "../../scripts/lib/services";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { analyzed, createToken, plainFormat } from "../support/api";
import { Client, signedUpClient, uniqueEmail } from "../support/http";
import { waitFor } from "../support/wait";

const run = promisify(execFile);
const tmp = mkdtempSync(path.join(os.tmpdir(), "tvn-abuse-"));
/** Redis databases of this file's own: queues and limits must not see other files' leftovers. */
const redisDb = (n: number) => process.env.REDIS_URL!.replace(/\/\d+$/, `/${n}`);
const MAIN_REDIS = redisDb(10);

let fixtures: MediaFixtures;
let origin: Origin;
let pages: PageServer;
let app: RunningApp;
let sql: postgres.Sql;

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures);
  pages = await startPageServer();
  // LOG_LEVEL=info: the log test reads every request line this app wrote.
  app = await startApp({ env: { ...egressAllow(origin, pages), LOG_LEVEL: "info", REDIS_URL: MAIN_REDIS } });
  sql = postgres(process.env.DATABASE_URL!, { max: 2 });
});

afterAll(async () => {
  await app?.stop();
  await pages?.close();
  await origin?.close();
  await sql?.end();
});

/* ------------------------------------------------------------------------------------------------
 * A small loopback site of the test's own: pages with whatever title a test needs (a <video> whose
 * source is a real file on the fixture origin), and /held/ pages that answer only when released.
 * --------------------------------------------------------------------------------------------- */

type PageServer = {
  baseUrl: string;
  url: (pathAndQuery: string) => string;
  /** A page at /page/<name>.html with this title (og:title and <title>) and a <video> of `mediaUrl`. */
  setPage: (name: string, title: string, mediaUrl: string) => string;
  /** Every request received, in arrival order (path and query). */
  readonly arrivals: string[];
  /** The /held/ requests waiting for an answer, in arrival order. */
  readonly held: string[];
  /** Answers the waiting (and any later) /held/ requests with this query with a video page. */
  release: (pathAndQuery: string, title: string, mediaUrl: string) => void;
  /** Answers every waiting and later /held/ request with 404 at once. */
  releaseAll: () => void;
  close: () => Promise<void>;
};

const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");

/** A page like the fixture origin's video page: og:title, and a <video> with one <source>. */
function videoPage(title: string, mediaUrl: string) {
  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<meta property="og:title" content="${escapeHtml(title)}">
<meta property="og:type" content="video.other">
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<video controls width="640" height="360">
  <source src="${escapeHtml(mediaUrl)}" type="video/mp4">
</video>
</body>
</html>
`;
}

async function startPageServer(): Promise<PageServer> {
  const pageHtml = new Map<string, string>();
  const arrivals: string[] = [];
  const waiting = new Map<string, ServerResponse[]>();
  const released = new Map<string, string>();
  let releaseEverything = false;
  const sendHtml = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  };

  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? "/";
    arrivals.push(target);
    const pathname = target.split("?")[0];
    if (pathname.startsWith("/held/")) {
      const answer = released.get(target);
      if (answer !== undefined) return sendHtml(res, 200, answer);
      if (releaseEverything) return sendHtml(res, 404, "gone");
      const list = waiting.get(target) ?? [];
      list.push(res);
      waiting.set(target, list);
      res.on("close", () => {
        const left = (waiting.get(target) ?? []).filter((r) => r !== res);
        if (left.length) waiting.set(target, left);
        else waiting.delete(target);
      });
      return;
    }
    const page = pageHtml.get(pathname);
    if (page !== undefined) return sendHtml(res, 200, page);
    sendHtml(res, 404, "Not Found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    url: (pathAndQuery) => `${baseUrl}${pathAndQuery}`,
    setPage: (name, title, mediaUrl) => {
      pageHtml.set(`/page/${name}.html`, videoPage(title, mediaUrl));
      return `${baseUrl}/page/${name}.html`;
    },
    arrivals,
    get held() {
      return [...waiting.keys()];
    },
    release: (pathAndQuery, title, mediaUrl) => {
      const body = videoPage(title, mediaUrl);
      released.set(pathAndQuery, body);
      for (const res of waiting.get(pathAndQuery) ?? []) sendHtml(res, 200, body);
      waiting.delete(pathAndQuery);
    },
    releaseAll: () => {
      releaseEverything = true;
      for (const list of waiting.values()) for (const res of list) sendHtml(res, 404, "gone");
      waiting.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/* ------------------------------------------------------------------------------------------------ */

type ApiError = { error?: { code: string; message: string } };

async function postJson(client: Client, pathname: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await client.request(pathname, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> & ApiError = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // an HTML page or an empty body: json stays empty
  }
  return { status: response.status, headers: response.headers, json, text };
}

const analyze = (client: Client, url: string, headers: Record<string, string> = {}) => postJson(client, "/api/streaming/analyze", { url }, headers);

async function activeTokens(client: Client) {
  const response = await client.request("/api/streaming/tokens");
  expect(response.status).toBe(200);
  return ((await response.json()) as { tokens: { tokenId: string }[] }).tokens;
}

/* ------------------------------------------------------------------------------------------------ */

const TEN_MB = 10 * 1024 * 1024;
const BODY_LIMITED_PATHS = ["/login", "/signup", "/logout", "/?index", "/tokens", "/api/streaming/analyze", "/api/streaming/token"];

/** A POST whose body has no Content-Length: node:http sends a Readable as chunked transfer encoding. */
function postChunked(url: string, contentType: string, totalBytes: number) {
  return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, "a");
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent >= totalBytes) return this.push(null);
        sent += chunk.length;
        this.push(chunk);
      },
    });
    const req = http.request(url, { method: "POST", headers: { "Content-Type": contentType } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString(), headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", reject);
    body.pipe(req);
  });
}

function rssBytes(pid: number) {
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1];
  return Number(kb) * 1024;
}

describe("request body limits", () => {
  it("answers 10 MB bodies (JSON, form, chunked) with 413 payload_too_large without holding them in memory", async () => {
    const json = Buffer.from(`{"url":"${"a".repeat(TEN_MB - 10)}"}`);
    const form = Buffer.from(`email=${"a".repeat(TEN_MB)}`);
    // A warm-up of each kind, so the first measurement already includes what answering them costs once.
    await fetch(`${app.baseUrl}/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: json }).then((r) => r.arrayBuffer());
    await postChunked(`${app.baseUrl}/login`, "application/x-www-form-urlencoded", TEN_MB);
    const before = rssBytes(app.web.pid!);

    const attempts: Promise<{ what: string; status: number; body: string }>[] = [];
    for (const pathname of BODY_LIMITED_PATHS) {
      for (const [kind, type, body] of [
        ["json", "application/json", json],
        ["form", "application/x-www-form-urlencoded", form],
      ] as const) {
        attempts.push(
          fetch(`${app.baseUrl}${pathname}`, { method: "POST", headers: { "Content-Type": type }, body, redirect: "manual" }).then(async (r) => ({
            what: `${kind} ${pathname}`,
            status: r.status,
            body: await r.text(),
          })),
        );
      }
      const chunkedType = pathname.startsWith("/api/") ? "application/json" : "application/x-www-form-urlencoded";
      attempts.push(
        postChunked(`${app.baseUrl}${pathname}`, chunkedType, TEN_MB).then((r) => ({
          what: `chunked ${pathname}`,
          status: r.status,
          body: r.body,
        })),
      );
    }
    const answers = await Promise.all(attempts);
    expect(answers).toHaveLength(21);
    for (const answer of answers) {
      expect({ what: answer.what, status: answer.status }).toEqual({ what: answer.what, status: 413 });
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "payload_too_large" } });
    }

    const after = rssBytes(app.web.pid!);
    // 21 bodies of 10 MB passed through: had they been kept, the process would have grown by ~200 MB.
    expect(after - before).toBeLessThan(50 * 1024 * 1024);

    // An ordinary small sign-in still works.
    const email = uniqueEmail("after-flood");
    expect(
      (await new Client(app.baseUrl).post("/signup", { email, password: "a long enough password", confirmPassword: "a long enough password" })).status,
    ).toBe(302);
    const client = new Client(app.baseUrl);
    expect((await client.post("/login", { email, password: "a long enough password" })).status).toBe(302);
    expect(await (await client.request("/account")).text()).toContain(email);
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe("one account cannot hold the analysis queue", () => {
  let fair: RunningApp;

  beforeAll(async () => {
    // Defaults: MAX_PENDING_ANALYSES=3, ANALYSIS_CONCURRENCY=2; a queue of this test's own.
    fair = await startApp({ env: { ...egressAllow(origin, pages), REDIS_URL: redisDb(11) } });
  });
  afterAll(async () => {
    pages?.releaseAll();
    await fair?.stop();
  });

  it("accepts 3 of 60 pending analyses, answers the same URL with the same request, and serves another account first", async () => {
    const greedy = await signedUpClient(fair.baseUrl, "greedy");
    const heldPath = (i: number) => `/held/page.html?n=${i}`;
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => analyze(greedy, pages.url(heldPath(i))).then((a) => ({ ...a, i }))));

    const accepted = answers.filter((a) => a.status === 202 || a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    // None of them can finish (their pages never answer), so exactly the cap is accepted.
    expect(accepted.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(refused).toHaveLength(57);
    for (const r of refused) {
      expect(r.json.error?.code).toBe("too_many_analyses");
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    }

    // The same URL again (also spelled with a tracking parameter) is the same pending request, not a 429.
    for (const a of accepted) {
      const again = await analyze(greedy, pages.url(heldPath(a.i)));
      expect(again.status).toBe(202);
      expect(again.json.requestId).toBe(a.json.requestId);
      const tracked = await analyze(greedy, `${pages.url(heldPath(a.i))}&utm_source=spam`);
      expect(tracked.json.requestId).toBe(a.json.requestId);
    }
    // Still 3: a fourth distinct URL is refused.
    expect((await analyze(greedy, pages.url(heldPath(999)))).status).toBe(429);

    // The worker's two slots are both taken by the greedy account's pages, which hang.
    await waitFor(() => pages.held.length === 2, { timeoutMs: 20_000, message: () => `held: ${JSON.stringify(pages.held)}` });
    const running = pages.held;
    const idOf = (target: string) => accepted.find((a) => heldPath(a.i) === target)!.json.requestId as string;
    const third = accepted.map((a) => heldPath(a.i)).find((target) => !running.includes(target))!;

    const patient = await signedUpClient(fair.baseUrl, "patient");
    const pageUrl = pages.setPage(`fair-${Date.now()}`, "Fair share", origin.url("mp4"));
    const submitted = await analyze(patient, pageUrl);
    expect(submitted.status).toBe(202);
    const patientId = submitted.json.requestId as string;

    // One of the greedy account's pages answers: its slot goes to the other account, not to its own third job.
    pages.release(running[0], "Greedy page", origin.url("mp4"));
    const done = await waitFor(
      async () => {
        const view = (await (await patient.request(`/api/streaming/analyze/${patientId}`)).json()) as { status: string };
        if (view.status === "failed") throw new Error(`analysis failed: ${JSON.stringify(view)}`);
        return view.status === "completed" ? view : null;
      },
      { timeoutMs: 30_000, message: "the other account's analysis never completed" },
    );
    expect(done.status).toBe("completed");

    // The greedy account's other two are still waiting.
    for (const target of [running[1], third]) {
      const view = (await (await greedy.request(`/api/streaming/analyze/${idOf(target)}`)).json()) as { status: string };
      expect(["queued", "active"]).toContain(view.status);
    }
    // The slot the other account's job leaves goes to the greedy account's third job: it was queued all along, behind it.
    await waitFor(() => pages.arrivals.includes(third), { timeoutMs: 20_000, message: "the greedy account's third job never ran" });
    const fairIndex = pages.arrivals.findIndex((a) => a.startsWith(new URL(pageUrl).pathname));
    expect(fairIndex).toBeGreaterThanOrEqual(0);
    expect(fairIndex).toBeLessThan(pages.arrivals.indexOf(third));
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe("limits hold under concurrent requests", () => {
  it("creates exactly MAX_TOKENS_PER_USER (5) of 12 parallel links, and lets exactly one of 6 parallel refreshes win", async () => {
    const client = await signedUpClient(app.baseUrl, "racer");
    const analysis = await analyzed(client, origin.url("m4a"));
    const formatId = plainFormat(analysis).id;

    const created = await Promise.all(Array.from({ length: 12 }, () => createToken(client, analysis.requestId, formatId)));
    const won = created.filter((c) => c.status === 201);
    const lost = created.filter((c) => c.status !== 201);
    expect(won).toHaveLength(5);
    expect(lost.map((c) => c.status)).toEqual(Array(7).fill(429));
    for (const c of lost) {
      expect(c.body.error!.code).toBe("too_many_active_tokens");
      expect(c.headers.get("retry-after")).toBeTruthy();
    }
    const listed = await activeTokens(client);
    expect(listed).toHaveLength(5);
    expect(new Set(listed.map((t) => t.tokenId))).toEqual(new Set(won.map((c) => c.body.tokenId)));

    const victim = won[0].body;
    const refreshes = await Promise.all(Array.from({ length: 6 }, () => postJson(client, `/api/streaming/token/${victim.token}/refresh`, {}).then((r) => r)));
    const refreshed = refreshes.filter((r) => r.status >= 200 && r.status < 300);
    expect(refreshed).toHaveLength(1);
    expect(refreshed[0].status).toBe(201);
    const others = refreshes.filter((r) => r !== refreshed[0]);
    expect(others.map((r) => r.status)).toEqual(Array(5).fill(410));
    for (const r of others) expect(r.json.error?.code).toBe("token_revoked");

    const afterRefresh = await activeTokens(client);
    expect(afterRefresh).toHaveLength(5);
    const ids = afterRefresh.map((t) => t.tokenId);
    expect(ids).toContain(refreshed[0].json.tokenId);
    expect(ids).not.toContain(victim.tokenId);
  });
});

/* ------------------------------------------------------------------------------------------------ */

function connectSocket(baseUrl: string, cookie: string, originHeader: string) {
  const socket: Socket = io(baseUrl, {
    transports: ["polling"],
    reconnection: false,
    forceNew: true,
    extraHeaders: { Cookie: cookie, Origin: originHeader },
  });
  return new Promise<{ connected: boolean; error?: string }>((resolve) => {
    socket.once("connect", () => {
      socket.close();
      resolve({ connected: true });
    });
    socket.once("connect_error", (err) => {
      socket.close();
      resolve({ connected: false, error: err.message });
    });
  });
}

describe("cross-site requests", () => {
  const EVIL = "https://evil.example";

  it("refuses state-changing requests from another site with 403 cross_site, and changes nothing", async () => {
    const client = await signedUpClient(app.baseUrl, "csrf");
    const [{ count: analysesBefore }] =
      await sql`select count(*)::int as count from analysis_requests a join users u on u.id = a.user_id where u.email = ${client.email}`;

    const attempts: [string, RequestInit][] = [
      ["/logout", { method: "POST" }],
      ["/login", { method: "POST", body: new URLSearchParams({ email: client.email, password: "a long enough password" }) }],
      ["/api/streaming/analyze", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ url: origin.url("mp4") }) }],
      ["/tokens", { method: "POST", body: new URLSearchParams({ intent: "revoke", tokenId: "00000000-0000-0000-0000-000000000000" }) }],
    ];
    // A foreign Origin; a browser's own word that the request is cross-site; a sibling site (same-site is not same-origin).
    const foreigners: Record<string, string>[] = [{ Origin: EVIL }, { "Sec-Fetch-Site": "cross-site" }, { "Sec-Fetch-Site": "same-site", Origin: app.baseUrl }];
    for (const foreign of foreigners) {
      for (const [pathname, init] of attempts) {
        const response = await client.request(pathname, { ...init, headers: { ...(init.headers as Record<string, string>), ...foreign } });
        expect({ pathname, foreign, status: response.status }).toEqual({ pathname, foreign, status: 403 });
        expect(await response.json()).toMatchObject({ error: { code: "cross_site" } });
      }
    }

    // The forged /logout did not sign the user out, and the forged analysis was never recorded.
    expect(client.cookie("tvn_session")).toBeTruthy();
    const account = await client.request("/account");
    expect(account.status).toBe(200);
    expect(await account.text()).toContain(client.email);
    const [{ count: analysesAfter }] =
      await sql`select count(*)::int as count from analysis_requests a join users u on u.id = a.user_id where u.email = ${client.email}`;
    expect(analysesAfter).toBe(analysesBefore);
  });

  it("lets the same requests through from the app's own origin", async () => {
    const client = await signedUpClient(app.baseUrl, "same-origin");
    const sameOrigin = { Origin: app.baseUrl };

    const analysis = await analyze(client, origin.url("m4a"), sameOrigin);
    expect([200, 202]).toContain(analysis.status);
    const finished = await analyzed(client, origin.url("m4a"));
    const { body: link } = await createToken(client, finished.requestId, plainFormat(finished).id);

    // Revoking through the /tokens form, as the page itself submits it.
    const revoke = await client.request("/tokens", {
      method: "POST",
      headers: { "Sec-Fetch-Site": "same-origin", Origin: app.baseUrl },
      body: new URLSearchParams({ intent: "revoke", tokenId: link.tokenId }),
    });
    expect(revoke.status).toBe(200);
    expect((await activeTokens(client)).map((t) => t.tokenId)).not.toContain(link.tokenId);

    const out = await client.request("/logout", { method: "POST", headers: { "Sec-Fetch-Site": "same-origin" } });
    expect(out.status).toBe(302);
    expect(client.cookie("tvn_session")).toBeUndefined();

    const login = await client.request("/login", {
      method: "POST",
      headers: sameOrigin,
      body: new URLSearchParams({ email: client.email, password: "a long enough password" }),
    });
    expect(login.status).toBe(302);
    expect(await (await client.request("/account")).text()).toContain(client.email);
  });

  it("does not treat a bearer-authenticated API call from another origin as cross-site", async () => {
    const response = await fetch(`${app.baseUrl}/api/streaming/analyze`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer not-a-real-key", Origin: EVIL },
      body: JSON.stringify({ url: origin.url("mp4") }),
    });
    const body = (await response.json()) as ApiError;
    expect(response.status).not.toBe(403);
    expect(body.error?.code).not.toBe("cross_site");
    expect(response.status).toBe(401);
  });

  it("refuses a socket opened from another origin and accepts one from the app's own", async () => {
    const client = await signedUpClient(app.baseUrl, "socket");
    const cookie = `tvn_session=${client.cookie("tvn_session")}`;
    const foreign = await connectSocket(app.baseUrl, cookie, EVIL);
    expect(foreign.connected).toBe(false);
    const own = await connectSocket(app.baseUrl, cookie, app.baseUrl);
    expect(own).toEqual({ connected: true });
  });
});

/* ------------------------------------------------------------------------------------------------ */

const MAX_BASE = 150;

/** What the file's base name must be: whole graphemes of the NFC title within 150 UTF-16 units. */
function expectedBase(title: string) {
  const nfc = title.normalize("NFC");
  let end = 0;
  for (const { segment, index } of new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(nfc)) {
    if (index + segment.length > MAX_BASE) break;
    end = index + segment.length;
  }
  return nfc.slice(0, end).replace(/[. ]+$/, "");
}

/** Whether `prefix` ends on a grapheme boundary of `text`. */
function endsOnGrapheme(text: string, prefix: string) {
  if (!text.startsWith(prefix)) return false;
  return [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)].some((s) => s.index + s.segment.length === prefix.length);
}

/** The decoded RFC 5987 filename*; decodeURIComponent throws on bytes that are not UTF-8. */
function filenameStar(disposition: string) {
  const encoded = /filename\*=UTF-8''([^;\s]+)/i.exec(disposition)?.[1];
  expect(encoded, disposition).toBeTruthy();
  const decoded = decodeURIComponent(encoded!);
  expect(decoded).not.toContain("\uFFFD");
  expect(decoded).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  return decoded;
}

describe("file names cut at 150 UTF-16 units keep whole graphemes", () => {
  // One unit per character in every normal form (Đ has no decomposition), and not ASCII, so the name needs filename*.
  const filler = (n: number) => "Đi_clip_".repeat(20).slice(0, n);

  const cases = [
    // 149 units, then a two-unit emoji at 149–150: cutting at 150 would leave half a surrogate pair.
    { name: "emoji", title: `${filler(149)}😀 and more words after the cut` },
    // A letter at 149 with two combining marks after it (no precomposed form, even in NFC).
    { name: "combining", title: `${filler(149)}q\u0323\u0307 and more words after the cut` },
    // Vietnamese sent decomposed (NFD): "ệ" is e + two marks at 149–151 until normalised to one unit at 149.
    { name: "vietnamese", title: `${filler(147)}Việt Nam – thử nghiệm`.normalize("NFD") },
  ];

  it.each(cases)("$name: three downloads in a row and three at once all succeed with a valid name", async ({ name, title }) => {
    const client = await signedUpClient(app.baseUrl, `cut-${name}`);
    const pageUrl = pages.setPage(`cut-${name}-${Date.now()}`, title, origin.url("mp4"));
    const analysis = await analyzed(client, pageUrl);
    expect(analysis.result.title.normalize("NFC")).toBe(title.normalize("NFC"));
    const { status, body } = await createToken(client, analysis.requestId, plainFormat(analysis).id);
    expect(status).toBe(201);
    const streamUrl = `${app.baseUrl}${body.streamUrl}`;
    const base = expectedBase(title);
    expect(base.length).toBeLessThanOrEqual(MAX_BASE);
    expect(endsOnGrapheme(title.normalize("NFC"), base)).toBe(true);
    const size = fixtures.files.mp4.size;

    for (let i = 0; i < 3; i++) {
      const dir = mkdtempSync(path.join(tmp, `${name}-`));
      const { stdout } = await run("curl", ["-s", "-OJ", "-D", path.join(tmp, `${name}-${i}.headers`), "-w", "%{http_code} %{size_download}", streamUrl], {
        cwd: dir,
      });
      expect(stdout).toBe(`200 ${size}`);
      expect(readdirSync(dir)).toEqual([`${base}.mp4`]);
      expect(statSync(path.join(dir, `${base}.mp4`)).size).toBe(size);
      const disposition = /^content-disposition:\s*(.+)$/im.exec(readFileSync(path.join(tmp, `${name}-${i}.headers`), "utf8"))![1].trim();
      expect(filenameStar(disposition)).toBe(`${base}.mp4`);
    }

    // Every slot those downloads claimed was given back...
    const [{ id: userId }] = await sql`select id from users where email = ${client.email}`;
    const redis = new Redis(MAIN_REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      await waitFor(async () => (await redis.zcount(`streams:slots:${userId}`, Date.now(), "+inf")) === 0, {
        message: "stream slots were not released",
      });
    } finally {
      redis.disconnect();
    }
    // ...so MAX_CONCURRENT_STREAMS (3) downloads at once still all run.
    const together = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const response = await fetch(streamUrl);
        return { status: response.status, bytes: (await response.arrayBuffer()).byteLength, disposition: response.headers.get("content-disposition") ?? "" };
      }),
    );
    for (const t of together) {
      expect({ status: t.status, bytes: t.bytes }).toEqual({ status: 200, bytes: size });
      expect(filenameStar(t.disposition)).toBe(`${base}.mp4`);
    }
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe("nothing secret in the logs", () => {
  it("logs no download token, session cookie or password, only masked token paths", async () => {
    const mark = app.output().length;
    const email = uniqueEmail("logs");
    const password = `secret-${randomBytes(12).toString("hex")}`;
    const wrongPassword = `wrong-${randomBytes(12).toString("hex")}`;
    expect((await new Client(app.baseUrl).post("/signup", { email, password, confirmPassword: password })).status).toBe(302);
    expect((await new Client(app.baseUrl).post("/login", { email, password: wrongPassword })).status).toBe(401);
    const client = new Client(app.baseUrl);
    expect((await client.post("/login", { email, password })).status).toBe(302);
    const session = client.cookie("tvn_session")!;

    const analysis = await analyzed(client, origin.url("m4a"));
    const { body: link } = await createToken(client, analysis.requestId, plainFormat(analysis).id);
    const download = await fetch(`${app.baseUrl}${link.streamUrl}`);
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(fixtures.files.m4a.size);
    const revoked = await client.request(`/api/streaming/token/${link.token}`, { method: "DELETE" });
    expect(revoked.status).toBeLessThan(300);

    // A token is logged as the start of its SHA-256: the start of its row's token_hash, useless as a credential.
    const masked = (route: string) => `/api/streaming/${route}/#${createHash("sha256").update(link.token).digest("hex").slice(0, 12)}`;
    const requestLines = () =>
      app
        .output()
        .slice(mark)
        .split("\n")
        .filter((line) => line.includes('"req":'))
        .flatMap((line) => {
          try {
            return [(JSON.parse(line) as { req: { method: string; url: string } }).req];
          } catch {
            return []; // a line still being written
          }
        });
    await waitFor(
      () => {
        const lines = requestLines();
        return lines.some((r) => r.method === "GET" && r.url === masked("stream")) && lines.some((r) => r.method === "DELETE" && r.url === masked("token"));
      },
      { message: () => `no masked token paths in the log:\n${app.output().slice(mark).slice(-3000)}` },
    );
    const output = app.output();
    const signature = link.token.split(".")[2];
    for (const secret of [link.token, signature, session, decodeURIComponent(session), password, wrongPassword]) {
      expect(output.includes(secret), `the log contains ${secret.slice(0, 12)}…`).toBe(false);
    }
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe("sign-in limits a stranger cannot turn against the owner", () => {
  let guarded: RunningApp;
  const PASSWORD = "the owner's own password";

  beforeAll(async () => {
    guarded = await startApp({
      worker: false,
      env: { TRUST_PROXY: "1", AUTH_RATE_LIMIT_PER_EMAIL: "3", AUTH_ACCOUNT_FAILURES_BEFORE_SLOWDOWN: "5", REDIS_URL: redisDb(12) },
    });
  });
  afterAll(() => guarded?.stop());

  const from = (ip: string) => new Client(guarded.baseUrl, { "X-Forwarded-For": ip });

  it("refuses a guessing address, but lets the owner in from elsewhere, even past the account-wide ceiling (slowed)", async () => {
    const email = uniqueEmail("victim");
    expect((await from("10.0.0.9").post("/signup", { email, password: PASSWORD, confirmPassword: PASSWORD })).status).toBe(302);

    // A stranger guesses from one address until refused.
    const stranger = from("10.0.0.1");
    const statuses: number[] = [];
    for (let i = 0; i < 5 && statuses.at(-1) !== 429; i++) statuses.push((await stranger.post("/login", { email, password: `guess ${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const refused = await stranger.post("/login", { email, password: PASSWORD });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);

    // The owner, from their own address, is not locked out.
    const owner = from("10.0.0.2");
    expect((await owner.post("/login", { email, password: PASSWORD })).status).toBe(302);
    expect(await (await owner.request("/account")).text()).toContain(email);

    // Many strangers, one guess each from their own address: past the account-wide ceiling, answered (slowly), never refused.
    const spread: number[] = [];
    for (let i = 1; i <= 6; i++) spread.push((await from(`10.0.1.${i}`).post("/login", { email, password: `spread guess ${i}` })).status);
    expect(spread).toEqual(Array(6).fill(401));

    // The owner from yet another address still signs in; the attempt is slowed down (the deliberate 1 s pause), not refused.
    const elsewhere = from("10.0.0.3");
    const started = Date.now();
    const signedIn = await elsewhere.post("/login", { email, password: PASSWORD });
    const waited = Date.now() - started;
    expect(signedIn.status).toBe(302);
    expect(await (await elsewhere.request("/account")).text()).toContain(email);
    expect(waited).toBeGreaterThanOrEqual(900);
  });
});

describe("a frozen Redis", () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let frozen: RunningApp;
  const thaw = () => {
    try {
      process.kill(redis.child.pid!, "SIGCONT");
    } catch (err) {
      // Already gone is fine: there is nothing left to thaw.
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  };

  beforeAll(async () => {
    // A Redis of this test's own (like health.test.ts): freezing it stalls no other app.
    const dir = path.join(process.env.TVN_TEST_SERVICES_DIR!, `abuse-redis-${Date.now()}`);
    redis = await startRedis({ dataDir: dir, logFile: `${dir}.log`, password: randomBytes(12).toString("hex"), ephemeral: true });
    frozen = await startApp({ env: { ...egressAllow(origin), REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    if (redis) thaw();
    await frozen?.stop();
    await redis?.stop();
  });

  it("answers 503 service_unavailable with Retry-After while Redis does not answer, and recovers", async () => {
    const client = await signedUpClient(frozen.baseUrl, "frozen");
    const analysis = await analyzed(client, origin.url("m4a"));
    const formatId = plainFormat(analysis).id;
    const createLink = () =>
      client.request("/api/streaming/token", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ requestId: analysis.requestId, formatId }),
        // A hang fails the test instead of waiting for the test timeout.
        signal: AbortSignal.timeout(15_000),
      });
    const listLinks = () => client.request("/api/streaming/tokens", { signal: AbortSignal.timeout(15_000) });

    process.kill(redis.child.pid!, "SIGSTOP");
    try {
      for (const call of [createLink, listLinks]) {
        const response = await call();
        expect(response.status).toBe(503);
        expect(await response.json()).toMatchObject({ error: { code: "service_unavailable" } });
        expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
      }
    } finally {
      thaw();
    }

    const created = await waitFor(
      async () => {
        const response = await createLink();
        return response.status === 201 ? response : null;
      },
      { timeoutMs: 30_000, intervalMs: 250, message: "link creation did not recover" },
    );
    expect(created.status).toBe(201);
    await waitFor(async () => (await listLinks()).status === 200, { timeoutMs: 30_000, intervalMs: 250 });
  });
});
