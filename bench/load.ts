/**
 * `npm run load`: the Artillery scenario (tests/load-test-streaming.yml) against a real instance —
 * the production build's web and worker processes on private Postgres/Redis, a loopback fixture
 * origin as the video site, the per-IP limits lifted (every virtual user comes from 127.0.0.1).
 * While it runs, every second: the web and worker RSS (/proc/<pid>/status VmRSS), and one probe
 * each of /readyz and /api/monitoring/health (under load, health may read degraded, never down).
 * The summary (latency percentiles, codes, errors, RSS, probe outcomes) is printed and written into
 * docs/benchmarks.md, section "## Load test (npm run load)".
 *
 *   npm run load [-- --scale 1 --rate 0.5] [--full] [--no-write]
 *
 * --scale multiplies every phase's duration, --rate every arrival rate (also LOAD_SCALE, LOAD_RATE);
 * --full runs the yml's own phases (3 minutes at up to 30 new users a second: a real server's
 * profile; here, on 2 cores shared with the load generator, its spike saturates the machine).
 * The default keeps the phases' durations at half their rates (up to 15 new users a second):
 * about 3½ minutes in all here. `--scale 0.5` halves that for a quick look. --no-write only prints.
 *
 * Artillery is not a dependency of the project (it is large and would slow every install): it runs
 * through npx, pinned, with Playwright's browser download skipped. npx installs it in its own cache
 * (~/.npm/_npx), nothing lands in the repository.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureMediaFixtures } from "../tests/fixtures/media";
import { startOrigin } from "../tests/fixtures/origin";
import { egressAllow, startApp } from "../tests/support/app";
import { arg, startBenchServices } from "./support";

/** The newest Artillery that runs on Node 20 (2.0.22 and later need Node 22). */
const ARTILLERY = "artillery@2.0.21";
const SCENARIO = "tests/load-test-streaming.yml";
const DOC = "docs/benchmarks.md";
const HEADING = "## Load test (npm run load)";
const PROBE_TIMEOUT_MS = 5_000;
const METRICS_TOKEN = randomBytes(24).toString("hex");

const full = process.argv.includes("--full");
const write = !process.argv.includes("--no-write");
const SCALE = full ? 1 : arg("scale", Number(process.env.LOAD_SCALE ?? 1));
const RATE = full ? 1 : arg("rate", Number(process.env.LOAD_RATE ?? 0.5));
if (!(SCALE > 0) || !(RATE > 0)) throw new Error("--scale and --rate must be positive numbers");

// ---------------------------------------------------------------------------------------------
// The scenario's phases, scaled.

type Phase = { name?: string; duration: number; arrivalRate: number; rampTo?: number };

/**
 * The `config.phases` list of the yml. A reader for that one block (the project has no YAML
 * parser of its own, and the phases are plain `key: value` lines); anything it does not
 * understand stops the run rather than being guessed at.
 */
