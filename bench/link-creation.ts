/**
 * Link creation against the same server's static file, in one run (issue 14.3):
 *   - GET /favicon.svg (express.static: the floor of one HTTP round trip);
 *   - GET /livez (a Remix route that does nothing: what the framework costs);
 *   - POST /api/streaming/token;
 *   - the analysis page's form action (as the page's fetcher posts it: single fetch, `<path>.data`).
 * Many accounts, each within the default limits (MAX_TOKENS_PER_USER,
 * MAX_TOKENS_PER_HOUR, FREE_TIER_DAILY unchanged): every account makes at most
 * MAX_TOKENS_PER_USER links. Only the per-address API budget is lifted, since
 * every simulated user comes from 127.0.0.1. Accounts, sessions and their
 * finished analyses are written straight into the database (copies of one real
 * analysis): signing up thousands of users through argon2 would take longer
 * than the run.
 *
 * The four are measured in interleaved rounds (static, /livez, API, form, then
 * again), so a neighbour's load on a shared machine falls on all of them
 * alike; a ratio is the median of its rounds' ratios to that round's static
 * rate, p50/p99 are over every request of every round.
 *
 *   npm run bench:links [-- --seconds 3 --rounds 5 --warm-up 1 --concurrency 32]
 *   BENCH_PROFILE=/tmp/prof npm run bench:links     (--cpu-prof of the web process)
 *   BENCH_PATHS=floor,api npm run bench:links       (only these: floor, remixFloor, api, form)
 *
 * Prints figures; asserts nothing.
 */
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import { createCookie } from "@remix-run/node";
import postgres from "postgres";
import { ensureMediaFixtures } from "../tests/fixtures/media";
import { startOrigin } from "../tests/fixtures/origin";
import { analyzed, plainFormat } from "../tests/support/api";
import { egressAllow, startApp } from "../tests/support/app";
import { signedUpClient } from "../tests/support/http";
import { arg, percentile, printTable, startBenchServices } from "./support";

const SECONDS = arg("seconds", 3);
/** Each path runs this long, unmeasured, before the rounds: the first requests of a path pay for its JIT compilation. */
const WARM_UP_SECONDS = arg("warm-up", 1);
const ROUNDS = arg("rounds", 5);
const CONCURRENCY = arg("concurrency", 32);
/** The default MAX_TOKENS_PER_USER: each account makes exactly this many links. */
const LINKS_PER_USER = 5;
/** Enough accounts for this many links a second over the run, per measured path. */
const USERS = Math.ceil((arg("max-rate", 2500) * (SECONDS * ROUNDS + WARM_UP_SECONDS)) / LINKS_PER_USER);

const services = await startBenchServices("links");
const origin = await startOrigin(await ensureMediaFixtures());
const SESSION_SECRET = randomBytes(24).toString("hex");
const app = await startApp({
  worker: true,
  env: {
    ...egressAllow(origin),
    SESSION_SECRET,
    API_RATE_LIMIT_PER_MINUTE: "100000000",
    LOG_LEVEL: "warn",
    ...(process.env.BENCH_PROFILE ? { TVN_NODE_ARGS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}` } : {}),
  },
});
const sql = postgres(process.env.DATABASE_URL!, { max: 4, onnotice: () => {} });
const sessionCookie = createCookie("tvn_session", { secrets: [SESSION_SECRET] });

type Target = { cookie: string; requestId: string };

/** `count` accounts with a session and a copy of `template`'s finished analysis each. */
async function seedUsers(count: number, templateId: string): Promise<Target[]> {
  const rows = Array.from({ length: count }, () => ({ userId: randomUUID(), sessionId: randomBytes(32).toString("base64url"), requestId: randomUUID() }));
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    const userIds = chunk.map((r) => r.userId);
    await sql`insert into users (id, email, password_hash)
      select id, id || '@bench.example', 'not-a-password-hash' from unnest(${userIds}::uuid[]) as id`;
    await sql`insert into sessions (id, user_id, data, expires_at)
      select s, u, jsonb_build_object('userId', u), now() + interval '1 day'
      from unnest(${chunk.map((r) => r.sessionId)}::text[], ${userIds}::uuid[]) as t(s, u)`;
    await sql`insert into analysis_requests (id, user_id, url, url_hash, status, stage, progress, result, sources, finished_at)
      select r, u, a.url, a.url_hash, a.status, a.stage, a.progress, a.result, a.sources, now()
      from unnest(${chunk.map((r) => r.requestId)}::uuid[], ${userIds}::uuid[]) as t(r, u), analysis_requests a where a.id = ${templateId}`;
  }
  return Promise.all(rows.map(async (r) => ({ cookie: (await sessionCookie.serialize(r.sessionId)).split(";")[0], requestId: r.requestId })));
}

type Round = { perSecond: number; latencies: number[]; refused: Map<number, number>; cpuPerRequest: number };

/** CPU time (user + system, ms) the web process has used so far. */
function webCpuMs() {
  const fields = readFileSync(`/proc/${app.web.pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));

/** `CONCURRENCY` loops sending requests back to back until `seconds` pass or `next` runs dry. */
async function load(next: () => (() => Promise<Response>) | null, seconds = SECONDS): Promise<Round> {
  const latencies: number[] = [];
  const refused = new Map<number, number>();
  const cpuBefore = webCpuMs();
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let send = next(); send && performance.now() < until; send = next()) {
        const t0 = performance.now();
        const response = await send();
        await response.arrayBuffer();
        if (response.ok) latencies.push(performance.now() - t0);
        else refused.set(response.status, (refused.get(response.status) ?? 0) + 1);
      }
    }),
  );
  const answered = latencies.length + [...refused.values()].reduce((a, b) => a + b, 0);
  return { perSecond: latencies.length / ((performance.now() - started) / 1000), latencies, refused, cpuPerRequest: (webCpuMs() - cpuBefore) / answered };
}

