/**
 * The process supervisor behind `npm start` (and `npm run dev` with --dev).
 *
 * - With no DATABASE_URL / REDIS_URL it starts private Postgres and Redis
 *   under .data/ (see scripts/lib/services.ts); with them set it uses those.
 * - Missing secrets are generated once and kept in .data/secrets.json.
 * - It runs the web server and a separate worker process, and on Ctrl-C or
 *   SIGTERM stops them in order (web and worker, then Redis, then Postgres),
 *   leaving no process behind. If either app process dies, everything stops.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
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

const services: RunningService[] = [];
const apps: ChildProcess[] = [];
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  // The web process lets running downloads finish for SHUTDOWN_GRACE_SECONDS before it closes.
  const appStopMs = (Number(env.SHUTDOWN_GRACE_SECONDS ?? 30) + 20) * 1000;
  const hardStop = setTimeout(() => {
    for (const child of [...apps, ...services.map((s) => s.child)]) child.kill("SIGKILL");
    process.exit(code || 1);
  }, appStopMs + 10_000);
  hardStop.unref();
  await Promise.all(apps.map((child) => stopChild(child, "SIGTERM", appStopMs)));
  for (const service of [...services].reverse()) await service.stop();
  say("stopped");
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (!stopping) say(`${signal}: stopping…`);
    void shutdown(0);
  });
}

function startApp(name: string, command: string, args: string[]) {
  // Own process group: the terminal's Ctrl-C reaches only this supervisor,
  // which then stops everything in order. pdeathsig covers a killed supervisor.
  const child = spawn("setpriv", ["--pdeathsig", "TERM", command, ...args], {
    cwd: root,
    env,
    stdio: "inherit",
    detached: true,
  });
  child.on("exit", (code, signal) => {
    if (stopping) return;
    say(`${name} exited (${signal ?? code}); stopping everything`);
    void shutdown(code || 1);
  });
  apps.push(child);
}

try {
  if (!env.DATABASE_URL) {
    const pgDir = resolvePostgresDir(path.join(dataDir, "postgres"));
    say(`starting private Postgres in ${pgDir}`);
    const pg = await startPostgres({ dataDir: pgDir, logFile: path.join(dataDir, "logs", "postgres.log"), password: secrets.postgresPassword });
    services.push(pg);
    env.DATABASE_URL = pg.url;
  }
  if (!env.REDIS_URL && !env.REDIS_HOST) {
    say(`starting private Redis in ${path.join(dataDir, "redis")}`);
    const redis = await startRedis({ dataDir: path.join(dataDir, "redis"), logFile: path.join(dataDir, "logs", "redis.log"), password: secrets.redisPassword });
    services.push(redis);
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
