import { asc, desc, gt, lt } from "drizzle-orm";
import { deleteOldGuests, deleteStaleSessions } from "~/accounts/index.server";
import { analysisQueue, cacheCounters, updateInstalledYtDlp } from "~/analysis/index.server";
import { config } from "~/config.server";
import { db } from "~/db/client.server";
import { deleteDeadTokens, listActiveStreams, streamCounters } from "~/downloads/index.server";
import { sampledProcess, type MetricSampleData } from "~/lib/monitoring";
import { evaluateAlerts } from "./alerts.server";
import { ytDlpInUse } from "./health.server";
import { maintenanceQueue, type MaintenanceJobName } from "./maintenance-queue.server";
import { readPublishedProcesses } from "./process-stats.server";
import { metricSamples } from "./tables";

const HOUR_MS = 60 * 60 * 1000;

export async function deleteOldSamples(now = new Date()) {
  const before = new Date(now.getTime() - config.METRICS_RETENTION_HOURS * HOUR_MS);
  const removed = await db.delete(metricSamples).where(lt(metricSamples.createdAt, before)).returning({ id: metricSamples.id });
  return removed.length;
}

/** Finished jobs the queues' own removeOnComplete/removeOnFail left behind: completed after an hour, failed after a day. */
export async function cleanFinishedJobs() {
  const removed: Record<string, { completed: number; failed: number }> = {};
  for (const queue of [analysisQueue, maintenanceQueue]) {
    const [completed, failed] = await Promise.all([queue.clean(HOUR_MS, 10_000, "completed"), queue.clean(24 * HOUR_MS, 10_000, "failed")]);
    removed[queue.name] = { completed: completed.length, failed: failed.length };
  }
  return removed;
}

/** Every cleanup at once (the admin endpoint), each reporting what it removed. */
export async function runAllCleanups() {
  const [tokens, samples, sessions, guests, jobs] = await Promise.all([
    deleteDeadTokens(),
    deleteOldSamples(),
    deleteStaleSessions(),
    deleteOldGuests(),
    cleanFinishedJobs(),
  ]);
  return { tokens, samples, sessions, guests, jobs };
}

/**
 * The performance sampler: one row of platform figures, then the alert
 * thresholds checked against it. Run by one worker at a time (a BullMQ job
 * scheduler), so a cluster records one sample per interval, not one per process.
 */
export async function recordSample(): Promise<MetricSampleData> {
  const [processes, streams, active, cache, analysisCounts, ytDlp] = await Promise.all([
    readPublishedProcesses(),
    streamCounters(),
    listActiveStreams(),
    cacheCounters(),
    analysisQueue.getJobCounts("waiting", "prioritized", "active", "completed", "failed"),
    ytDlpInUse(),
  ]);
  const data: MetricSampleData = {
    processes: processes.map(({ stats }) => sampledProcess(stats)),
    streams: {
      active: active.length,
      completed: streams.completed ?? 0,
      aborted: streams.aborted ?? 0,
      failed: streams.failed ?? 0,
      // Running downloads count as they go, so the throughput chart does not wait for them to end.
      bytes: (streams.bytes ?? 0) + active.reduce((total, s) => total + s.bytes, 0),
    },
    queue: {
      waiting: (analysisCounts.waiting ?? 0) + (analysisCounts.prioritized ?? 0),
      active: analysisCounts.active ?? 0,
      completed: analysisCounts.completed ?? 0,
      failed: analysisCounts.failed ?? 0,
    },
    cache,
    ...(ytDlp && { ytDlp: { version: ytDlp.version, ageDays: ytDlp.ageDays } }),
  };
  const windowStart = await firstSampleSince(new Date(Date.now() - config.ALERT_WINDOW_MINUTES * 60_000));
  await db.insert(metricSamples).values({ data });
  await evaluateAlerts(data, windowStart);
  return data;
}

/** Samples since a moment, oldest first, for charts. */
export async function samplesSince(since: Date, limit = 2000) {
  const rows = await db
    .select({ createdAt: metricSamples.createdAt, data: metricSamples.data })
    .from(metricSamples)
    .where(gt(metricSamples.createdAt, since))
    .orderBy(desc(metricSamples.createdAt))
    .limit(limit);
  return rows.reverse().map((r) => ({ at: r.createdAt.toISOString(), data: r.data }));
}

/** The oldest sample since a moment: the start of the alert window (or of the record, when younger). */
async function firstSampleSince(moment: Date) {
  const [row] = await db
    .select({ data: metricSamples.data })
    .from(metricSamples)
    .where(gt(metricSamples.createdAt, moment))
    .orderBy(asc(metricSamples.createdAt))
    .limit(1);
  return row?.data ?? null;
}

const tasks: Record<MaintenanceJobName, () => Promise<unknown>> = {
  "cleanup-sessions": async () => ({ sessions: await deleteStaleSessions(), guests: await deleteOldGuests() }),
  "cleanup-tokens": () => deleteDeadTokens(),
  "cleanup-samples": () => deleteOldSamples(),
  "clean-jobs": cleanFinishedJobs,
  "sample-metrics": recordSample,
  "update-ytdlp": updateInstalledYtDlp,
};

/** The maintenance queue's processor: what one scheduled job does, and what it removed or recorded. */
export async function runMaintenanceJob(name: string) {
  if (!(name in tasks)) throw new Error(`unknown maintenance job ${name}`);
  const result = await tasks[name as MaintenanceJobName]();
  if (name === "sample-metrics") return { sampled: true };
  return name === "update-ytdlp" ? { ytDlp: result } : { removed: result };
}