function readPhases(yml: string): Phase[] {
  const lines = yml.split("\n");
  const start = lines.findIndex((line) => /^ {2}phases:\s*$/.test(line));
  if (start < 0) throw new Error(`${SCENARIO}: no config.phases block`);
  const phases: Array<Record<string, string | number>> = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.trim() || line.trim().startsWith("#")) continue;
    if (!/^ {4}/.test(line)) break;
    const m = /^ {4}(- )?\s*([A-Za-z]+):\s*(.*?)\s*$/.exec(line);
    if (!m) throw new Error(`${SCENARIO}: cannot read the phase line ${JSON.stringify(line)}`);
    if (m[1]) phases.push({});
    const value = m[3].replace(/^["']|["']$/g, "");
    phases[phases.length - 1][m[2]] = /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  for (const phase of phases) {
    const unknown = Object.keys(phase).filter((k) => !["name", "duration", "arrivalRate", "rampTo"].includes(k));
    if (unknown.length || typeof phase.duration !== "number" || typeof phase.arrivalRate !== "number") {
      throw new Error(`${SCENARIO}: a phase this script cannot scale: ${JSON.stringify(phase)}`);
    }
  }
  if (!phases.length) throw new Error(`${SCENARIO}: config.phases is empty`);
  return phases as Phase[];
}

const scaleRate = (r: number) => Math.max(1, Math.round(r * RATE));
const scaled = (phases: Phase[]): Phase[] =>
  phases.map((p) => ({
    ...p,
    duration: Math.max(1, Math.round(p.duration * SCALE)),
    arrivalRate: scaleRate(p.arrivalRate),
    ...(p.rampTo !== undefined && { rampTo: scaleRate(p.rampTo) }),
  }));

const describeScaling = () => [SCALE !== 1 && `× ${SCALE} in time`, RATE !== 1 && `× ${RATE} in rate`].filter(Boolean).join(" and ") || "× 1";
const describePhases = (phases: Phase[]) =>
  phases.map((p) => `${p.name ?? "phase"} ${p.duration} s at ${p.rampTo !== undefined ? `${p.arrivalRate}→${p.rampTo}` : p.arrivalRate}/s`).join(", ");

/** Users the phases start: a ramp averages its two rates. */
const plannedUsers = (phases: Phase[]) =>
  Math.round(phases.reduce((n, p) => n + p.duration * (p.rampTo !== undefined ? (p.arrivalRate + p.rampTo) / 2 : p.arrivalRate), 0));

// ---------------------------------------------------------------------------------------------
// Sampling: RSS and probes, once a second.

const rssMb = (pid: number | undefined) => {
  if (!pid) return null;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null; // the process is gone: that is a finding too (see the RSS rows)
  }
};

type RssSample = { at: number; web: number | null; worker: number | null; load: number };
type ProbeOutcome = { at: number; path: string; answer: string; degraded: string[]; ms: number };

