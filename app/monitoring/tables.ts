import { bigserial, index, jsonb, pgTable, timestamp } from "drizzle-orm/pg-core";
import type { MetricSampleData } from "../lib/monitoring";

/** The performance sampler's record, one row every METRICS_SAMPLE_SECONDS, kept METRICS_RETENTION_HOURS. */
export const metricSamples = pgTable(
  "metric_samples",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    data: jsonb("data").$type<MetricSampleData>().notNull(),
  },
  (t) => [index("metric_samples_created_idx").on(t.createdAt)],
);