/** One path's rounds together: rates per round, latencies and refusals over all of them. */
function pooled(rounds: Round[]) {
  const latencies = rounds.flatMap((r) => r.latencies);
  const refused = new Map<number, number>();
  for (const r of rounds) for (const [status, n] of r.refused) refused.set(status, (refused.get(status) ?? 0) + n);
  const rates = rounds.map((r) => r.perSecond);
  return {
    rates,
    perSecond: median(rates),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    refused,
    cpu: median(rounds.map((r) => r.cpuPerRequest)),
  };
}

const median = (values: number[]) => percentile(values, 50);

/** Each account's links in turn: account k makes links k·5 … k·5+4, then the next account. */
function linkRequests(targets: Target[], send: (target: Target) => Promise<Response>) {
  let issued = 0;
  return () => {
    const target = targets[Math.floor(issued / LINKS_PER_USER)];
    if (!target) return null;
    issued++;
    return () => send(target);
  };
}

try {
  const owner = await signedUpClient(app.baseUrl, "bench-links");
  const template = await analyzed(owner, origin.url("mp4"));
  const formatId = plainFormat(template).id;
  const [apiUsers, formUsers] = [await seedUsers(USERS, template.requestId), await seedUsers(USERS, template.requestId)];

  const paths = {
    floor: () => () => fetch(`${app.baseUrl}/favicon.svg`),
    remixFloor: () => () => fetch(`${app.baseUrl}/livez`),
    api: linkRequests(apiUsers, (target) =>
      fetch(`${app.baseUrl}/api/streaming/token`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Cookie: target.cookie },
        body: JSON.stringify({ requestId: target.requestId, formatId }),
      }),
    ),
    form: linkRequests(formUsers, (target) =>
      fetch(`${app.baseUrl}/analyze/${target.requestId}.data`, {
        method: "POST",
        headers: { Cookie: target.cookie },
        body: new URLSearchParams({ formatId, js: "1" }),
      }),
    ),
  };
  // What is measured must be link creation: one answer of each kind carries a stream URL.
  for (const name of ["api", "form"] as const) {
    const response = await paths[name]()!();
    const body = await response.text();
    if (!response.ok || !body.includes("/api/streaming/stream/")) throw new Error(`${name}: no link made (${response.status}): ${body.slice(0, 300)}`);
  }
  const rounds: Record<keyof typeof paths, Round[]> = { floor: [], remixFloor: [], api: [], form: [] };
  const only = process.env.BENCH_PATHS?.split(",");
  const measured = (Object.keys(paths) as (keyof typeof paths)[]).filter((name) => name === "floor" || !only || only.includes(name));
  if (WARM_UP_SECONDS > 0) for (const name of measured) await load(paths[name], WARM_UP_SECONDS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of measured) rounds[name].push(await load(paths[name]));
  }
  /** Each round's rate against the static file's in the same round, the median over rounds. */
  const ratioOf = (name: keyof typeof paths) => median(rounds[name].map((r, i) => r.perSecond / rounds.floor[i].perSecond));
  const refused = (r: { refused: Map<number, number> }) =>
    r.refused.size ? ` (non-2xx: ${[...r.refused].map(([status, n]) => `${n} × ${status}`).join(", ")})` : "";
  const figure = (r: ReturnType<typeof pooled>) =>
    `${r.perSecond.toFixed(0)}/s (rounds ${r.rates.map((rate) => rate.toFixed(0)).join(", ")}) · p50 ${r.p50.toFixed(1)} ms · p99 ${r.p99.toFixed(1)} ms · web process CPU ${r.cpu.toFixed(2)} ms a request${refused(r)}`;
  const rows = {
    floor: { measure: "static file through the same server (baseline)" },
    remixFloor: { measure: "GET /livez (a Remix route that does nothing: the framework's share)" },
    api: { measure: "POST /api/streaming/token", target: "≥ 0.4 × static, no non-2xx" },
    form: { measure: "analysis page form action (the page's fetcher: single fetch)", target: "≥ 0.4 × static, no non-2xx" },
  };
  printTable(
    `link creation — ${os.cpus().length} cores, node ${process.version}, ${CONCURRENCY} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s each after ${WARM_UP_SECONDS} s of warm-up, default link limits`,
    measured.map((name) => {
      const r = pooled(rounds[name]);
      const row = rows[name];
      if (name === "floor") return { ...row, figure: figure(r), ratio: "1.00" };
      const ratio = ratioOf(name);
      return { ...row, figure: figure(r), ratio: `${ratio.toFixed(2)} × static`, ...("target" in row ? { met: ratio >= 0.4 && r.refused.size === 0 } : {}) };
    }),
  );
} finally {
  if (process.env.BENCH_LOGS) console.log(app.output().slice(-6000));
  await sql.end();
  await app.stop();
  await origin.close();
  await services.stop();
}
