/**
 * Private Postgres and Redis instances for the embedded default (no
 * DATABASE_URL / REDIS_URL) and for the test harness: Debian's binaries run
 * as child processes on 127.0.0.1 and free ports, never 5432/6379, never a
 * shared system instance. Each child is started through `setpriv --pdeathsig`
 * so it dies with its parent even if the parent is SIGKILLed.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { chownSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import postgres from "postgres";

export type RunningService = { name: string; url: string; child: ChildProcess; stop: () => Promise<void> };

const DB_NAME = "taivideonhanh";
const DB_USER = "taivideonhanh";
const isRoot = process.getuid?.() === 0;

export async function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export function findPostgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) {
    throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: run scripts/setup.sh (apt-get install postgresql)");
  }
  return path.join(root, versions[0], "bin");
}

/** Postgres refuses to run as root: as root we run it as Debian's `postgres` system user. */
function asServiceUser(command: string, args: string[], { dropRoot }: { dropRoot: boolean }) {
  const identity = isRoot && dropRoot ? ["--reuid=postgres", "--regid=postgres", "--init-groups"] : [];
  return { command: "setpriv", args: [...identity, "--pdeathsig", "TERM", command, ...args] };
}

function canPostgresUserEnter(dir: string) {
  const probe = asServiceUser("test", ["-x", dir], { dropRoot: true });
  return spawnSync(probe.command, probe.args).status === 0;
}

/**
 * When running as root the `postgres` user must reach the data directory; a
 * checkout under /root is not traversable by it, so the cluster then lives in
 * /var/lib/taivideonhanh/<hash of the preferred path> instead.
 */
export function resolvePostgresDir(preferred: string) {
  if (!isRoot) return preferred;
  const parent = path.dirname(preferred);
  mkdirSync(parent, { recursive: true });
  if (canPostgresUserEnter(parent) || existsSync(path.join(preferred, "PG_VERSION"))) return preferred;
  const hash = createHash("sha256").update(preferred).digest("hex").slice(0, 12);
  return path.join("/var/lib/taivideonhanh", hash, "postgres");
}

function postgresUserIds() {
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (uid.status !== 0) throw new Error("the `postgres` system user is missing: apt-get install postgresql creates it");
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** A directory (or file) the Postgres server process owns. */
function ownForPostgres(target: string) {
  if (!isRoot) return;
  const { uid, gid } = postgresUserIds();
  chownSync(target, uid, gid);
}

function waitForExit(child: ChildProcess, timeoutMs: number) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, timeoutMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  if (!(await waitForExit(child, timeoutMs))) {
    child.kill("SIGKILL");
    await waitForExit(child, 2_000);
  }
}

