import { remember } from "@epic-web/remember";
import { Queue } from "bullmq";
import { z } from "zod";
import { logger } from "./logger.server";
import { redis } from "./redis.server";

/**
 * Queue names and job payloads, defined once and shared by producers (web)
 * and consumers (workers/). Job data never carries secrets.
 */
export const QUEUES = {
  maintenance: "maintenance",
} as const;

export const maintenanceJobs = {
  cleanupSessions: { name: "cleanup-sessions", everyMs: 60 * 60 * 1000, data: z.object({}) },
} as const;

export type MaintenanceJobName = (typeof maintenanceJobs)[keyof typeof maintenanceJobs]["name"];

/** Producer side: lazy, on the fail-fast shared connection. */
export const maintenanceQueue = remember("queue:maintenance", () => {
  const queue = new Queue<Record<string, never>, unknown, MaintenanceJobName>(QUEUES.maintenance, {
    connection: redis,
  });
  queue.on("error", (err) => logger.warn({ err: err.message, queue: QUEUES.maintenance }, "queue error"));
  return queue;
});
