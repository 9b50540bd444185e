import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { DEFAULT_YTDLP_RELEASE_URL } from "./analysis/ytdlp-release.server";
import { parseEgressAllow } from "./egress/policy";

/**
 * The one place environment variables are read. Every process (web, worker,
 * scripts) parses them once through this schema; everything else imports the
 * parsed `config` object.
 */

const DEV_SECRET = "dev-only-secret-change-me";

const flag = z
  .enum(["true", "false", "1", "0"])
  .default("false")
  .transform((v) => v === "true" || v === "1");

const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(fallback);

const secretList = z
  .string()
  .min(1)
  .transform((v) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().min(16, "each secret needs at least 16 characters")).min(1));

const schema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: int(3000, 0, 65535),
    HOST: z.string().default("0.0.0.0"),
    /** This web instance's stable name (default: host name and port), for its own bookkeeping across restarts. */
    INSTANCE_NAME: z.string().min(1).max(100).optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    TRUST_PROXY: z.string().default("false"),
    PUBLIC_URL: z.string().url().optional(),

    DATABASE_URL: z.string().url(),
    /**
     * Connections per process. Few beat many: queries waiting for a busy connection go out
     * together in one write (postgres.js pipelines them), and the database runs about as many
     * backends as it has cores to run them (bench/link-creation.ts: link creation 0.35× → 0.45×
     * static going from 10 to 4 on two cores; docs/decisions/019-throughput.md). At most 10 by
     * default, the former fixed value: web and worker processes (compose scales both) share the
     * database's max_connections (100 unless raised), and Node 20 counts a host's cores, not a
     * container's quota.
     */
    DATABASE_POOL_MAX: int(Math.min(10, Math.max(4, 2 * os.availableParallelism())), 1, 200),

    REDIS_URL: z.string().url().optional(),
    REDIS_HOST: z.string().default("127.0.0.1"),
    REDIS_PORT: int(6379, 1, 65535),
    REDIS_PASSWORD: z.string().optional(),
    REDIS_DB: int(0, 0, 15),

    SESSION_SECRET: secretList.default(DEV_SECRET),
    SESSION_MAX_AGE_DAYS: int(30, 1, 365),
    COOKIE_SECURE: z.enum(["auto", "true", "false"]).default("auto"),
    STREAM_TOKEN_SECRET: secretList.default(DEV_SECRET),
    ADMIN_EMAILS: z
      .string()
      .default("")
      .transform((v) =>
        v
          .split(",")
          .map((s) => s.trim().toLowerCase())
          .filter(Boolean),
      ),

    AUTH_RATE_LIMIT_PER_IP: int(30, 1),
    /** Attempts per client address + account in the window. */
    AUTH_RATE_LIMIT_PER_EMAIL: int(10, 1),
    /** Failed sign-ins on one account (from any address) before each attempt on it is slowed down. */
    AUTH_ACCOUNT_FAILURES_BEFORE_SLOWDOWN: int(50, 1),
    AUTH_RATE_LIMIT_WINDOW_SECONDS: int(900, 1),

    STREAM_TOKEN_EXPIRES_MINUTES: int(30, 1, 24 * 60),
    /** Downloads (links) a user may have running at once; parallel connections on one link count once. */
    MAX_CONCURRENT_STREAMS: int(3, 1),
    /** Connections one link may have open at once (a download manager's parallel Range requests, a player's seeks). */
    MAX_CONNECTIONS_PER_LINK: int(8, 1, 64),
    /** A stream's claim on its slot lapses this long after its process stops renewing it (a crash). */
    STREAM_SLOT_TTL_SECONDS: int(60, 1, 3600),
    MAX_TOKENS_PER_USER: int(5, 1),
    MAX_TOKENS_PER_HOUR: int(20, 1),
    /** API keys one user may hold at once. */
    MAX_API_KEYS_PER_USER: int(10, 1, 1000),
    STREAM_BUFFER_SIZE: int(65536, 1024, 64 * 1024 * 1024),
    /**
     * "nginx": direct-path downloads are checked here (token, limits, egress) and then handed to
     * the nginx front with X-Accel-Redirect (scripts/nginx-front.sh, docs/deploy/nginx-offload.conf),
     * which moves the bytes; live byte progress is then unknown. Only behind that front.
     */
    STREAM_OFFLOAD: z.enum(["off", "nginx"]).default("off"),
    STREAM_TOKEN_BIND_IP: flag,
    STREAM_TOKEN_BIND_UA: flag,
    MAX_TOKEN_REFRESHES: int(3, 0, 100),
    STREAM_RETRIES: int(2, 0, 10),
    /** On SIGTERM, running downloads get this long to finish before they are cut (outcome "interrupted"). */
    SHUTDOWN_GRACE_SECONDS: int(30, 0, 3600),
    /** A source that sends nothing this long while the client waits for bytes ends the download. */
    STREAM_STALL_SECONDS: int(30, 2, 3600),
    /** Request bodies are refused with 413 past these sizes, before they are parsed. */
    JSON_BODY_LIMIT_BYTES: int(64 * 1024, 1024, 16 * 1024 * 1024),
    FORM_BODY_LIMIT_BYTES: int(32 * 1024, 1024, 16 * 1024 * 1024),
    /** Queued or running analyses one user may have at once. */
    MAX_PENDING_ANALYSES: int(3, 1, 100),
    /** A playlist's analysis lists at most this many entries; a ZIP holds at most these. */
    MAX_PLAYLIST_ENTRIES: int(50, 1, 500),
    /** Per client IP, on every /api/streaming/* request. */
    API_RATE_LIMIT_PER_MINUTE: int(300, 1),
    FREE_TIER_DAILY: int(10, 0),
    /** Downloads a day for visitors without an account, per client address; 0 turns guest use off. */
    GUEST_DAILY: int(3, 0),
    /** Guest accounts one client address may start per hour (each first visit that analyses starts one). */
    GUEST_STARTS_PER_HOUR: int(20, 1),
    /** Guest accounts (and what they analysed) are removed this long after they were made. */
    GUEST_RETENTION_DAYS: int(7, 1, 365),
    PRO_TIER_DAILY: int(100, 0),
    METRICS_RETENTION_HOURS: int(24, 1),
    /** Bearer token for /api/monitoring/* and /metrics without an admin session (Prometheus scrapers). */
    METRICS_TOKEN: z.string().min(16, "needs at least 16 characters").optional(),
    /** How often the workers record a performance sample for the dashboard's charts. */
    METRICS_SAMPLE_SECONDS: int(5, 1, 3600),
    /** Expired or revoked download tokens are kept this long (audit, the user's list) before removal. */
    TOKEN_CLEANUP_GRACE_HOURS: int(24, 0, 24 * 365),
    /** Each health probe gives up after this long, so a hung dependency reads "down", not a hang. */
    HEALTH_PROBE_TIMEOUT_MS: int(1000, 50, 30_000),
    /** Alerts: any process above this resident memory… */
    MEMORY_WARN_MB: int(1024, 16),
    /** …more than this share of downloads failing over the last ALERT_WINDOW_MINUTES (at least 5 downloads)… */
    ERROR_RATE_WARN: z.coerce.number().min(0).max(1).default(0.25),
    /** …or more analyses than this waiting in the queue. */
    QUEUE_BACKLOG_WARN: int(100, 1),
    ALERT_WINDOW_MINUTES: int(5, 1, 24 * 60),
    /** Event-loop lag above this makes health "degraded". */
    EVENT_LOOP_LAG_WARN_MS: int(200, 1),
    /** Optional: alerts (firing and resolved) are POSTed here as JSON. */
    ALERT_WEBHOOK_URL: z.string().url().optional(),

    /** Local state (embedded Postgres/Redis, secrets, the yt-dlp the updater installs in bin/), relative to the working directory. */
    TVN_DATA_DIR: z
      .string()
      .default(".data")
      .transform((v) => path.resolve(v)),
    /** Unset: the release `npm run ytdlp:update` installed under TVN_DATA_DIR/bin, else yt-dlp on PATH. */
    YTDLP_PATH: z.string().optional(),
    /** A yt-dlp release older than this makes health degraded and raises an alert. */
    YTDLP_MAX_AGE_DAYS: int(90, 1, 3650),
    /** Where `npm run ytdlp:update` finds `yt-dlp` and `SHA2-256SUMS` (https). */
    YTDLP_RELEASE_URL: z.string().url().default(DEFAULT_YTDLP_RELEASE_URL),
    /** `daily`: one worker installs the newest yt-dlp release once a day. */
    YTDLP_AUTO_UPDATE: z.enum(["off", "daily"]).default("off"),
    FFMPEG_PATH: z.string().default("ffmpeg"),
    FFPROBE_PATH: z.string().default("ffprobe"),

    /** Blanket switch for trusted intranets: every private address may be fetched. */
    ALLOW_PRIVATE_NETWORKS: flag,
    /** Private targets allowed anyway: comma-separated host:port, ip:port or CIDR entries. */
    EGRESS_ALLOW: z
      .string()
      .default("")
      .transform((value, ctx) => {
        try {
          return parseEgressAllow(value);
        } catch (err) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: err instanceof Error ? err.message : String(err) });
          return z.NEVER;
        }
      }),
    ANALYSIS_CONCURRENCY: int(2, 1, 64),
    ANALYSIS_TIMEOUT_SECONDS: int(60, 1, 3600),
    ANALYSIS_ATTEMPTS: int(3, 1, 10),
    ANALYSIS_CACHE_TTL_SECONDS: int(3600, 0),
    /** How long a worker's lock on a job lasts: a killed worker's job is taken over after about this long. */
    JOB_LOCK_SECONDS: int(30, 2, 600),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== "production") return;
    for (const key of ["SESSION_SECRET", "STREAM_TOKEN_SECRET"] as const) {
      if (env[key].includes(DEV_SECRET)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [key],
          message: "must be set to a random value in production (openssl rand -hex 32)",
        });
      }
    }
  });

