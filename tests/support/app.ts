/**
 * Runs the real web server (and, unless told otherwise, a worker process)
 * from the production build (npm run build) against the test Postgres/Redis, on a free port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { GLIBC_TUNABLES } from "../../scripts/lib/malloc";
import { getFreePort, stopChild } from "../../scripts/lib/services";

export type RunningApp = {
  baseUrl: string;
  web: ChildProcess;
  worker: ChildProcess | null;
  /** Starts one more worker process with the same environment (stopped with the app). */
  spawnWorker: (extraEnv?: Record<string, string>) => ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
};

function spawnNode(entry: string, env: NodeJS.ProcessEnv, sink: string[]) {
  // TVN_NODE_ARGS: extra flags for these processes (benchmarks profile with --cpu-prof).
  const extra = env.TVN_NODE_ARGS ? env.TVN_NODE_ARGS.split(" ") : [];
  const child = spawn(process.execPath, [...extra, entry], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (chunk: Buffer) => sink.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => sink.push(chunk.toString()));
  return child;
}

/**
 * EGRESS_ALLOW for the test's own loopback servers: the app reaches exactly
 * these, through the egress policy (not the blanket ALLOW_PRIVATE_NETWORKS).
 */
export function egressAllow(...servers: Array<{ baseUrl: string }>) {
  return { EGRESS_ALLOW: servers.map(({ baseUrl }) => `127.0.0.1:${new URL(baseUrl).port}`).join(",") };
}

/** Link limits that a test making many links never reaches (the limits have tests of their own). */
export const ROOMY_LINK_LIMITS = { MAX_TOKENS_PER_USER: "50", MAX_TOKENS_PER_HOUR: "100", FREE_TIER_DAILY: "100" };

export async function startApp({ env = {}, worker = true }: { env?: Record<string, string>; worker?: boolean } = {}): Promise<RunningApp> {
  const port = await getFreePort();
  const secret = () => randomBytes(24).toString("hex");
  const fullEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? GLIBC_TUNABLES,
    HOST: "127.0.0.1",
    PORT: String(port),
    SESSION_SECRET: secret(),
    STREAM_TOKEN_SECRET: secret(),
    ...env,
  };
  const logs: string[] = [];
  const web = spawnNode("build/index.js", fullEnv, logs);
  const workers: ChildProcess[] = [];
  const spawnWorker = (extraEnv: Record<string, string> = {}) => {
    const child = spawnNode("build/worker.js", { ...fullEnv, ...extraEnv }, logs);
    workers.push(child);
    return child;
  };
  const workerProcess = worker ? spawnWorker() : null;
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await Promise.all([stopChild(web, "SIGTERM", 10_000), ...workers.map((w) => stopChild(w, "SIGTERM", 10_000))]);
  };

  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (web.exitCode !== null) break;
    const ok = await fetch(`${baseUrl}/`, { redirect: "manual" }).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return { baseUrl, web, worker: workerProcess, spawnWorker, output: () => logs.join(""), stop };
    await sleep(100);
  }
  await stop();
  throw new Error(`web server did not start on ${baseUrl}:\n${logs.join("")}`);
}
