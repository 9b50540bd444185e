/**
 * Domain errors. Capabilities throw an AppError (or a subclass of their own)
 * naming what went wrong in domain terms — its `kind` and a stable `code` —
 * and never an HTTP status: the route edge (app/web) maps kinds to statuses
 * in one place.
 */
export type ErrorKind =
  | "invalid"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "unprocessable"
  | "gone"
  | "limited"
  | "client_closed"
  | "upstream"
  | "unavailable"
  | "internal";

export type ErrorDetails = {
  /** Seconds the client should wait before trying again. */
  retryAfterSeconds?: number;
  /** Extra response headers the edge passes on (RateLimit-*, Allow). */
  headers?: Record<string, string>;
  cause?: unknown;
};

export class AppError extends Error {
  readonly headers: Record<string, string>;

  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(message, { cause: details.cause });
    this.name = new.target.name;
    this.headers = { ...details.headers };
    if (details.retryAfterSeconds !== undefined) this.headers["Retry-After"] = String(details.retryAfterSeconds);
  }
}

/** The store behind limits, queues or the database could not answer: a 503 with Retry-After. */
export class UnavailableError extends AppError {
  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super("unavailable", code, message, { retryAfterSeconds: 5, ...details });
  }
}

const OUTAGE_CODES = new Set([
  // Sockets
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  // postgres.js
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  // Postgres: admin shutdown, cannot connect now, too many connections
  "57P01",
  "57P03",
  "53300",
]);

/**
 * Whether an error means Postgres or Redis could not be reached (rather than
 * a bug): such failures are answered 503 with Retry-After, never 500.
 */
export function isOutage(err: unknown): boolean {
  for (let current: unknown = err, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === "string" && OUTAGE_CODES.has(code)) return true;
    if (current.name === "MaxRetriesPerRequestError") return true;
    // ioredis, with its offline queue off or its connection gone.
    if (/enableOfflineQueue|Connection is closed|Stream isn't writeable/.test(current.message)) return true;
  }
  return false;
}