async function waitUntil(what: string, child: ChildProcess, logFile: string, probe: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let lastRefusal: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited during start-up (code ${child.exitCode ?? child.signalCode}); see ${logFile}`);
    }
    // Not up yet: a refused connection is the expected answer while it starts.
    const up = await probe().catch((err: unknown) => {
      lastRefusal = err;
      return false;
    });
    if (up) return;
    await sleep(100);
  }
  child.kill("SIGKILL");
  throw new Error(`${what} did not become ready within ${timeoutMs} ms; see ${logFile}`, { cause: lastRefusal });
}

export async function startPostgres({
  dataDir,
  logFile,
  password,
  ephemeral = false,
  port: fixedPort,
}: {
  dataDir: string;
  logFile: string;
  password: string;
  /** Tests: trade durability for speed (no fsync). */
  ephemeral?: boolean;
  /** Restart on the port an earlier instance had (tests of reconnection). */
  port?: number;
}): Promise<RunningService & { port: number }> {
  const bin = findPostgresBin();
  mkdirSync(path.dirname(logFile), { recursive: true });

  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    // The parent must stay traversable by the postgres user; the cluster itself is private.
    mkdirSync(path.dirname(dataDir), { recursive: true, mode: 0o755 });
    mkdirSync(dataDir, { mode: 0o700 });
    if (isRoot && !canPostgresUserEnter(path.dirname(dataDir))) {
      throw new Error(`the postgres system user cannot enter ${path.dirname(dataDir)}: make it (and its parents) world-executable`);
    }
    ownForPostgres(dataDir);
    // initdb wants an empty directory, so the one-off password file sits beside it.
    const pwfile = path.join(path.dirname(dataDir), `.initpw-${process.pid}`);
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    ownForPostgres(pwfile);
    const init = asServiceUser(
      path.join(bin, "initdb"),
      ["-D", dataDir, "-U", DB_USER, "--auth=scram-sha-256", `--pwfile=${pwfile}`, "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"],
      { dropRoot: true },
    );
    const result = spawnSync(init.command, init.args, { encoding: "utf8" });
    rmSync(pwfile, { force: true });
    if (result.status !== 0) throw new Error(`initdb failed:\n${result.stderr || result.stdout}`);
  }

  const port = fixedPort ?? (await getFreePort());
  const settings = [
    ["listen_addresses", "127.0.0.1"],
    ["unix_socket_directories", ""],
    ["max_connections", "200"],
    ...(ephemeral
      ? [
          ["fsync", "off"],
          ["synchronous_commit", "off"],
          ["full_page_writes", "off"],
        ]
      : []),
  ];
  const run = asServiceUser(path.join(bin, "postgres"), ["-D", dataDir, "-p", String(port), ...settings.flatMap(([k, v]) => ["-c", `${k}=${v}`])], {
    dropRoot: true,
  });
  const log = openSync(logFile, "a");
  const child = spawn(run.command, run.args, { stdio: ["ignore", log, log], detached: true });

  const adminUrl = `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await waitUntil("postgres", child, logFile, async () => {
    const client = postgres(adminUrl, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      const exists = await client`select 1 from pg_database where datname = ${DB_NAME}`;
      if (exists.length === 0) await client.unsafe(`create database ${DB_NAME}`);
      return true;
    } finally {
      await client.end({ timeout: 1 });
    }
  });

  return {
    name: "postgres",
    url: `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DB_NAME}`,
    port,
    child,
    // SIGINT is Postgres' "fast" shutdown: roll back open transactions, checkpoint, exit.
    stop: () => stopChild(child, "SIGINT"),
  };
}

export async function startRedis({
  dataDir,
  logFile,
  password,
  ephemeral = false,
  port: fixedPort,
}: {
  dataDir: string;
  logFile: string;
  password: string;
  ephemeral?: boolean;
  /** Restart on the port an earlier instance had (tests of reconnection). */
  port?: number;
}): Promise<RunningService & { port: number }> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  mkdirSync(path.dirname(logFile), { recursive: true });
  const port = fixedPort ?? (await getFreePort());
  const run = asServiceUser(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--protected-mode",
      "yes",
      "--dir",
      dataDir,
      "--requirepass",
      password,
      "--save",
      "",
      "--appendonly",
      ephemeral ? "no" : "yes",
      // Every write reaches the disk before Redis answers: a job queued just before a crash survives it.
      "--appendfsync",
      "always",
      // BullMQ needs keys to stay: never evict.
      "--maxmemory-policy",
      "noeviction",
      "--daemonize",
      "no",
    ],
    { dropRoot: false },
  );
  const log = openSync(logFile, "a");
  const child = spawn(run.command, run.args, { stdio: ["ignore", log, log], detached: true });
  const url = `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}/0`;

  await waitUntil("redis", child, logFile, async () => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => {});
    try {
      await client.connect();
      return (await client.ping()) === "PONG";
    } finally {
      client.disconnect();
    }
  });

  return { name: "redis", url, port, child, stop: () => stopChild(child, "SIGTERM") };
}

export { stopChild, waitForExit };
