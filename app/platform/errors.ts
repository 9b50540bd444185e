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
