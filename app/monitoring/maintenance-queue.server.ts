import { config } from "~/config.server";
import { createProducer } from "~/platform/index.server";

export const MAINTENANCE_QUEUE = "maintenance";

const HOURLY = 60 * 60 * 1000;

/**
 * The workers' recurring jobs (BullMQ job schedulers): each interval, one
 * worker runs each. A disabled one has its scheduler removed.
 */
export const maintenanceJobs = {
  "cleanup-sessions": { everyMs: HOURLY, enabled: true },
  "cleanup-tokens": { everyMs: HOURLY, enabled: true },
  "cleanup-samples": { everyMs: HOURLY, enabled: true },
  "clean-jobs": { everyMs: HOURLY, enabled: true },
  "sample-metrics": { everyMs: config.METRICS_SAMPLE_SECONDS * 1000, enabled: true },
  "update-ytdlp": { everyMs: 24 * HOURLY, enabled: config.YTDLP_AUTO_UPDATE === "daily" },
} as const;

export type MaintenanceJobName = keyof typeof maintenanceJobs;

export const maintenanceQueue = createProducer<Record<string, never>, MaintenanceJobName>(MAINTENANCE_QUEUE, {
  removeOnComplete: 100,
  removeOnFail: 100,
});
