import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { logger } from "./logger.server";
import { redis } from "./redis.server";

export type LimitOutcome =
  | { allowed: true; limit: number; remaining: number; resetSeconds: number }
  | { allowed: false; reason: "limited"; limit: number; remaining: 0; resetSeconds: number }
  | { allowed: false; reason: "unavailable" };

export function createLimiter({ prefix, points, durationSeconds }: { prefix: string; points: number; durationSeconds: number }) {
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `rl:${prefix}`,
    points,
    duration: durationSeconds,
    // Fail closed: a limiter whose store is down must refuse, never allow.
    rejectIfRedisNotReady: true,
  });
}

export type Limiter = ReturnType<typeof createLimiter>;

export async function consume(limiter: Limiter, key: string, points = 1): Promise<LimitOutcome> {
  try {
    const res = await limiter.consume(key, points);
    return {
      allowed: true,
      limit: limiter.points,
      remaining: res.remainingPoints,
      resetSeconds: Math.ceil(res.msBeforeNext / 1000),
    };
  } catch (err) {
    if (err instanceof RateLimiterRes) {
      return { allowed: false, reason: "limited", limit: limiter.points, remaining: 0, resetSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) };
    }
    logger.error({ err, limiter: limiter.keyPrefix }, "rate limiter store unavailable");
    return { allowed: false, reason: "unavailable" };
  }
}

/** `Retry-After` plus the IETF draft `RateLimit-*` fields, so clients can back off precisely. */
export function limitHeaders(outcome: LimitOutcome): Record<string, string> {
  if (!outcome.allowed && outcome.reason === "unavailable") return { "Retry-After": "5" };
  const headers: Record<string, string> = {
    "RateLimit-Limit": String(outcome.limit),
    "RateLimit-Remaining": String(outcome.remaining),
    "RateLimit-Reset": String(outcome.resetSeconds),
  };
  if (!outcome.allowed) headers["Retry-After"] = String(outcome.resetSeconds);
  return headers;
}
