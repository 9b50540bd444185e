/**
 * Keeping yt-dlp current, as an operator sees it: health, /metrics and the
 * sampler's alert report the yt-dlp in use and its age (Debian's 2023 build
 * here, far older than YTDLP_MAX_AGE_DAYS); `npm run ytdlp:update` against a
 * loopback release server refuses a release whose checksum does not match
 * (the installed binary stays) and installs a good one, which the running app
 * then reports without a restart.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app";
import { Client, uniqueEmail } from "../support/http";
import { waitFor } from "../support/wait";

type Check = { status: string; path?: string; version?: string; ageDays?: number; maxAgeDays?: number; error?: string; hint?: string };
type Health = { status: string; checks: { ytDlp: Check } };

const execFileAsync = promisify(execFile);
const DAY_MS = 24 * 60 * 60 * 1000;
const versionDaysAgo = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString().slice(0, 10).replaceAll("-", ".");

/** A stand-in release: a script that prints its version, as `yt-dlp --version` does. */
const fakeRelease = (version: string) => `#!/bin/sh\necho ${version}\n`;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Release folders by name; /moved/* redirects to /good/* like GitHub's "latest" does. */
const releases: Record<string, { binary: string; sums: string }> = {};
let releaseServer: Server;
let releaseBase: string;

const dataDir = mkdtempSync(path.join(os.tmpdir(), "tvn-ytdlp-"));
const installed = path.join(dataDir, "bin", "yt-dlp");
const metricsToken = randomBytes(16).toString("hex");
const ADMIN_EMAIL = uniqueEmail("ytdlp-admin");
let admin: Client;
let app: RunningApp;
let redis: Redis;

/** The updater as an operator runs it (`npm run ytdlp:update` runs this build), against one release folder. */
async function runUpdater(release: string): Promise<{ code: number; output: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NODE_ENV: "production", TVN_DATA_DIR: dataDir, YTDLP_RELEASE_URL: `${releaseBase}/${release}` };
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ["build/ytdlp-update.js"], { env, timeout: 30_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

/** The age alert while it fires (the sampler keeps firing alerts in Redis), else null. */
async function firingAgeAlert(): Promise<{ key: string; value: number; threshold: number } | null> {
  const raw = await redis.hget("monitoring:alerts:active", "ytdlp_age");
  return raw ? (JSON.parse(raw) as { key: string; value: number; threshold: number }) : null;
}

async function health(): Promise<Check> {
  const response = await fetch(`${app.baseUrl}/api/monitoring/health`);
  return ((await response.json()) as Health).checks.ytDlp;
}

async function prometheus() {
  const response = await fetch(`${app.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${metricsToken}` } });
  expect(response.status).toBe(200);
  return response.text();
}

beforeAll(async () => {
  const good = fakeRelease(versionDaysAgo(3));
  releases.good = { binary: good, sums: `${sha256("the windows build")}  yt-dlp.exe\n${sha256(good)}  yt-dlp\n` };
  // A newer release whose binary changed after its checksum was published: a tampered download.
  const newer = fakeRelease(versionDaysAgo(1));
  releases.tampered = { binary: `${newer}echo tampered\n`, sums: `${sha256(newer)}  yt-dlp\n` };
  redis = new Redis(process.env.REDIS_URL!);
  releaseServer = createServer((req, res) => {
    const [, folder, asset] = (req.url ?? "").split("/");
    if (folder === "moved") return res.writeHead(302, { Location: `/good/${asset}` }).end();
    const release = releases[folder];
    const body = asset === "yt-dlp" ? release?.binary : asset === "SHA2-256SUMS" ? release?.sums : undefined;
    if (body === undefined) return res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": "application/octet-stream" }).end(body);
  });
  await new Promise<void>((resolve) => releaseServer.listen(0, "127.0.0.1", resolve));
  releaseBase = `http://127.0.0.1:${(releaseServer.address() as AddressInfo).port}`;
  app = await startApp({
    // YTDLP_PATH empty (unset): the app prefers the data dir's release, else Debian's yt-dlp on PATH.
    env: {
      YTDLP_PATH: "",
      ADMIN_EMAILS: ADMIN_EMAIL,
      TVN_DATA_DIR: dataDir,
      METRICS_TOKEN: metricsToken,
      METRICS_SAMPLE_SECONDS: "1",
      YTDLP_MAX_AGE_DAYS: "90",
      LOG_LEVEL: "info",
    },
  });
  admin = new Client(app.baseUrl, { "Accept-Language": "en" });
  const password = "a long enough password";
  expect((await admin.post("/signup", { email: ADMIN_EMAIL, password, confirmPassword: password })).status).toBe(302);
});

/** The dashboard's yt-dlp panel, as the server renders it (no JS needed). */
async function dashboardPanel() {
  const response = await admin.request("/dashboard");
  expect(response.status).toBe(200);
  const html = await response.text();
  const text = (testId: string) => new RegExp(`data-testid="${testId}"[^>]*>([^<]*)<`).exec(html)?.[1];
  return { version: text("ytdlp-version"), age: text("ytdlp-age"), stale: html.includes('data-testid="ytdlp-stale"'), html };
}

