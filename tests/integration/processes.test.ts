/**
 * The process model: the `npm start` supervisor with its private Postgres and
 * Redis, ordered shutdown on Ctrl-C, no orphans when the supervisor itself is
 * killed, config errors at start-up, and the worker's clean SIGTERM.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { io } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";
import { getFreePort, waitForExit } from "../../scripts/lib/services";
import { ensureMediaFixtures } from "../fixtures/media";
import { startOrigin } from "../fixtures/origin";
import { egressAllow, startApp } from "../support/app";
import { Client, uniqueEmail } from "../support/http";
import { waitFor } from "../support/wait";

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((fn) => fn()));

function descendants(pid: number): number[] {
  const table = execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number));
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const [child, ppid] of table) {
      if (ppid === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    const state = execFileSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).trim();
    return state !== "" && !state.startsWith("Z");
  } catch {
    return false;
  }
}

/** A process as ps shows it (pid, parent, age, command line), for a failure to name what was left. */
function describeProcess(pid: number) {
  try {
    return execFileSync("ps", ["-o", "pid=,ppid=,stat=,etime=,args=", "-p", String(pid)], { encoding: "utf8" }).trim() || String(pid);
  } catch {
    return `${pid} (gone)`;
  }
}

async function waitForGone(pids: number[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && pids.some(alive)) await sleep(100);
  return pids.filter(alive);
}

