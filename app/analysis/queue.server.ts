import { z } from "zod";
import { config } from "~/config.server";
import { createProducer } from "~/platform/index.server";

/**
 * The analysis queue: name and payload defined once, shared by the producer
 * (web) and the consumer (workers/). Job data never carries secrets.
 */
export const ANALYSIS_QUEUE = "analysis";

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
export const TIER_PRIORITY = { pro: 1, free: 10, guest: 20 } as const;

export const analysisQueue = createProducer<AnalysisJob, "analyze">(ANALYSIS_QUEUE, {
  attempts: config.ANALYSIS_ATTEMPTS,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { age: 3600, count: 5000 },
  removeOnFail: { age: 24 * 3600, count: 5000 },
});
