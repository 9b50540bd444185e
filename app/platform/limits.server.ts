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

/**
 * A limiter's window for one key, for a route that takes it inside its own Lua script (one round
 * trip for all its limits) instead of through `consume`: the same key, points and duration, spent
 * with rate-limiter-flexible's semantics (spendWindowLua). `spent` says whether the script ran.
 */
export type SharedWindow = {
  key: string;
  points: number;
  seconds: number;
  spent: boolean;
  /** What to throw when the script finds the window spent. */
  refusal: (outcome: { limit: number; resetSeconds: number }) => Error;
};

export const windowOf = (limiter: Limiter, key: string) => ({ key: limiter.getKey(key), points: limiter.points, seconds: limiter.duration });

/**
 * Lua that spends one point of the fixed window in `key` (expiring after `seconds`), as
 * rate-limiter-flexible does: every request spends, refused or not; the window starts at the
 * first. Leaves `spent` (points spent in the window) and `spentMs` (the window's time left).
 */
export const spendWindowLua = (key: string, seconds: string) => `
redis.call('SET', ${key}, 0, 'EX', ${seconds}, 'NX')
local spent = redis.call('INCR', ${key})
local spentMs = redis.call('PTTL', ${key})
if spentMs == -1 then
  redis.call('EXPIRE', ${key}, ${seconds})
  spentMs = 1000 * tonumber(${seconds})
end`;

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