/** The supervisor exactly as `npm start` runs it, on a data dir of its own, with no DATABASE_URL/REDIS_URL. */
async function startSupervisor(existingDataDir?: string, extraEnv: Record<string, string> = {}) {
  const dataDir = existingDataDir ?? mkdtempSync(path.join(os.tmpdir(), "tvn-supervisor-"));
  if (!existingDataDir) {
    execFileSync("chmod", ["755", dataDir]);
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  }
  const port = await getFreePort();
  const env: NodeJS.ProcessEnv = { ...process.env, TVN_DATA_DIR: dataDir, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "info", ...extraEnv };
  for (const key of ["DATABASE_URL", "REDIS_URL", "NODE_ENV", "SESSION_SECRET", "STREAM_TOKEN_SECRET"]) delete env[key];
  const logs: string[] = [];
  const supervisor = spawn(process.execPath, ["build/run.js"], { env, stdio: ["ignore", "pipe", "pipe"] });
  supervisor.stdout.on("data", (c: Buffer) => logs.push(c.toString()));
  supervisor.stderr.on("data", (c: Buffer) => logs.push(c.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (supervisor.exitCode !== null) break;
    if (
      await fetch(`${baseUrl}/`).then(
        (r) => r.ok,
        () => false,
      )
    ) {
      // The worker logs once it is connected; wait for it too so its pid is in the tree.
      if (logs.join("").includes("worker ready")) return { supervisor, baseUrl, dataDir, logs };
    }
    await sleep(200);
  }
  supervisor.kill("SIGKILL");
  throw new Error(`supervisor did not come up:\n${logs.join("")}`);
}

function commandOf(pid: number) {
  return execFileSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8" }).trim();
}

describe("npm start's supervisor", () => {
  it("runs private Postgres + Redis, web and worker; Ctrl-C stops them all in order", async () => {
    const { supervisor, baseUrl, dataDir, logs } = await startSupervisor();
    const tree = descendants(supervisor.pid!);
    const commands = tree.map(commandOf).join("\n");
    expect(commands).toContain(`postgres -D ${path.join(dataDir, "postgres")}`);
    expect(commands).toMatch(/redis-server 127\.0\.0\.1:\d+/);
    expect(commands).not.toMatch(/:5432\b|:6379\b/);
    expect(commands).toContain("build/index.js");
    expect(commands).toContain("build/worker.js");
    // Production runs compiled JavaScript, not TypeScript through a loader.
    expect(commands).not.toContain("tsx");

    const client = new Client(baseUrl);
    const email = uniqueEmail("supervised");
    const signup = await client.post("/signup", { email, password: "long enough pw", confirmPassword: "long enough pw" });
    expect(signup.status).toBe(302);
    expect(await (await client.request("/account")).text()).toContain(email);

    supervisor.kill("SIGINT");
    expect(await waitForExit(supervisor, 30_000)).toBe(true);
    expect(supervisor.exitCode).toBe(0);
    expect(await waitForGone(tree, 5_000)).toEqual([]);
    // Web and worker finish their own clean shutdown before the supervisor stops the databases.
    const output = logs.join("");
    const done = output.indexOf("[start] stopped");
    expect(done).toBeGreaterThan(-1);
    expect(output.indexOf("web server stopped")).toBeGreaterThan(-1);
    expect(output.indexOf("web server stopped")).toBeLessThan(done);
    expect(output.indexOf("worker stopped")).toBeGreaterThan(-1);
    expect(output.indexOf("worker stopped")).toBeLessThan(done);
  });

  it("keeps the data and secrets across restarts", async () => {
    const first = await startSupervisor();
    const client = new Client(first.baseUrl);
    const email = uniqueEmail("persist");
    await client.post("/signup", { email, password: "long enough pw", confirmPassword: "long enough pw" });
    first.supervisor.kill("SIGINT");
    await waitForExit(first.supervisor, 30_000);

    // Same data dir again: the account is still there and the old cookie still signs in.
    const second = await startSupervisor(first.dataDir);
    try {
      const again = new Client(second.baseUrl);
      expect((await again.post("/login", { email, password: "long enough pw" })).status).toBe(302);
      const reused = await fetch(`${second.baseUrl}/account`, { headers: { Cookie: `tvn_session=${client.cookie("tvn_session")}` } });
      expect(reused.status).toBe(200);
    } finally {
      second.supervisor.kill("SIGINT");
      await waitForExit(second.supervisor, 30_000);
    }
  });

  it("passes the end-to-end smoke script (scripts/test-streaming.sh) against its own Postgres and Redis", async () => {
    const origin = await startOrigin(await ensureMediaFixtures());
    const { supervisor, baseUrl } = await startSupervisor(undefined, egressAllow(origin));
    try {
      const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const script = spawn("bash", ["scripts/test-streaming.sh", baseUrl, origin.url("mp4")], { stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        script.stdout.on("data", (c: Buffer) => (output += c.toString()));
        script.stderr.on("data", (c: Buffer) => (output += c.toString()));
        script.on("close", (code) => resolve({ code, output }));
      });
      expect(result.output).toContain("8 passed, 0 failed");
      expect(result.code).toBe(0);
    } finally {
      supervisor.kill("SIGINT");
      await waitForExit(supervisor, 30_000);
      await origin.close();
    }
  });

  it("restarts a worker and a private Redis killed outright, while the site keeps serving and a queued analysis completes", async () => {
    const origin = await startOrigin(await ensureMediaFixtures());
    const { supervisor, baseUrl, logs } = await startSupervisor(undefined, { ...egressAllow(origin), JOB_LOCK_SECONDS: "4" });
    const pidOf = (needle: string) => descendants(supervisor.pid!).find((pid) => commandOf(pid).includes(needle));
    try {
      const worker = pidOf("build/worker.js")!;
      process.kill(worker, "SIGKILL");
      expect((await fetch(`${baseUrl}/login`)).status).toBe(200);
      await waitFor(() => (pidOf("build/worker.js") ?? worker) !== worker, { timeoutMs: 30_000, message: "a new worker process" });
      await waitFor(() => logs.join("").split("worker ready").length > 2, { timeoutMs: 30_000, message: "the new worker to be ready" });

      // An analysis is queued (its page answers slowly), then Redis dies under it.
      const client = new Client(baseUrl);
      const email = uniqueEmail("restarted");
      expect((await client.post("/signup", { email, password: "long enough pw", confirmPassword: "long enough pw" })).status).toBe(302);
      const submitted = await client.request("/api/streaming/analyze", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ url: origin.delayedPageUrl("video", 3_000) }),
      });
      expect(submitted.status).toBe(202);
      const { requestId } = (await submitted.json()) as { requestId: string };

      const redis = pidOf("redis-server")!;
      process.kill(redis, "SIGKILL");
      await waitFor(() => (pidOf("redis-server") ?? redis) !== redis, { timeoutMs: 30_000, message: "a new Redis" });
      await waitFor(async () => (await fetch(`${baseUrl}/readyz`)).status === 200, { timeoutMs: 30_000, message: "readiness to return" });
      // The analysis queued before the crash completes, and sign-in (Postgres + Redis limits) works again.
      await waitFor(
        async () => {
          const view = (await (await client.request(`/api/streaming/analyze/${requestId}`)).json()) as { status?: string };
          return view.status === "completed";
        },
        { timeoutMs: 60_000, intervalMs: 500, message: "the analysis queued before Redis died to complete" },
      );
      const again = new Client(baseUrl);
      await waitFor(async () => (await again.post("/login", { email, password: "long enough pw" })).status === 302, {
        timeoutMs: 30_000,
        message: "sign-in after the restarts",
      });
      expect(logs.join("")).toMatch(/worker exited \(SIGKILL\); restarting/);
      expect(logs.join("")).toMatch(/redis exited \(SIGKILL\); restarting/);
    } finally {
      supervisor.kill("SIGINT");
      await waitForExit(supervisor, 60_000);
      await origin.close();
    }
  });

  it("leaves no process behind when the supervisor itself is SIGKILLed", async () => {
    const { supervisor } = await startSupervisor();
    const tree = descendants(supervisor.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(4);
    supervisor.kill("SIGKILL");
    // Postgres ends with a shutdown checkpoint (fsync on: this is the real data dir), which a
    // machine busy with the rest of the suite can make slow: the time allowed is generous.
    const left = await waitForGone(tree, 45_000);
    expect(left.map(describeProcess)).toEqual([]);
  }, 150_000);
});

