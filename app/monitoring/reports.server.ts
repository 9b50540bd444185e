import type { Queue } from "bullmq";
import { AggregatorRegistry, Counter, Gauge, Registry, type PrometheusContentType } from "prom-client";
import packageJson from "../../package.json";
import { requireApiAdmin } from "~/accounts/index.server";
import { analysisLatencyLastHour, analysisQueue, cacheCounters } from "~/analysis/index.server";
import { config, publicConfig } from "~/config.server";
import { byPrefix, listActiveStreams, streamCounters, tokenCounters } from "~/downloads/index.server";
import { ratio, type MetricsSnapshot, type QueueReport, type QueueThroughput } from "~/lib/monitoring";
import { AppError, logger } from "~/platform/index.server";
import { apiRoute } from "~/web/index.server";
import { checkHealth, ffmpegVersion, ytDlpInUse, type CheckStatus } from "./health.server";
import { maintenanceQueue } from "./maintenance-queue.server";
import { readPublishedProcesses } from "./process-stats.server";

const monitoredQueues = (): Queue[] => [analysisQueue, maintenanceQueue];

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Per-minute job counts BullMQ's workers record (their `metrics` option); data[0] is the last whole minute. */
async function throughput(queue: Queue): Promise<QueueThroughput & { completedTotal: number; failedTotal: number }> {
  const [completed, failed] = await Promise.all([queue.getMetrics("completed", 0, 59), queue.getMetrics("failed", 0, 59)]);
  return {
    completedPerMinute: completed.data[0] ?? 0,
    failedPerMinute: failed.data[0] ?? 0,
    completedLastHour: sum(completed.data),
    failedLastHour: sum(failed.data),
    completedTotal: completed.meta.count,
    failedTotal: failed.meta.count,
  };
}

/** Age of the oldest job among the first waiting ones (priority order for prioritised jobs). */
async function oldestWaitingAgeSeconds(queue: Queue) {
  const jobs = await queue.getJobs(["wait", "prioritized"], 0, 49, true);
  if (!jobs.length) return null;
  return Math.round((Date.now() - Math.min(...jobs.map((j) => j.timestamp))) / 1000);
}

async function queueReport(queue: Queue) {
  const [counts, workers, paused, oldest, rates] = await Promise.all([
    queue.getJobCounts("waiting", "prioritized", "waiting-children", "active", "delayed", "completed", "failed"),
    queue.getWorkersCount(),
    queue.isPaused(),
    oldestWaitingAgeSeconds(queue),
    throughput(queue),
  ]);
  return {
    name: queue.name,
    // BullMQ keeps prioritised jobs apart from plain waiting ones; for people both are waiting.
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts["waiting-children"] ?? 0),
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    completed: counts.completed ?? 0,
    failed: counts.failed ?? 0,
    paused,
    workers,
    oldestWaitingAgeSeconds: oldest,
    ...rates,
  };
}

export async function queueReports(): Promise<Array<QueueReport & { completedTotal: number; failedTotal: number }>> {
  return Promise.all(monitoredQueues().map(queueReport));
}

/** The platform's figures: every process' own, and the shared counters in Redis and Postgres. */
export async function metricsSnapshot(reports?: Awaited<ReturnType<typeof queueReports>>): Promise<MetricsSnapshot> {
  const [processes, streams, active, tokens, cache, analysis, queues] = await Promise.all([
    readPublishedProcesses(),
    streamCounters(),
    listActiveStreams(),
    tokenCounters(),
    cacheCounters(),
    analysisLatencyLastHour(),
    reports ?? queueReports(),
  ]);
  const completed = streams.completed ?? 0;
  const failed = streams.failed ?? 0;
  const aborted = streams.aborted ?? 0;
  const interrupted = streams.interrupted ?? 0;
  return {
    generatedAt: new Date().toISOString(),
    processes: processes.map((p) => p.stats),
    streams: {
      active: active.length,
      inFlightBytes: sum(active.map((s) => s.bytes)),
      speedBps: sum(active.map((s) => s.speed)),
      total: completed + failed + aborted + interrupted,
      completed,
      aborted,
      interrupted,
      failed,
      bytesServed: streams.bytes ?? 0,
      // Aborted downloads are the client's choice: rates are over the finished ones.
      successRate: ratio(completed, completed + failed),
      errorRate: ratio(failed, completed + failed),
      errorsByReason: byPrefix(streams, "error:"),
    },
    analysis: { ...analysis, cache: { ...cache, hitRate: ratio(cache.hits, cache.hits + cache.misses) } },
    tokens: { created: tokens.created ?? 0, refused: tokens.refused ?? 0, refusedByReason: byPrefix(tokens, "refused:") },
    queues: Object.fromEntries(
      queues.map((q) => [
        q.name,
        {
          waiting: q.waiting,
          active: q.active,
          completedPerMinute: q.completedPerMinute,
          failedPerMinute: q.failedPerMinute,
          completedLastHour: q.completedLastHour,
          failedLastHour: q.failedLastHour,
        },
      ]),
    ),
  };
}

