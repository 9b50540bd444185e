import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type { AnalysisResult, FormatSource } from "~/lib/formats";
import type { MetricSampleData } from "~/lib/monitoring";

export const tierEnum = pgEnum("tier", ["free", "pro"]);
export const roleEnum = pgEnum("role", ["user", "admin"]);

export const users = pgTable("users", {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Stored lower-cased and trimmed, so the unique constraint is case-insensitive. */
    email: text("email").notNull().unique(),
    passwordHash: text("password_hash").notNull(),
    tier: tierEnum("tier").notNull().default("free"),
    role: roleEnum("role").notNull().default("user"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true })
      .notNull()
      .defaultNow()
      .$onUpdate(() => sql`now()`),
  },
);

/** Server-side sessions: the cookie carries only the id, so a session can be revoked. */
export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    ip: text("ip"),
    userAgent: text("user_agent"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("sessions_user_id_idx").on(t.userId), index("sessions_expires_at_idx").on(t.expiresAt)],
);

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

export const deliveryEnum = pgEnum("delivery", ["direct", "pipe"]);

/**
 * Download tokens. Only the SHA-256 of a token is kept: the plaintext JWT is
 * shown to its owner once and never stored.
 */
export const streamTokens = pgTable(
  "stream_tokens",
  {
    /** The JWT's `jti`. */
    id: uuid("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull().unique(),
    analysisId: uuid("analysis_id")
      .notNull()
      .references(() => analysisRequests.id, { onDelete: "cascade" }),
    sourceUrl: text("source_url").notNull(),
    formatId: text("format_id").notNull(),
    title: text("title").notNull(),
    ext: text("ext").notNull(),
    delivery: deliveryEnum("delivery").notNull(),
    clientIp: text("client_ip"),
    userAgent: text("user_agent"),
    bindIp: boolean("bind_ip").notNull().default(false),
    bindUa: boolean("bind_ua").notNull().default(false),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    refreshCount: integer("refresh_count").notNull().default(0),
    streamCount: integer("stream_count").notNull().default(0),
    bytesServed: bigint("bytes_served", { mode: "number" }).notNull().default(0),
  },
  (t) => [index("stream_tokens_user_idx").on(t.userId, t.expiresAt), index("stream_tokens_expires_idx").on(t.expiresAt)],
);

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

export type User = typeof users.$inferSelect;
export type StreamToken = typeof streamTokens.$inferSelect;
export type AnalysisRequest = typeof analysisRequests.$inferSelect;
export type Session = typeof sessions.$inferSelect;
