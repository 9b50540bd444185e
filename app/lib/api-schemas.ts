import { z } from "zod";
import { MediaOptionsSchema } from "./media-options";

/**
 * The JSON API's shapes, defined once: routes validate requests with them,
 * and the OpenAPI document (GET /api/openapi.json) is generated from them,
 * responses included. Validation messages are catalogue keys (app/lib/i18n).
 */

export { AnalyzeFormSchema as AnalyzeRequestSchema } from "./media-url";

/** A format of an analysis; for a playlist, `entries` and best/audio/mp3; for a video, a clip or subtitles too (issue 15). */
export const TokenRequestSchema = MediaOptionsSchema.extend({
  requestId: z.string().uuid("requestId must be an analysis id."),
  formatId: z.string().min(1).max(200),
});

export const API_KEY_NAME_MAX = 100;

export const ApiKeyCreateSchema = z.object({
  name: z
    .string({ required_error: "validation.keyName.required" })
    .trim()
    .min(1, "validation.keyName.required")
    .max(API_KEY_NAME_MAX, "validation.keyName.tooLong"),
});

export const ErrorResponseSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});

const timestamp = z.string().datetime({ offset: true });

export const ApiKeySchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  /** The key's first characters, to tell keys apart; never enough to use it. */
  prefix: z.string(),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable(),
});

export const ApiKeyCreatedSchema = ApiKeySchema.extend({ key: z.string().startsWith("tvn_") });

const MediaFormatSchema = z.object({
  id: z.string(),
  selector: z.string(),
  kind: z.enum(["video+audio", "video", "audio"]),
  ext: z.string(),
  container: z.string(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  fps: z.number().nullable(),
  vcodec: z.string().nullable(),
  acodec: z.string().nullable(),
  hasVideo: z.boolean(),
  hasAudio: z.boolean(),
  filesize: z.number().nullable(),
  filesizeIsEstimate: z.boolean(),
  bitrateKbps: z.number().nullable(),
  protocol: z.string(),
  delivery: z.enum(["direct", "pipe"]),
  badge: z.string(),
  label: z.string(),
  // A union, not .nullable(): the OpenAPI 3.1 generator would drop null from the enum.
  derived: z.union([z.enum(["best", "audio", "mp3", "m4a", "opus"]), z.null()]),
});

const AnalysisResultSchema = z.object({
  kind: z.enum(["video", "playlist"]),
  id: z.string(),
  title: z.string(),
  uploader: z.string().nullable(),
  durationSeconds: z.number().nullable(),
  thumbnail: z.string().nullable(),
  webpageUrl: z.string(),
  extractor: z.string(),
  formats: z.array(MediaFormatSchema),
  subtitles: z.array(z.object({ lang: z.string(), label: z.string(), ext: z.string() })).optional(),
  /** A playlist's entries, numbered from 1; each is resolved when a ZIP reaches it. */
  entries: z.array(z.object({ index: z.number().int(), title: z.string(), url: z.string(), durationSeconds: z.number().optional() })).optional(),
  /** The format the page offers as the one-click download. */
  recommendedFormatId: z.string().nullable().optional(),
});

const analysisStatus = z.enum(["queued", "active", "completed", "failed"]);

export const AnalysisSchema = z.object({
  requestId: z.string().uuid(),
  url: z.string(),
  status: analysisStatus,
  stage: z.string(),
  progress: z.number(),
  cached: z.boolean(),
  result: AnalysisResultSchema.optional(),
  error: z.object({ code: z.string(), message: z.string() }).passthrough().optional(),
  createdAt: timestamp,
  finishedAt: timestamp.nullable(),
});

export const AnalysisCompletedSchema = AnalysisSchema.extend({ statusUrl: z.string() });

export const AnalysisAcceptedSchema = z.object({ requestId: z.string().uuid(), status: analysisStatus, statusUrl: z.string() });

export const TokenCreatedSchema = z.object({ token: z.string(), tokenId: z.string().uuid(), streamUrl: z.string(), expiresAt: timestamp });

export const TokenListSchema = z.object({
  tokens: z.array(
    z.object({
      tokenId: z.string().uuid(),
      title: z.string(),
      formatId: z.string(),
      ext: z.string(),
      delivery: z.enum(["direct", "pipe"]),
      analysisId: z.string().uuid(),
      expiresAt: timestamp,
      createdAt: timestamp,
      lastUsedAt: timestamp.nullable(),
      refreshCount: z.number().int(),
      streamCount: z.number().int(),
      bytesServed: z.number(),
    }),
  ),
});

const checkStatus = z.enum(["ok", "degraded", "down"]);

export const HealthSchema = z.object({
  status: checkStatus,
  checks: z.record(z.object({ status: checkStatus, latencyMs: z.number().optional(), error: z.string().optional() }).passthrough()),
});

const QueueThroughputSchema = z.object({
  completedPerMinute: z.number(),
  failedPerMinute: z.number(),
  completedLastHour: z.number(),
  failedLastHour: z.number(),
});

export const QueuesSchema = z.object({
  queues: z.array(
    QueueThroughputSchema.extend({
      name: z.string(),
      waiting: z.number().int(),
      active: z.number().int(),
      delayed: z.number().int(),
      completed: z.number().int(),
      failed: z.number().int(),
      paused: z.boolean(),
      workers: z.number().int(),
      oldestWaitingAgeSeconds: z.number().nullable(),
    }),
  ),
});

const percentiles = z.object({ p50: z.number().nullable(), p95: z.number().nullable() });

export const MetricsSchema = z.object({
  generatedAt: timestamp,
  processes: z.array(z.object({ service: z.enum(["web", "worker"]), instance: z.string(), rssBytes: z.number() }).passthrough()),
  streams: z
    .object({
      active: z.number(),
      total: z.number(),
      completed: z.number(),
      failed: z.number(),
      bytesServed: z.number(),
      successRate: z.number().nullable(),
      errorRate: z.number().nullable(),
      errorsByReason: z.record(z.number()),
    })
    .passthrough(),
  analysis: z
    .object({ latencyMs: percentiles, processingMs: percentiles, cache: z.object({ hits: z.number(), misses: z.number(), hitRate: z.number().nullable() }) })
    .passthrough(),
  tokens: z.object({ created: z.number(), refused: z.number(), refusedByReason: z.record(z.number()) }),
  queues: z.record(QueueThroughputSchema.extend({ waiting: z.number(), active: z.number() })),
});

export const StatusSchema = z.object({
  name: z.string(),
  version: z.string(),
  environment: z.string(),
  startedAt: timestamp,
  uptimeSeconds: z.number(),
  node: z.string(),
  ytDlp: z.string().nullable(),
  ffmpeg: z.string().nullable(),
  config: z.record(z.unknown()),
});

export const CleanupSchema = z.object({
  removed: z.object({
    tokens: z.number().int(),
    samples: z.number().int(),
    sessions: z.number().int(),
    /** Finished jobs removed, per queue. */
    jobs: z.record(z.object({ completed: z.number().int(), failed: z.number().int() })),
  }),
});