export type Config = z.infer<typeof schema> & { trustProxy: boolean | number | string };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Express' `trust proxy` accepts a boolean, a hop count or a list of subnets. */
function parseTrustProxy(value: string): boolean | number | string {
  if (value === "true") return true;
  if (value === "false" || value === "") return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join(".") || "(env)"}: ${issue.message}`));
  }
  return { ...result.data, trustProxy: parseTrustProxy(result.data.TRUST_PROXY) };
}

export const config: Config = parseConfig();

export const isProduction = config.NODE_ENV === "production";

const SECRETS = new Set(["SESSION_SECRET", "STREAM_TOKEN_SECRET", "REDIS_PASSWORD", "METRICS_TOKEN"]);

/** A URL with its password (and, for webhooks, its path, which often is the secret) hidden. */
function redactUrl(value: string, keepPath: boolean) {
  const url = new URL(value);
  if (url.password) url.password = "redacted";
  return keepPath ? url.toString() : `${url.origin}/…`;
}

/** The effective configuration for operators: every value but the secrets. */
export function publicConfig(c: Config): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(c).map(([key, value]) => {
      if (value === undefined) return [key, null];
      if (SECRETS.has(key)) return [key, "[redacted]"];
      if (typeof value === "string" && (key === "DATABASE_URL" || key === "REDIS_URL")) return [key, redactUrl(value, true)];
      if (typeof value === "string" && key === "ALERT_WEBHOOK_URL") return [key, redactUrl(value, false)];
      return [key, value];
    }),
  );
}
