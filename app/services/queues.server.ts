import { remember } from "@epic-web/remember";
import { Queue, type DefaultJobOptions } from "bullmq";
import { z } from "zod";
import { config } from "~/config.server";
import { logger } from "./logger.server";
import { redis } from "./redis.server";

/**
 * Queue names and job payloads, defined once and shared by producers (web)
 * and consumers (workers/). Job data never carries secrets.
 */
export const QUEUES = {
  analysis: "analysis",
  maintenance: "maintenance",
} as const;

export const AnalysisJobSchema = z.object({
  requestId: z.string().uuid(),
  userId: z.string().uuid(),
  url: z.string().url(),
});
export type AnalysisJob = z.infer<typeof AnalysisJobSchema>;

/** What the worker reports while a job runs; the web process relays it to the owner's sockets. */
export type AnalysisProgress = { userId: string; stage: AnalysisStage; percent: number };
export type AnalysisStage = "queued" | "fetching" | "parsing" | "probing" | "done";

/** BullMQ runs lower numbers first. */
export const TIER_PRIORITY = { pro: 1, free: 10 } as const;

const HOURLY = 60 * 60 * 1000;

/** The workers' recurring jobs (BullMQ job schedulers): each interval, one worker runs each. */
export const maintenanceJobs = {
  "cleanup-sessions": { everyMs: HOURLY },
  "cleanup-tokens": { everyMs: HOURLY },
  "cleanup-samples": { everyMs: HOURLY },
  "clean-jobs": { everyMs: HOURLY },
  "sample-metrics": { everyMs: config.METRICS_SAMPLE_SECONDS * 1000 },
} as const;

export type MaintenanceJobName = keyof typeof maintenanceJobs;

function producer<Data, Name extends string>(name: string, defaultJobOptions: DefaultJobOptions) {
  return remember(`queue:${name}`, () => {
    const queue = new Queue<Data, unknown, Name>(name, { connection: redis, defaultJobOptions });
    queue.on("error", (err) => logger.warn({ err: err.message, queue: name }, "queue error"));
    return queue;
  });
}

/** Producers: lazy, on the fail-fast shared connection. */
export const analysisQueue = producer<AnalysisJob, "analyze">(QUEUES.analysis, {
  attempts: config.ANALYSIS_ATTEMPTS,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { age: 3600, count: 5000 },
  removeOnFail: { age: 24 * 3600, count: 5000 },
});

export const maintenanceQueue = producer<Record<string, never>, MaintenanceJobName>(QUEUES.maintenance, {
  removeOnComplete: 100,
  removeOnFail: 100,
});
