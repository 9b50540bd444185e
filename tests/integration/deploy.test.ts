/**
 * The deployment files, checked without a Docker engine (none runs on our CI
 * machines): Debian's docker-compose resolves and validates the compose file
 * with an env file like an operator's. The Dockerfile's runtime stage is
 * replayed without Docker: exactly the files it copies, in a fresh folder,
 * started with its CMD (and the worker with compose's command).
 */
import { execFile, spawn } from "node:child_process";
import { appendFileSync, copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { getFreePort, stopChild } from "../../scripts/lib/services";
import { waitFor } from "../support/wait";

const run = promisify(execFile);

async function compose(args: string[], env: Record<string, string>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tvn-compose-"));
  copyFileSync(".env.example", path.join(dir, ".env"));
  appendFileSync(
    path.join(dir, ".env"),
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(""),
  );
  return run("docker-compose", ["-f", path.resolve("docker-compose.yml"), "--project-directory", dir, "--env-file", path.join(dir, ".env"), ...args], {
    // Only PATH: variables from the test run must not leak into the substitution.
    env: { PATH: process.env.PATH, NODE_ENV: "test" },
  });
}

describe("docker-compose.yml", () => {
  it("validates, with postgres, redis, web behind a proxy, and workers", async () => {
    const { stdout } = await compose(["config"], { POSTGRES_PASSWORD: "pg-secret", REDIS_PASSWORD: "redis-secret" });
    for (const service of ["postgres", "redis", "web", "proxy", "worker"]) expect(stdout).toContain(`\n  ${service}:\n`);

    expect(stdout).toMatch(/maxmemory-policy\s*\n?\s*- noeviction|noeviction/);
    expect(stdout).toContain("--appendonly");
    expect(stdout).toContain("REDIS_URL: redis://:redis-secret@redis:6379/0");
    expect(stdout).toContain("TRUST_PROXY: '1'");
    // Web publishes no host port of its own, so it can be scaled (--scale web=N).
    const start = stdout.indexOf("\n  web:\n");
    // Services come sorted: web's block ends where worker's begins.
    const web = stdout.slice(start, stdout.indexOf("\n  worker:\n"));
    expect(start).toBeGreaterThan(0);
    expect(web).not.toMatch(/published|ports:/);
  });

  it("adds Prometheus (rules, token from .env) and Grafana (provisioned) in the monitoring profile only", async () => {
    const env = { POSTGRES_PASSWORD: "pg-secret", REDIS_PASSWORD: "redis-secret", METRICS_TOKEN: "m".repeat(32), GRAFANA_ADMIN_PASSWORD: "grafana-secret" };
    const { stdout } = await compose(["--profile", "monitoring", "config"], env);
    const block = (service: string) => {
      const start = stdout.indexOf(`\n  ${service}:\n`);
      expect(start).toBeGreaterThan(0);
      const next = /\n {2}\S/.exec(stdout.slice(start + 1));
      return stdout.slice(start, next ? start + 1 + next.index : undefined);
    };
    const [prometheus, grafana] = [block("prometheus"), block("grafana")];
    for (const service of [prometheus, grafana]) expect(service).toMatch(/profiles:\n\s+- monitoring/);
    expect(prometheus).toMatch(/monitoring\/prometheus\/rules:\/etc\/prometheus\/rules:ro/);
    expect(prometheus).toMatch(/monitoring\/prometheus\/prometheus\.yml:\/etc\/prometheus\/prometheus\.yml:ro/);
    expect(prometheus).toContain(`METRICS_TOKEN: ${"m".repeat(32)}`);
    expect(grafana).toMatch(/monitoring\/grafana\/provisioning:\/etc\/grafana\/provisioning:ro/);
    expect(grafana).toMatch(/monitoring\/grafana\/dashboards:\/var\/lib\/grafana\/dashboards:ro/);
    expect(grafana).toContain("GF_SECURITY_ADMIN_PASSWORD: grafana-secret");
    // Web and workers share the yt-dlp release one worker's daily update installs.
    for (const service of ["web", "worker"]) expect(block(service)).toContain("ytdlp-bin:/app/.data/bin");
  });

  it("refuses to resolve without the database and Redis passwords", async () => {
    await expect(compose(["config", "-q"], {})).rejects.toThrow(/POSTGRES_PASSWORD/);
  });
});

describe("Dockerfile", () => {
  const dockerfile = readFileSync("Dockerfile", "utf8");

  it("builds in stages and runs as the unprivileged node user with a health check", () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\/readyz/m);
    expect(dockerfile).toMatch(/apt-get install .*python3 ffmpeg/);
  });

  it("installs a current yt-dlp release through the checksum-verifying updater, and Deno, not Debian's yt-dlp", () => {
    expect(dockerfile).not.toMatch(/apt-get install [^\n]*\byt-dlp\b/);
    expect(dockerfile).toMatch(/^RUN .*node build\/ytdlp-update\.js/m);
    expect(dockerfile).toMatch(/^ENV .*TVN_DATA_DIR=\/app\/\.data/m);
    expect(dockerfile).toMatch(/npm install -g .*"deno@\$\{DENO_VERSION\}"/);
    expect(dockerfile).toMatch(/^ARG DENO_VERSION=\d+\.\d+\.\d+$/m);
  });

  it("leaves secrets and local state out of the build context", () => {
    const ignored = readFileSync(".dockerignore", "utf8").split("\n");
    for (const entry of [".env", ".data", "node_modules", ".git"]) expect(ignored).toContain(entry);
  });
});

