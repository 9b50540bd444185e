import { Worker } from "bullmq";
import closeWithGrace from "close-with-grace";
import { config } from "~/config.server";
import { closeDatabase } from "~/db/client.server";
import { runMigrations } from "~/db/migrate.server";
import { logger } from "~/services/logger.server";
import { maintenanceJobs, maintenanceQueue, QUEUES } from "~/services/queues.server";
import { closeRedis, createBlockingRedis } from "~/services/redis.server";
import { deleteStaleSessions } from "~/services/session.server";

// Jobs may touch any table: the schema must be current before the first one runs.
await runMigrations(config.DATABASE_URL);

const connection = createBlockingRedis("tvn-worker");

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
maintenance.on("error", (err) => logger.error({ err: err.message }, "maintenance worker error"));
maintenance.on("failed", (job, err) => logger.error({ job: job?.name, err: err.message }, "maintenance job failed"));

maintenance.on("ready", async () => {
  // Schedulers are idempotent upserts: every worker may declare them.
  await maintenanceQueue
    .upsertJobScheduler(
      maintenanceJobs.cleanupSessions.name,
      { every: maintenanceJobs.cleanupSessions.everyMs },
      { name: maintenanceJobs.cleanupSessions.name, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    )
    .catch((err) => logger.warn({ err: err.message }, "could not register job schedulers yet"));
  logger.info({ queues: [QUEUES.maintenance], concurrency: config.ANALYSIS_CONCURRENCY }, "worker ready");
});

closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err) logger.error({ err }, "worker crashed");
  logger.info({ signal }, "worker shutting down");
  await maintenance.close();
  await maintenanceQueue.close();
  connection.disconnect();
  await closeRedis();
  await closeDatabase();
  logger.info("worker stopped");
});