type Samples = Array<[labels: Record<string, string>, value: number]>;

const HEALTH_LEVEL: Record<CheckStatus, number> = { ok: 0, degraded: 1, down: 2 };

function define(registry: Registry, kind: "counter" | "gauge", name: string, help: string, samples: Samples) {
  const labelNames = Object.keys(samples[0]?.[0] ?? {});
  if (kind === "counter") {
    const metric = new Counter({ name, help, labelNames, registers: [registry] });
    for (const [labels, value] of samples) metric.inc(labels, Math.max(0, value));
  } else {
    const metric = new Gauge({ name, help, labelNames, registers: [registry] });
    for (const [labels, value] of samples) metric.set(labels, value);
  }
}

/**
 * Prometheus text: every process' own registry (default Node metrics and the
 * analysis histogram, labelled by service and instance) merged with the
 * platform-wide figures, which are counted once, here.
 */
export async function prometheusMetrics(): Promise<{ body: string; contentType: string }> {
  const [processes, queues, health, ytDlp] = await Promise.all([
    readPublishedProcesses(),
    queueReports(),
    checkHealth(),
    // Not health's probe, which gives up after HEALTH_PROBE_TIMEOUT_MS: the first `--version` of a process may take longer.
    ytDlpInUse(),
  ]);
  const snapshot = await metricsSnapshot(queues);
  const platform = new Registry();
  const { streams, tokens, analysis } = snapshot;
  define(platform, "gauge", "tvn_streams_active", "Downloads streaming right now", [[{}, streams.active]]);
  define(platform, "counter", "tvn_streams_total", "Downloads ended, by outcome", [
    [{ outcome: "completed" }, streams.completed],
    [{ outcome: "aborted" }, streams.aborted],
    [{ outcome: "failed" }, streams.failed],
    [{ outcome: "interrupted" }, streams.interrupted],
  ]);
  define(platform, "counter", "tvn_stream_bytes_total", "Bytes sent to downloading clients", [[{}, streams.bytesServed]]);
  define(
    platform,
    "counter",
    "tvn_stream_errors_total",
    "Failed downloads by reason",
    Object.entries(streams.errorsByReason).map(([reason, n]) => [{ reason }, n]),
  );
  define(platform, "counter", "tvn_analysis_cache_requests_total", "Analysis cache look-ups by result", [
    [{ result: "hit" }, analysis.cache.hits],
    [{ result: "miss" }, analysis.cache.misses],
  ]);
  define(platform, "counter", "tvn_tokens_created_total", "Download links created", [[{}, tokens.created]]);
  define(
    platform,
    "counter",
    "tvn_tokens_refused_total",
    "Download links refused, by reason",
    Object.entries(tokens.refusedByReason).map(([reason, n]) => [{ reason }, n]),
  );
  const states = ["waiting", "active", "delayed", "completed", "failed"] as const;
  define(
    platform,
    "gauge",
    "tvn_queue_jobs",
    "Jobs in each queue by state",
    queues.flatMap((q) => states.map((state): Samples[number] => [{ queue: q.name, state }, q[state]])),
  );
  define(
    platform,
    "gauge",
    "tvn_queue_paused",
    "1 while a queue is paused",
    queues.map((q) => [{ queue: q.name }, q.paused ? 1 : 0]),
  );
  define(
    platform,
    "gauge",
    "tvn_queue_workers",
    "Worker connections consuming each queue",
    queues.map((q) => [{ queue: q.name }, q.workers]),
  );
  define(
    platform,
    "gauge",
    "tvn_queue_oldest_waiting_age_seconds",
    "Age of the oldest waiting job",
    queues.map((q) => [{ queue: q.name }, q.oldestWaitingAgeSeconds ?? 0]),
  );
  define(
    platform,
    "counter",
    "tvn_queue_jobs_finished_total",
    "Jobs finished per queue by outcome",
    queues.flatMap((q): Samples => [
      [{ queue: q.name, outcome: "completed" }, q.completedTotal],
      [{ queue: q.name, outcome: "failed" }, q.failedTotal],
    ]),
  );

  define(
    platform,
    "gauge",
    "tvn_health_check_status",
    "Health of each check as this web process sees it: 0 ok, 1 degraded, 2 down",
    [["overall", health.status] as const, ...Object.entries(health.checks).map(([check, c]) => [check, c.status] as const)].map(([check, status]) => [
      { check },
      HEALTH_LEVEL[status],
    ]),
  );
  if (ytDlp) define(platform, "gauge", "tvn_ytdlp_info", "The yt-dlp in use (always 1)", [[{ version: ytDlp.version, path: ytDlp.path }, 1]]);
  if (ytDlp?.releasedOn) {
    // Base units (seconds), as Prometheus has it: the version is the release day.
    const age = Math.max(0, Math.round((Date.now() - Date.parse(ytDlp.releasedOn)) / 1000));
    define(platform, "gauge", "tvn_ytdlp_release_age_seconds", "Time since the yt-dlp in use was released", [[{}, age]]);
    define(platform, "gauge", "tvn_ytdlp_max_age_seconds", "YTDLP_MAX_AGE_DAYS: older releases raise an alert", [[{}, ytDlp.maxAgeDays * 86_400]]);
  }

  const perProcess = AggregatorRegistry.aggregate<PrometheusContentType>(processes.map((p) => p.prom));
  const merged = Registry.merge([perProcess, platform]);
  return { body: await merged.metrics(), contentType: merged.contentType };
}