afterAll(async () => {
  await app?.stop();
  redis?.disconnect();
  await new Promise((resolve) => releaseServer?.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the yt-dlp in use", () => {
  it("is reported with its path, version and age; an old release degrades health with a hint", async () => {
    // A process' first `yt-dlp --version` may outlast the health probe's timeout on a busy machine.
    const check = await waitFor(async () => {
      const c = await health();
      return c.version ? c : null;
    });
    expect(check.path).toBe(
      path.join(
        process.env.PATH!.split(":").find((dir) => existsSync(path.join(dir, "yt-dlp")))!,
        "yt-dlp",
      ),
    );
    expect(check.version).toMatch(/^\d{4}\.\d{2}\.\d{2}/);
    const released = Date.parse(check.version!.slice(0, 10).replaceAll(".", "-"));
    expect(check.ageDays).toBe(Math.floor((Date.now() - released) / DAY_MS));
    expect(check.maxAgeDays).toBe(90);
    // Debian's build is from 2023: far older than 90 days.
    expect(check.status).toBe("degraded");
    expect(check.error).toMatch(/days old/);
    expect(check.hint).toMatch(/npm run ytdlp:update/);

    const panel = await dashboardPanel();
    expect(panel.version).toBe(check.version);
    expect(panel.age).toBe(`${check.ageDays!.toLocaleString("en")} days ago`);
    expect(panel.stale).toBe(true);
    expect(panel.html).toContain(check.path);
  });

  it("is exposed to Prometheus and raises the yt-dlp age alert", async () => {
    const text = await prometheus();
    const age = Number(/^tvn_ytdlp_release_age_seconds (\d+)$/m.exec(text)?.[1]);
    expect(age).toBeGreaterThan(90 * 86_400);
    expect(text).toMatch(/^tvn_ytdlp_max_age_seconds 7776000$/m);
    expect(text).toMatch(/^tvn_health_check_status\{check="ytDlp"\} 1$/m);
    const alert = await waitFor(() => firingAgeAlert(), { timeoutMs: 20_000, message: "the yt-dlp age alert firing" });
    expect(alert).toMatchObject({ key: "ytdlp_age", threshold: 90 });
    expect(alert.value).toBeGreaterThan(90);
  });
});

describe("npm run ytdlp:update", () => {
  it("refuses a release whose checksum does not match, installing nothing", async () => {
    const { code, output } = await runUpdater("tampered");
    expect(code).not.toBe(0);
    expect(output).toMatch(/checksum mismatch/);
    // Nothing left behind either: the temporary download is removed.
    expect(readdirSync(path.dirname(installed))).toEqual([]);
  });

  it("installs a good release (through a redirect), which web and workers then use without a restart", async () => {
    const { code, output } = await runUpdater("moved");
    expect(output).toContain(`installed yt-dlp ${versionDaysAgo(3)}`);
    expect(code).toBe(0);
    expect(readFileSync(installed, "utf8")).toBe(releases.good.binary);
    const check = await waitFor(async () => {
      const c = await health();
      return c.path === installed ? c : null;
    });
    expect(check).toMatchObject({ status: "ok", version: versionDaysAgo(3), ageDays: 3 });
    expect(await dashboardPanel()).toMatchObject({ version: versionDaysAgo(3), age: "3 days ago", stale: false });
    const age = Number(/^tvn_ytdlp_release_age_seconds (\d+)$/m.exec(await prometheus())?.[1]);
    expect(age).toBeGreaterThanOrEqual(3 * 86_400);
    expect(age).toBeLessThan(4 * 86_400);
    // The workers' sampler runs the new binary too: its age alert resolves.
    await waitFor(async () => (await firingAgeAlert()) === null, { timeoutMs: 20_000, message: "the yt-dlp age alert resolved" });
  });

  it("keeps the installed binary when a later release fails its checksum, and says when it is current", async () => {
    const { code } = await runUpdater("tampered");
    expect(code).not.toBe(0);
    expect(readFileSync(installed, "utf8")).toBe(releases.good.binary);
    const again = await runUpdater("good");
    expect(again.code).toBe(0);
    expect(again.output).toMatch(/newest release already/);
    expect((await health()).version).toBe(versionDaysAgo(3));
  });
});

describe("YTDLP_AUTO_UPDATE=daily", () => {
  it("has one worker install the newest release as a maintenance job, which the app then reports", async () => {
    const autoDir = mkdtempSync(path.join(os.tmpdir(), "tvn-ytdlp-auto-"));
    // A Redis database of its own: this scheduler and its jobs stay with this app.
    const auto = await startApp({
      env: {
        YTDLP_PATH: "",
        TVN_DATA_DIR: autoDir,
        YTDLP_AUTO_UPDATE: "daily",
        YTDLP_RELEASE_URL: `${releaseBase}/good`,
        REDIS_URL: process.env.REDIS_URL!.replace(/\/\d+$/, "/8"),
        LOG_LEVEL: "info",
      },
    });
    try {
      const installedHere = path.join(autoDir, "bin", "yt-dlp");
      // A job scheduler's first run comes at once, then every 24 hours.
      const check = await waitFor(
        async () => {
          const response = await fetch(`${auto.baseUrl}/api/monitoring/health`);
          const c = ((await response.json()) as Health).checks.ytDlp;
          return c.path === installedHere ? c : null;
        },
        { timeoutMs: 30_000, message: () => `the auto-updated yt-dlp in health\n${auto.output()}` },
      );
      expect(check).toMatchObject({ status: "ok", version: versionDaysAgo(3) });
      expect(readFileSync(installedHere, "utf8")).toBe(releases.good.binary);
      expect(auto.output()).toMatch(/"job":"update-ytdlp".*maintenance job done/);
    } finally {
      await auto.stop();
      rmSync(autoDir, { recursive: true, force: true });
    }
  });
});
