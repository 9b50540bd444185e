/**
 * The process supervisor behind `npm start` (and `npm run dev` with --dev).
 *
 * - With no DATABASE_URL / REDIS_URL it starts private Postgres and Redis
 *   under .data/ (see scripts/lib/services.ts); with them set it uses those.
 * - Missing secrets are generated once and kept in .data/secrets.json.
 * - It runs the web server and a separate worker process, and on Ctrl-C or
 *   SIGTERM stops them in order (web and worker, then Redis, then Postgres),
 *   leaving no process behind. A web or worker process that dies is started
 *   again with back-off while the other keeps serving; a private Postgres or
 *   Redis that dies is started again on the same port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { GLIBC_TUNABLES } from "./lib/malloc";
import { resolvePostgresDir, startPostgres, startRedis, stopChild, type RunningService } from "./lib/services";

const dev = process.argv.includes("--dev");
const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.resolve(root, process.env.TVN_DATA_DIR ?? ".data");
const say = (message: string) => console.log(`[start] ${message}`);

if (existsSync(path.join(root, ".env"))) process.loadEnvFile(path.join(root, ".env"));

type Secrets = { postgresPassword: string; redisPassword: string; sessionSecret: string; streamTokenSecret: string };

function loadSecrets(): Secrets {
  const file = path.join(dataDir, "secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as Secrets;
  const make = () => randomBytes(32).toString("hex");
  const secrets = { postgresPassword: make(), redisPassword: make(), sessionSecret: make(), streamTokenSecret: make() };
  // Traversable (0755) so the postgres system user reaches .data/postgres; the secrets file itself is 0600.
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: dev ? "development" : (process.env.NODE_ENV ?? "production") };
const secrets = loadSecrets();
env.SESSION_SECRET ||= secrets.sessionSecret;
env.STREAM_TOKEN_SECRET ||= secrets.streamTokenSecret;
env.GLIBC_TUNABLES ||= GLIBC_TUNABLES;
// Web and workers find the yt-dlp release `npm run ytdlp:update` installed under the same folder.
env.TVN_DATA_DIR = dataDir;

const services = new Map<string, RunningService>();
const apps = new Map<string, ChildProcess>();
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  // The web process lets running downloads finish for SHUTDOWN_GRACE_SECONDS before it closes.
  const appStopMs = (Number(env.SHUTDOWN_GRACE_SECONDS ?? 30) + 20) * 1000;
  const hardStop = setTimeout(() => {
    for (const child of [...apps.values(), ...[...services.values()].map((s) => s.child)]) child.kill("SIGKILL");
    process.exit(code || 1);
  }, appStopMs + 10_000);
  hardStop.unref();
  await Promise.all([...apps.values()].map((child) => stopChild(child, "SIGTERM", appStopMs)));
  // Redis before Postgres: the reverse of the start order.
  for (const service of [...services.values()].reverse()) await service.stop();
  say("stopped");
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (!stopping) say(`${signal}: stopping…`);
    void shutdown(0);
  });
}

/**
 * Restart back-off per name: 1 s, doubling to 30 s while the process keeps
 * dying young; a process that ran for a minute starts over at 1 s.
 */
const backoff = new Map<string, { delayMs: number; startedAt: number }>();
function nextDelay(name: string) {
  const previous = backoff.get(name);
  const delayMs = !previous || Date.now() - previous.startedAt > 60_000 ? 1_000 : Math.min(previous.delayMs * 2, 30_000);
  backoff.set(name, { delayMs, startedAt: Date.now() + delayMs });
  return delayMs;
}

/** Web and worker: restarted with back-off when they die, while the others keep serving. */
function startApp(name: string, command: string, args: string[]) {
  // Own process group: the terminal's Ctrl-C reaches only this supervisor,
  // which then stops everything in order. pdeathsig covers a killed supervisor.
  const child = spawn("setpriv", ["--pdeathsig", "TERM", command, ...args], {
    cwd: root,
    env,
    stdio: "inherit",
    detached: true,
  });
  backoff.set(name, { delayMs: backoff.get(name)?.delayMs ?? 1_000, startedAt: Date.now() });
  child.on("exit", (code, signal) => {
    if (stopping) return;
    const delayMs = nextDelay(name);
    say(`${name} exited (${signal ?? code}); restarting in ${delayMs / 1000} s`);
    setTimeout(() => {
      if (!stopping) startApp(name, command, args);
    }, delayMs);
  });
  apps.set(name, child);
}

/** The private Postgres and Redis: watched, and started again on the same port when they die. */
async function startService(
  name: string,
  start: (port?: number) => Promise<RunningService & { port: number }>,
  port?: number,
): Promise<RunningService & { port: number }> {
  const service = await start(port);
  services.set(name, service);
  service.child.on("exit", (code, signal) => {
    if (stopping) return;
    const delayMs = nextDelay(name);
    say(`${name} exited (${signal ?? code}); restarting in ${delayMs / 1000} s`);
    setTimeout(() => {
      if (stopping) return;
      startService(name, start, service.port).catch((err: unknown) => {
        console.error(`[start] ${name} could not be restarted: ${err instanceof Error ? err.message : String(err)}`);
        void shutdown(1);
      });
    }, delayMs);
  });
  return service;
}

try {
  if (!env.DATABASE_URL) {
    const pgDir = resolvePostgresDir(path.join(dataDir, "postgres"));
    say(`starting private Postgres in ${pgDir}`);
    const logFile = path.join(dataDir, "logs", "postgres.log");
    const pg = await startService("postgres", (port) => startPostgres({ dataDir: pgDir, logFile, password: secrets.postgresPassword, port }));
    env.DATABASE_URL = pg.url;
  }
  if (!env.REDIS_URL && !env.REDIS_HOST) {
    const redisDir = path.join(dataDir, "redis");
    say(`starting private Redis in ${redisDir} (append-only file: queued jobs survive a crash)`);
    const logFile = path.join(dataDir, "logs", "redis.log");
    const redis = await startService("redis", (port) => startRedis({ dataDir: redisDir, logFile, password: secrets.redisPassword, port }));
    env.REDIS_URL = redis.url;
  }
} catch (err) {
  console.error(`[start] ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}

const node = process.execPath;
if (dev) {
  // The dev server rebuilds build/index.js on change and restarts the web process on it;
  // the worker reloads from source (tsx watch).
  startApp("web", path.join(root, "node_modules/.bin/remix"), ["dev", "-c", `${node} build/index.js`]);
  startApp("worker", node, ["--import", "tsx", "--watch", "workers/index.ts"]);
} else {
  startApp("web", node, ["build/index.js"]);
  startApp("worker", node, ["build/worker.js"]);
}
say(`web on http://localhost:${env.PORT ?? 3000} (${env.NODE_ENV}); Ctrl-C stops everything`);