export async function statusReport() {
  const missing = (tool: string) => (err: unknown) => {
    logger.warn({ err, tool }, "could not read a tool's version");
    return null;
  };
  const [ytDlp, ffmpeg] = await Promise.all([ytDlpInUse().then((s) => s?.version ?? null), ffmpegVersion().catch(missing("ffmpeg"))]);
  return {
    name: "taivideonhanh",
    version: packageJson.version,
    environment: config.NODE_ENV,
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    uptimeSeconds: Math.round(process.uptime()),
    node: process.version,
    ytDlp,
    ffmpeg,
    config: publicConfig(config),
  };
}

/**
 * GET metrics for admins or the metrics token: the JSON snapshot, or the
 * Prometheus text when asked for by `?format=prometheus` or an Accept header
 * naming text/plain or OpenMetrics (what Prometheus sends).
 */
export function metricsResponse(request: Request, fallback: "json" | "prometheus" = "json") {
  return apiRoute(async () => {
    await requireApiAdmin(request, { metricsToken: true });
    const accept = request.headers.get("Accept") ?? "";
    const asked = new URL(request.url).searchParams.get("format");
    const format = asked ?? (/text\/plain|application\/openmetrics-text/.test(accept) ? "prometheus" : /application\/json/.test(accept) ? "json" : fallback);
    if (format === "prometheus") {
      const { body, contentType } = await prometheusMetrics();
      return new Response(body, { headers: { "Content-Type": contentType, "Cache-Control": "no-store" } });
    }
    if (format !== "json") throw new AppError("invalid", "invalid_format", "format must be json or prometheus.");
    return Response.json(await metricsSnapshot(), { headers: { "Cache-Control": "no-store" } });
  });
}