async function probe(baseUrl: string, urlPath: string): Promise<ProbeOutcome> {
  const at = Date.now();
  const started = performance.now();
  try {
    const response = await fetch(`${baseUrl}${urlPath}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body = (await response.json().catch(() => null)) as { status?: string; checks?: Record<string, { status?: string }> } | null;
    const degraded = Object.entries(body?.checks ?? {})
      .filter(([, check]) => check.status && check.status !== "ok")
      .map(([name, check]) => `${name} ${check.status}`);
    return { at, path: urlPath, answer: `${response.status} ${body?.status ?? "?"}`, degraded, ms: performance.now() - started };
  } catch (err) {
    const name = err instanceof Error ? err.name : "";
    return {
      at,
      path: urlPath,
      answer: name === "TimeoutError" ? `no answer in ${PROBE_TIMEOUT_MS / 1000} s` : "connection error",
      degraded: [],
      ms: performance.now() - started,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Artillery's report.

type Summary = { min: number; max: number; count: number; p50: number; p95: number; p99: number };
type Window = { counters: Record<string, number>; summaries: Record<string, Summary>; period?: number | string };
type Report = { aggregate: Window; intermediate: Window[] };
type ServerMetrics = {
  streams: { completed: number; failed: number; aborted: number; interrupted: number; bytesServed: number; errorsByReason: Record<string, number> };
  tokens: { created: number; refused: number; refusedByReason: Record<string, number> };
  analysis: { cache: { hits: number; misses: number } };
};

const counter = (w: Window, key: string) => w.counters[key] ?? 0;
const withPrefix = (w: Window, prefix: string) =>
  Object.entries(w.counters)
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, n]) => [key.slice(prefix.length), n] as const)
    .sort((a, b) => b[1] - a[1]);
const list = (pairs: ReadonlyArray<readonly [string, number]>, none = "none") => (pairs.length ? pairs.map(([k, n]) => `${k}: ${n}`).join(", ") : none);
const ms = (n: number | undefined) => (n === undefined ? "–" : `${Math.round(n)}`);
const pct = (s: Summary | undefined) => (s ? `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)} / ${ms(s.max)} ms` : "–");
const count = (values: string[]) => {
  const tally = new Map<string, number>();
  for (const v of values) tally.set(v, (tally.get(v) ?? 0) + 1);
  return [...tally].sort((a, b) => b[1] - a[1]);
};
const minMaxEnd = (values: Array<number | null>) => {
  const seen = values.filter((v): v is number => v !== null);
  if (!seen.length) return "no samples";
  const gone = values.length - seen.length;
  return `${Math.min(...seen).toFixed(0)} / ${Math.max(...seen).toFixed(0)} / ${(values.at(-1) ?? NaN).toFixed(0)} MB${gone ? ` (process gone in ${gone} samples)` : ""}`;
};

// ---------------------------------------------------------------------------------------------

const root = process.cwd();
const runDir = path.join(os.tmpdir(), "tvn-load-last");
rmSync(runDir, { recursive: true, force: true });
mkdirSync(runDir, { recursive: true });
const reportFile = path.join(runDir, "report.json");
const logFile = path.join(runDir, "artillery.log");

const fullPhases = readPhases(readFileSync(SCENARIO, "utf8"));
const phases = full ? fullPhases : scaled(fullPhases);
const phaseSeconds = phases.reduce((s, p) => s + p.duration, 0);
const artilleryEnv = { PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1", ARTILLERY_DISABLE_TELEMETRY: "1" };

console.error(`checking ${ARTILLERY} (npx installs it into its own cache on first use, about a minute)…`);
const check = spawnSync("npx", ["--yes", ARTILLERY, "version"], { env: { ...process.env, ...artilleryEnv }, encoding: "utf8", timeout: 300_000 });
if (check.status !== 0) throw new Error(`npx ${ARTILLERY} failed:\n${check.stdout}\n${check.stderr}`);

const services = await startBenchServices("load");
let origin: Awaited<ReturnType<typeof startOrigin>> | null = null;
let app: Awaited<ReturnType<typeof startApp>> | null = null;
let artillery: ChildProcess | null = null;
let timer: NodeJS.Timeout | undefined;
const pending = new Set<Promise<unknown>>();

/** Everything this script started, stopped: artillery's whole process group, the app, the origin, the services. */
let cleaning: Promise<void> | null = null;
const cleanUp = () => (cleaning ??= stopEverything());
async function stopEverything() {
  clearInterval(timer);
  if (artillery?.pid && artillery.exitCode === null && artillery.signalCode === null) {
    try {
      process.kill(-artillery.pid, "SIGTERM");
      await sleep(2_000);
      process.kill(-artillery.pid, "SIGKILL");
    } catch {
      // the group has already gone
    }
  }
  await Promise.allSettled(pending);
  await app?.stop();
  await origin?.close();
  await services.stop();
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping everything…`);
    void cleanUp().finally(() => process.exit(130));
  });
}

