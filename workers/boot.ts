import { MetricsTime, Worker } from "bullmq";
import closeWithGrace from "close-with-grace";
import { config } from "~/config.server";
import { closeDatabase } from "~/db/client.server";
import { runMigrations } from "~/db/migrate.server";
import { ANALYSIS_QUEUE, type AnalysisJob, AnalysisJobSchema, processAnalysisJob } from "~/analysis/index.server";
import {
  MAINTENANCE_QUEUE,
  type MaintenanceJobName,
  maintenanceJobs,
  maintenanceQueue,
  runMaintenanceJob,
  startProcessStatsPublisher,
} from "~/monitoring/index.server";
import { closeEgress } from "~/egress/index.server";
import { closeRedis, createBlockingRedis, logger, redisReady } from "~/platform/index.server";

// Jobs may touch any table: the schema must be current before the first one runs.
await runMigrations(config.DATABASE_URL);
await redisReady();

const connection = createBlockingRedis("tvn-worker");
const lockDuration = config.JOB_LOCK_SECONDS * 1000;
// Per-minute completed/failed counts, read by the queue monitoring.
const metrics = { maxDataPoints: MetricsTime.ONE_WEEK };

const analysis = new Worker<AnalysisJob>(
  ANALYSIS_QUEUE,
  (job, _token, signal) => {
    AnalysisJobSchema.parse(job.data);
    return processAnalysisJob(job, signal);
  },
  {
    connection,
    concurrency: config.ANALYSIS_CONCURRENCY,
    // A worker killed mid-job stops renewing its lock; another worker takes the
    // job over once the lock lapses and the stalled check runs.
    lockDuration,
    stalledInterval: lockDuration,
    maxStalledCount: 2,
    metrics,
  },
);

const maintenance = new Worker(
  MAINTENANCE_QUEUE,
  async (job) => {
    const result = await runMaintenanceJob(job.name);
    logger[job.name === "sample-metrics" ? "debug" : "info"]({ job: job.name, ...result }, "maintenance job done");
    return result;
  },
  { connection, concurrency: 1, metrics },
);

const workers = [analysis, maintenance];
for (const worker of workers) {
  worker.on("error", (err) => logger.error({ err, queue: worker.name }, "worker error"));
  worker.on("failed", (job, err) => logger.warn({ queue: worker.name, job: job?.id, attempt: job?.attemptsMade, err }, "job failed"));
}

await Promise.all(workers.map((worker) => worker.waitUntilReady()));
// Schedulers are idempotent upserts: every worker may declare them.
for (const [name, { everyMs, enabled }] of Object.entries(maintenanceJobs) as Array<[MaintenanceJobName, { everyMs: number; enabled: boolean }]>) {
  if (enabled) await maintenanceQueue.upsertJobScheduler(name, { every: everyMs }, { name });
  else await maintenanceQueue.removeJobScheduler(name);
}
const stopPublishing = startProcessStatsPublisher();
logger.info({ queues: workers.map((w) => w.name), concurrency: config.ANALYSIS_CONCURRENCY }, "worker ready");

closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err) logger.error({ err }, "worker crashed");
  logger.info({ signal }, "worker shutting down");
  // Active jobs finish first; a job cut off by the grace delay is taken over by another worker.
  await Promise.all(workers.map((worker) => worker.close()));
  await stopPublishing();
  await maintenanceQueue.close();
  connection.disconnect();
  await closeEgress();
  await closeRedis();
  await closeDatabase();
  logger.info("worker stopped");
});