/** The runtime stage: what it copies (from the build stage or the context) and the command it runs. */
function runtimeStage(dockerfile: string) {
  const stage = dockerfile.slice(dockerfile.indexOf("AS runtime"));
  const copies = [...stage.matchAll(/^COPY (?:--from=\w+ )?(?:--chown=\S+ )?(\S+) (\S+)$/gm)].map(([, from, to]) => ({
    from: from.replace(/^\/app\//, ""),
    to,
  }));
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(stage)?.[1] ?? "[]") as string[];
  return { copies, cmd };
}

describe("the image's runtime files", () => {
  it("run the web process from its CMD and the worker from compose's command, with no sources or TypeScript", async () => {
    const { copies, cmd } = runtimeStage(readFileSync("Dockerfile", "utf8"));
    expect(cmd).toEqual(["node", "build/index.js"]);
    expect(copies.map((c) => c.from)).not.toEqual(expect.arrayContaining(["app", "server", "workers"]));
    const dir = mkdtempSync(path.join(os.tmpdir(), "tvn-image-"));
    try {
      for (const { from, to } of copies) {
        const target = path.join(dir, to === "./" ? path.basename(from) : to);
        // node_modules is linked, not copied: the image prunes it, which this check does not replay.
        if (from === "node_modules") symlinkSync(path.resolve(from), target);
        else cpSync(path.resolve(from), target, { recursive: true });
      }
      const port = await getFreePort();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        LOG_LEVEL: "info",
        NODE_ENV: "production",
        HOST: "127.0.0.1",
        PORT: String(port),
        SESSION_SECRET: "s".repeat(32),
        STREAM_TOKEN_SECRET: "t".repeat(32),
      };
      const logs: string[] = [];
      const [web, worker] = [cmd.slice(1), ["build/worker.js"]].map((args) => {
        const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
        for (const stream of [child.stdout, child.stderr]) stream.on("data", (c: Buffer) => logs.push(c.toString()));
        return child;
      });
      try {
        const page = await waitFor(
          () =>
            fetch(`http://127.0.0.1:${port}/login`).then(
              (r) => (r.ok ? r : null),
              () => null,
            ),
          { timeoutMs: 30_000, message: () => logs.join("") },
        );
        await waitFor(() => logs.join("").includes("worker ready"), { timeoutMs: 30_000, message: () => logs.join("") });
        expect(await page.text()).toContain("/build/");
      } finally {
        await Promise.all([stopChild(web, "SIGTERM", 10_000), stopChild(worker, "SIGTERM", 10_000)]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