let exitCode = 0;
try {
  const fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures);
  const mediaUrl = origin.url("mp4");
  const appEnv = {
    ...egressAllow(origin),
    // Every virtual user signs up and calls the API from 127.0.0.1: the per-IP limits would refuse
    // them by design. The per-user limits stay: each user analyses one URL, makes one link, runs one download.
    AUTH_RATE_LIMIT_PER_IP: "1000000",
    API_RATE_LIMIT_PER_MINUTE: "1000000",
    // Only for reading the server's own counts at the end (/api/monitoring/metrics).
    METRICS_TOKEN,
  };
  app = await startApp({ env: appEnv });
  const { baseUrl } = app;
  const webPid = app.web.pid;
  const workerPid = app.worker?.pid;
  await sleep(2_000);
  const idle = { web: rssMb(webPid), worker: rssMb(workerPid), load: os.loadavg()[0] };

  const rss: RssSample[] = [];
  const probes: ProbeOutcome[] = [];
  const track = (p: Promise<ProbeOutcome>) => {
    const tracked = p.then((outcome) => probes.push(outcome));
    pending.add(tracked);
    void tracked.finally(() => pending.delete(tracked));
  };
  const startedAt = Date.now();
  timer = setInterval(() => {
    rss.push({ at: Date.now(), web: rssMb(webPid), worker: rssMb(workerPid), load: os.loadavg()[0] });
    track(probe(baseUrl, "/readyz"));
    track(probe(baseUrl, "/api/monitoring/health"));
    const t = Math.round((Date.now() - startedAt) / 1000);
    if (t % 30 === 0) {
      const last = rss.at(-1)!;
      const health = probes.filter((p) => p.path === "/api/monitoring/health").at(-1);
      console.error(`  ${t} s: web ${last.web?.toFixed(0) ?? "–"} MB, worker ${last.worker?.toFixed(0) ?? "–"} MB, health ${health?.answer ?? "–"}`);
    }
  }, 1_000);

  console.error(`running ${SCENARIO} (${full ? "full profile" : `scaled ${describeScaling()}`}): ${describePhases(phases)}`);
  console.error(`artillery's output: ${logFile}`);
  const log = createWriteStream(logFile);
  artillery = spawn(
    "npx",
    ["--yes", ARTILLERY, "run", "--output", reportFile, ...(full ? [] : ["--overrides", JSON.stringify({ config: { phases } })]), SCENARIO],
    {
      cwd: root,
      env: { ...process.env, ...artilleryEnv, BASE_URL: baseUrl, MEDIA_URL: mediaUrl },
      detached: true, // its own process group: npx, artillery and its workers stop together
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  for (const stream of [artillery.stdout!, artillery.stderr!]) {
    stream.pipe(log, { end: false });
    stream.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (/^Phase (started|completed)/.test(line)) console.error(`  ${line.trim()}`);
    });
  }
  // Phases, then the users still in flight (HTTP timeout 60 s), then a minute's margin; past that it is stopped.
  const deadlineMs = (phaseSeconds + 120) * 1000;
  const outcome = await Promise.race([
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => artillery!.once("exit", (code, signal) => resolve({ code, signal }))),
    sleep(deadlineMs).then(() => null),
  ]);
  const endedAt = Date.now();
  clearInterval(timer);
  await Promise.allSettled(pending);
  log.end();
  if (!outcome) console.error(`artillery was still running ${deadlineMs / 1000} s after it started: stopping it`);
  if (interrupted) throw new Error("interrupted");
  // The server's own count of what happened (downloads by outcome, bytes sent, links, cache).
  const server = (await fetch(`${baseUrl}/api/monitoring/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })
    .then((r) => (r.ok ? r.json() : null))
    .catch(() => null)) as ServerMetrics | null;

  let report: Report;
  try {
    report = JSON.parse(readFileSync(reportFile, "utf8")) as Report;
  } catch {
    const tail = readFileSync(logFile, "utf8").split("\n").slice(-40).join("\n");
    throw new Error(`artillery left no report (exit ${outcome?.code ?? "timeout"}); the end of its output:\n${tail}`);
  }

  // -------------------------------------------------------------------------------------------
  // The summary.
  const agg = report.aggregate;
  const s = agg.summaries;
  const created = counter(agg, "vusers.created");
  const failed = counter(agg, "vusers.failed");
  const responseTime = s["http.response_time"];
  const byRequest = Object.keys(s)
    .filter((k) => k.startsWith("plugins.metrics-by-endpoint.response_time."))
    .map((k) => {
      const name = k.slice("plugins.metrics-by-endpoint.response_time.".length);
      const codes = withPrefix(agg, `plugins.metrics-by-endpoint.${name}.codes.`);
      const errors = withPrefix(agg, `plugins.metrics-by-endpoint.${name}.errors.`);
      return { name, summary: s[k], codes, errors };
    })
    .sort((a, b) => b.summary.p95 - a.summary.p95);
  const readyz = probes.filter((p) => p.path === "/readyz");
  const health = probes.filter((p) => p.path === "/api/monitoring/health");
  const healthDown = health.filter((p) => !p.answer.startsWith("200")).length;
  const readyDown = readyz.filter((p) => !p.answer.startsWith("200")).length;
  const p99Met = (responseTime?.p99 ?? Infinity) <= 2000;
  const failMet = created > 0 && failed / created < 0.01;
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const machine = `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;

  // Over time: Artillery's 10-second windows, with the RSS and health samples that fall in each.
  const windows = report.intermediate
    .map((w) => ({ w, from: Number(w.period) }))
    .filter(({ from }) => Number.isFinite(from))
    .sort((a, b) => a.from - b.from);
  const timeline = windows.map(({ w, from }, i) => {
    const to = windows[i + 1]?.from ?? endedAt;
    const inside = <T extends { at: number }>(xs: T[]) => xs.filter((x) => x.at >= from && x.at < to);
    const r = inside(rss);
    const peak = (key: "web" | "worker") => Math.max(...r.map((x) => x[key] ?? 0)).toFixed(0);
    const h = count(inside(health).map((p) => p.answer.replace(/^200 /, "")));
    return `| ${Math.max(0, Math.round((from - startedAt) / 1000))} s | ${counter(w, "vusers.created")} | ${counter(w, "vusers.completed")} | ${counter(w, "vusers.failed")} | ${ms(w.summaries["http.response_time"]?.p95)} | ${r.length ? peak("web") : "–"} | ${r.length ? peak("worker") : "–"} | ${list(h, "–")} |`;
  });

  const lines = [
    `Measured ${new Date(startedAt).toISOString().slice(0, 16).replace("T", " ")} UTC on ${machine}; ${ARTILLERY} through npx;` +
      ` ${Math.round((endedAt - startedAt) / 1000)} s from Artillery's start to its end.`,
    "",
    `Profile: ${describePhases(phases)}, about ${plannedUsers(phases)} users planned: ${SCENARIO}` +
      (full
        ? " as written (`--full`)."
        : `, its phases scaled ${describeScaling()}${SCALE === 1 && RATE === 0.5 ? " (the default)" : ""}; the file's own (\`--full\`): ${describePhases(fullPhases)}.`) +
      ` One web and one worker process from the build, private Postgres/Redis, ` +
      `a loopback origin serving the ${mb(fixtures.files.mp4.size)} mp4 clip (6 users in 10 download it as it is, through the direct path; 2 in 10 as audio, through ffmpeg; 2 in 10 browse); AUTH_RATE_LIMIT_PER_IP and API_RATE_LIMIT_PER_MINUTE lifted to 1,000,000 ` +
      `(every user comes from 127.0.0.1), every per-user limit as shipped.`,
    "",
    "| measure | figure |",
    "| --- | --- |",
    `| virtual users created / completed / failed | ${created} / ${counter(agg, "vusers.completed")} / ${failed} (${created ? ((100 * failed) / created).toFixed(1) : "0"} % failed) |`,
    `| by scenario | ${list(withPrefix(agg, "vusers.created_by_name."))} |`,
    `| requests / responses | ${counter(agg, "http.requests")} / ${counter(agg, "http.responses")} |`,
    `| response codes | ${list(withPrefix(agg, "http.codes."))} |`,
    `| errors by type | ${list(withPrefix(agg, "errors."))} |`,
    `| expectations failed | ${list(withPrefix(agg, "plugins.expect.failed."))} |`,
    `| response time (first byte) p50 / p95 / p99 / max | ${pct(responseTime)} |`,
    `| whole response (body included) p50 / p95 / p99 / max | ${pct(s["http.total"])} |`,
    `| user session p50 / p95 / p99 / max | ${pct(s["vusers.session_length"])} |`,
    `| downloads, the server's count: completed / failed / aborted / interrupted | ${server ? `${server.streams.completed} / ${server.streams.failed} / ${server.streams.aborted} / ${server.streams.interrupted}${Object.keys(server.streams.errorsByReason).length ? ` (${list(Object.entries(server.streams.errorsByReason))})` : ""}` : "not read"} |`,
    `| bytes sent to downloading clients (server's count) | ${server ? mb(server.streams.bytesServed) : "not read"} |`,
    `| links created / refused (server's count) | ${server ? `${server.tokens.created} / ${server.tokens.refused}${server.tokens.refused ? ` (${list(Object.entries(server.tokens.refusedByReason))})` : ""}` : "not read"} |`,
    `| analyses: cache hits / misses | ${server ? `${server.analysis.cache.hits} / ${server.analysis.cache.misses}` : "not read"} |`,
    `| machine load (1-min average) before / highest during the run | ${idle.load.toFixed(1)} / ${Math.max(...rss.map((x) => x.load)).toFixed(1)} (2 cores; the load generator runs here too) |`,
    `| web RSS idle; min / max / end of run | ${idle.web?.toFixed(0) ?? "–"} MB; ${minMaxEnd(rss.map((x) => x.web))} |`,
    `| worker RSS idle; min / max / end of run | ${idle.worker?.toFixed(0) ?? "–"} MB; ${minMaxEnd(rss.map((x) => x.worker))} |`,
    `| /readyz, ${readyz.length} probes (1/s) | ${list(count(readyz.map((p) => p.answer)))} |`,
    `| /api/monitoring/health, ${health.length} probes (1/s) | ${list(count(health.map((p) => p.answer)))} |`,
    `| health: checks not ok, in how many probes | ${list(count(health.flatMap((p) => p.degraded)))} |`,
    `| probe answer time p50 / max (health) | ${ms(health.map((p) => p.ms).sort((a, b) => a - b)[Math.floor(health.length / 2)])} / ${ms(Math.max(...health.map((p) => p.ms)))} ms |`,
    `| scenario's \`ensure\`: p99 ≤ 2000 ms; failed < 1 % | ${p99Met ? "✓" : "✗"}; ${failMet ? "✓" : "✗"} (Artillery exited ${outcome ? (outcome.code ?? outcome.signal) : "— stopped at the deadline"}) |`,
    "",
    "Times are to the first byte (Artillery's `http.response_time`) unless said otherwise. Health reads degraded when a probe " +
      "answers slower than HEALTH_PROBE_TIMEOUT_MS or the event loop lags past EVENT_LOOP_LAG_WARN_MS, down (503) only when " +
      "Postgres or Redis fails; /readyz answers 503 only then too.",
    "",
    "Per request (first byte, p50 / p95 / p99 / max; codes; errors), slowest p95 first:",
    "",
    "| request | count | time | codes | errors |",
    "| --- | --- | --- | --- | --- |",
    ...byRequest.map((r) => `| ${r.name} | ${r.summary.count} | ${pct(r.summary)} | ${list(r.codes)} | ${list(r.errors)} |`),
    "",
    "Over time (Artillery's 10-second windows; RSS is the window's peak; health as the probes answered):",
    "",
    "| from | users started | completed | failed | p95 ms | web MB | worker MB | health |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...timeline,
  ];
  const text = lines.join("\n");
  console.log(`\n${HEADING}\n\n${text}`);

  if (healthDown || readyDown) {
    console.error(`\n/api/monitoring/health answered other than 200 ${healthDown} times, /readyz ${readyDown} times`);
    exitCode = 1;
  }
  if (write) {
    const doc = readFileSync(DOC, "utf8");
    const section = `${HEADING}\n\n\`npm run load\` (bench/load.ts) rewrites this section.\n\n${text}\n`;
    const start = doc.indexOf(`\n${HEADING}\n`);
    let next: string;
    if (start < 0) {
      next = `${doc.trimEnd()}\n\n${section}`;
    } else {
      const after = doc.slice(start + 1 + HEADING.length);
      const nextHeading = after.search(/^## /m);
      next = `${doc.slice(0, start + 1)}${section}${nextHeading < 0 ? "" : `\n${after.slice(nextHeading)}`}`;
    }
    writeFileSync(DOC, next);
    console.error(`updated ${DOC}`);
  }
} catch (err) {
  if (!interrupted) console.error(err);
  exitCode = interrupted ? 130 : 1;
} finally {
  await cleanUp();
}
process.exit(exitCode);
