import { Worker } from "bullmq";
import closeWithGrace from "close-with-grace";
import { config } from "~/config.server";
import { closeDatabase } from "~/db/client.server";
import { runMigrations } from "~/db/migrate.server";
import { processAnalysisJob } from "~/services/analysis.server";
import { logger } from "~/services/logger.server";
import { AnalysisJobSchema, type AnalysisJob, maintenanceJobs, maintenanceQueue, QUEUES } from "~/services/queues.server";
import { closeRedis, createBlockingRedis, redisReady } from "~/services/redis.server";
import { deleteStaleSessions } from "~/services/session.server";

// Jobs may touch any table: the schema must be current before the first one runs.
await runMigrations(config.DATABASE_URL);
await redisReady();

const connection = createBlockingRedis("tvn-worker");
const lockDuration = config.JOB_LOCK_SECONDS * 1000;

const analysis = new Worker<AnalysisJob>(
  QUEUES.analysis,
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
  },
);

const maintenance = new Worker(
  QUEUES.maintenance,
  async (job) => {
    switch (job.name) {
      case maintenanceJobs.cleanupSessions.name: {
        const removed = await deleteStaleSessions();
        logger.info({ removed }, "removed stale sessions");
        return { removed };
      }
      default:
        throw new Error(`unknown maintenance job ${job.name}`);
    }
  },
  { connection, concurrency: 1 },
);

const workers = [analysis, maintenance];
for (const worker of workers) {
  worker.on("error", (err) => logger.error({ err: err.message, queue: worker.name }, "worker error"));
  worker.on("failed", (job, err) => logger.warn({ queue: worker.name, job: job?.id, attempt: job?.attemptsMade, err: err.message }, "job failed"));
}

await Promise.all(workers.map((worker) => worker.waitUntilReady()));
// Schedulers are idempotent upserts: every worker may declare them.
await maintenanceQueue.upsertJobScheduler(
  maintenanceJobs.cleanupSessions.name,
  { every: maintenanceJobs.cleanupSessions.everyMs },
  { name: maintenanceJobs.cleanupSessions.name },
);
logger.info({ queues: workers.map((w) => w.name), concurrency: config.ANALYSIS_CONCURRENCY }, "worker ready");

closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err) logger.error({ err }, "worker crashed");
  logger.info({ signal }, "worker shutting down");
  // Active jobs finish first; a job cut off by the grace delay is taken over by another worker.
  await Promise.all(workers.map((worker) => worker.close()));
  await maintenanceQueue.close();
  connection.disconnect();
  await closeRedis();
  await closeDatabase();
  logger.info("worker stopped");
});
