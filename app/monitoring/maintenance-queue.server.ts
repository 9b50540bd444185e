import { config } from "~/config.server";
import { createProducer } from "~/platform/index.server";

export const MAINTENANCE_QUEUE = "maintenance";

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

export const maintenanceQueue = createProducer<Record<string, never>, MaintenanceJobName>(MAINTENANCE_QUEUE, {
  removeOnComplete: 100,
  removeOnFail: 100,
});
