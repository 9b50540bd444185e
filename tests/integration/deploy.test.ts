/**
 * The deployment files, checked without a Docker engine (none runs on our CI
 * machines): Debian's docker-compose resolves and validates the compose file
 * with an env file like an operator's; the Dockerfile is read for what it promises.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, appendFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

async function compose(args: string[], env: Record<string, string>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tvn-compose-"));
  copyFileSync(".env.example", path.join(dir, ".env"));
  appendFileSync(path.join(dir, ".env"), Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(""));
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
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\/api\/monitoring\/health/m);
    expect(dockerfile).toMatch(/apt-get install .*yt-dlp ffmpeg/);
  });

  it("leaves secrets and local state out of the build context", () => {
    const ignored = readFileSync(".dockerignore", "utf8").split("\n");
    for (const entry of [".env", ".data", "node_modules", ".git"]) expect(ignored).toContain(entry);
  });
});
