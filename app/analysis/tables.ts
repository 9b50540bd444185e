import { boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "../accounts/tables";
import type { AnalysisResult, FormatSource } from "../lib/formats";

export const analysisStatusEnum = pgEnum("analysis_status", ["queued", "active", "completed", "failed"]);

/** Every analysis a user asked for: history that survives a Redis flush, and what the result page reads. */
export const analysisRequests = pgTable(
  "analysis_requests",
  {
    /** Also the BullMQ job id and the public requestId. */
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    urlHash: text("url_hash").notNull(),
    status: analysisStatusEnum("status").notNull().default("queued"),
    stage: text("stage").notNull().default("queued"),
    progress: integer("progress").notNull().default(0),
    cached: boolean("cached").notNull().default(false),
    attempts: integer("attempts").notNull().default(0),
    result: jsonb("result").$type<AnalysisResult>(),
    /** Server-only: upstream URLs and headers per format; never sent to clients. */
    sources: jsonb("sources").$type<Record<string, FormatSource>>(),
    error: jsonb("error").$type<{ code: string; message: string }>(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    durationMs: integer("duration_ms"),
  },
  // finished_at: monitoring reads the last hour's latencies and the latest failures every few seconds.
  (t) => [index("analysis_requests_user_created_idx").on(t.userId, t.createdAt), index("analysis_requests_finished_idx").on(t.finishedAt)],
);

export type AnalysisRequest = typeof analysisRequests.$inferSelect;
