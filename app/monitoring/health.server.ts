import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { config } from "~/config.server";
import { sql } from "~/db/client.server";
import { analysisQueue, ytDlpStatus } from "~/analysis/index.server";
import type { YtDlpInUse } from "~/lib/monitoring";
import { logger, redis } from "~/platform/index.server";
import { eventLoopLagMs } from "./process-stats.server";

const run = promisify(execFile);

export type CheckStatus = "ok" | "degraded" | "down";
type Check = { status: CheckStatus; latencyMs?: number; error?: string } & Record<string, unknown>;
export type HealthReport = {
  status: CheckStatus;
  checks: { postgres: Check; redis: Check; queue: Check; ytDlp: Check; ffmpeg: Check; memory: Check; eventLoopLag: Check };
};

class ProbeTimeout extends Error {}

/** Runs a probe for at most HEALTH_PROBE_TIMEOUT_MS, timing it. */
async function probe<T>(run: () => Promise<T>): Promise<{ value?: T; latencyMs: number; error?: string; slow?: boolean }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ProbeTimeout(`no answer within ${config.HEALTH_PROBE_TIMEOUT_MS} ms`)), config.HEALTH_PROBE_TIMEOUT_MS);
      }),
    ]);
    return { value, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { latencyMs: Math.round(performance.now() - started), error, slow: err instanceof ProbeTimeout };
  } finally {
    clearTimeout(timer);
  }
}

/** A tool's version line, looked up once per process: the binary does not change under a running server. */
const versions = new Map<string, Promise<string>>();
export function toolVersion(command: string, args: string[], pick: (stdout: string) => string): Promise<string> {
  const key = `${command} ${args.join(" ")}`;
  let version = versions.get(key);
  if (!version) {
    version = run(command, args, { timeout: 10_000 }).then(({ stdout }) => pick(stdout));
    versions.set(key, version);
    // A failure is not remembered: the tool may be installed later.
    version.catch((err: unknown) => {
      logger.warn({ err, command }, "could not read a tool's version");
      versions.delete(key);
    });
  }
  return version;
}

export const ffmpegVersion = () => toolVersion(config.FFMPEG_PATH, ["-version"], (out) => /ffmpeg version (\S+)/.exec(out)?.[1] ?? out.split("\n")[0]);

/** The yt-dlp in use, or null (logged) when it cannot be run: for reports that show it beside other figures. */
export function ytDlpInUse(): Promise<YtDlpInUse | null> {
  return ytDlpStatus().catch((err: unknown) => {
    logger.warn({ err }, "could not run yt-dlp");
    return null;
  });
}

/**
 * A probe that failed is `failed`; one that was only slow (no answer within
 * the probe timeout, as on a saturated CPU) is degraded: a busy node must not
 * read as down, or a load balancer pulls it exactly when it is busy.
 */
const statusOf = (p: { error?: string; slow?: boolean }, failed: CheckStatus): CheckStatus => (p.error ? (p.slow ? "degraded" : failed) : "ok");

/** The yt-dlp in use, degraded (with what to do) when its release is older than YTDLP_MAX_AGE_DAYS. */
function ytDlpCheck(probed: { value?: YtDlpInUse; error?: string; slow?: boolean }): Check {
  const found = probed.value;
  if (!found) return { status: statusOf(probed, "degraded"), error: probed.error };
  const { stale, ...details } = found;
  if (!stale) return { status: "ok", ...details };
  return {
    status: "degraded",
    ...details,
    error: `yt-dlp ${found.version} is ${found.ageDays} days old (more than ${found.maxAgeDays}): many sites may fail to analyse`,
    hint: "Run `npm run ytdlp:update` (or set YTDLP_AUTO_UPDATE=daily) to install the newest release.",
  };
}

/** Readiness for load balancers: Postgres and Redis answer (slowly counts as answering). */
export async function checkReadiness(): Promise<{ ready: boolean; checks: { postgres: Check; redis: Check } }> {
  const [pg, rd] = await Promise.all([probe(() => sql`select 1`), probe(() => redis.ping())]);
  const checks = {
    postgres: { status: statusOf(pg, "down"), latencyMs: pg.latencyMs, ...(pg.error && { error: pg.error }) },
    redis: { status: statusOf(rd, "down"), latencyMs: rd.latencyMs, ...(rd.error && { error: rd.error }) },
  };
  return { ready: checks.postgres.status !== "down" && checks.redis.status !== "down", checks };
}

/**
 * Cheap enough to poll: one round trip each to Postgres and Redis, the
 * worker count from Redis, tool versions from memory. Postgres or Redis down
 * makes the platform down; anything else only degraded.
 */
export async function checkHealth(): Promise<HealthReport> {
  const [pg, rd, workers, ytDlp, ffmpeg] = await Promise.all([
    probe(() => sql`select 1`),
    probe(() => redis.ping()),
    probe(() => analysisQueue.getWorkersCount()),
    probe(() => ytDlpStatus()),
    probe(ffmpegVersion),
  ]);
  const rssBytes = process.memoryUsage().rss;
  const lagMs = eventLoopLagMs();
  const checks: HealthReport["checks"] = {
    postgres: { status: statusOf(pg, "down"), latencyMs: pg.latencyMs, ...(pg.error && { error: pg.error }) },
    redis: { status: statusOf(rd, "down"), latencyMs: rd.latencyMs, ...(rd.error && { error: rd.error }) },
    queue: workers.error
      ? { status: "degraded", error: workers.error }
      : {
          status: workers.value ? "ok" : "degraded",
          workersOnline: workers.value,
          ...(!workers.value && { error: "no worker process is online: analyses will wait" }),
        },
    ytDlp: ytDlpCheck(ytDlp),
    ffmpeg: { status: statusOf(ffmpeg, "degraded"), ...(ffmpeg.value ? { version: ffmpeg.value } : { error: ffmpeg.error }) },
    memory: { status: rssBytes > config.MEMORY_WARN_MB * 1024 * 1024 ? "degraded" : "ok", rssBytes, warnBytes: config.MEMORY_WARN_MB * 1024 * 1024 },
    eventLoopLag: { status: lagMs > config.EVENT_LOOP_LAG_WARN_MS ? "degraded" : "ok", ms: lagMs, warnMs: config.EVENT_LOOP_LAG_WARN_MS },
  };
  const all = Object.values(checks).map((c) => c.status);
  const status: CheckStatus = all.includes("down") ? "down" : all.includes("degraded") ? "degraded" : "ok";
  return { status, checks };
}
