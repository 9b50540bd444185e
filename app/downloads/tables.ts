import { bigint, boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type { MediaOptions } from "../lib/media-options";
import { users } from "../accounts/tables";
import { analysisRequests } from "../analysis/tables";

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
    /** What the link asks for beyond the format: playlist entries, a clip, subtitles (issue 15). */
    options: jsonb("options").$type<MediaOptions>(),
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

export type StreamToken = typeof streamTokens.$inferSelect;