describe("process start-up and shutdown", () => {
  it("stops with a message naming the variable when the config is invalid", async () => {
    for (const entry of ["build/index.js", "build/worker.js"]) {
      const child = spawn(process.execPath, [entry], {
        env: { ...process.env, MAX_CONCURRENT_STREAMS: "many" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      await waitForExit(child, 20_000);
      expect(child.exitCode).toBe(1);
      expect(stderr).toContain("MAX_CONCURRENT_STREAMS");
      expect(stderr).not.toMatch(/at .*\.(ts|js):\d+/);
    }
  });

  it("refuses to start in production with the default secrets", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "production" };
    delete env.SESSION_SECRET;
    delete env.STREAM_TOKEN_SECRET;
    const child: ChildProcess = spawn(process.execPath, ["build/index.js"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    await waitForExit(child, 20_000);
    expect(child.exitCode).toBe(1);
    expect(stderr).toMatch(/SESSION_SECRET: must be set to a random value in production/);
  });

  it("starts in development mode from the production build (NODE_ENV=development npm start)", async () => {
    const app = await startApp({ env: { NODE_ENV: "development", LOG_LEVEL: "info" } });
    try {
      const page = await fetch(`${app.baseUrl}/login`);
      expect(page.status).toBe(200);
      expect(app.output()).toContain('"mode":"development"');
      expect(app.output()).not.toMatch(/Dev server origin|"level":50/);
    } finally {
      await app.stop();
    }
  });

  it("web and worker exit cleanly on SIGTERM", async () => {
    const app = await startApp({ env: { LOG_LEVEL: "info" } });
    for (let i = 0; i < 100 && !app.output().includes("worker ready"); i++) await sleep(100);
    expect(app.output()).toContain("worker ready");
    app.web.kill("SIGTERM");
    app.worker!.kill("SIGTERM");
    await Promise.all([waitForExit(app.web, 15_000), waitForExit(app.worker!, 15_000)]);
    expect(app.web.exitCode).toBe(0);
    expect(app.worker!.exitCode).toBe(0);
    expect(app.output()).toContain("web server stopped");
    expect(app.output()).toContain("worker stopped");
  });
});

describe("socket.io", () => {
  it("refuses an unauthenticated socket and accepts one with a session cookie", async () => {
    const app = await startApp({ worker: false });
    try {
      const anonymous = io(app.baseUrl, { transports: ["websocket"], reconnection: false });
      const refused = await new Promise<string>((resolve) => anonymous.on("connect_error", (err) => resolve(err.message)));
      expect(refused).toBe("unauthorized");
      anonymous.close();

      const client = new Client(app.baseUrl);
      await client.post("/signup", { email: uniqueEmail("socket"), password: "long enough pw", confirmPassword: "long enough pw" });
      const socket = io(app.baseUrl, {
        transports: ["websocket"],
        reconnection: false,
        extraHeaders: { Cookie: `tvn_session=${client.cookie("tvn_session")}` },
      });
      await new Promise<void>((resolve, reject) => {
        socket.on("connect", resolve);
        socket.on("connect_error", reject);
      });
      expect(socket.connected).toBe(true);
      socket.close();
    } finally {
      await app.stop();
    }
  });
});
