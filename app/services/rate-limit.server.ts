import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { config } from "~/config.server";
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

const authWindow = config.AUTH_RATE_LIMIT_WINDOW_SECONDS;

export const authLimiters = {
  perIp: createLimiter({ prefix: "auth-ip", points: config.AUTH_RATE_LIMIT_PER_IP, durationSeconds: authWindow }),
  perEmail: createLimiter({ prefix: "auth-email", points: config.AUTH_RATE_LIMIT_PER_EMAIL, durationSeconds: authWindow }),
};

/** Counts one sign-in or sign-up attempt against both the client IP and the email. */
export async function consumeAuthAttempt({ ip, email }: { ip: string; email: string }) {
  const byIp = await consume(authLimiters.perIp, ip);
  if (!byIp.allowed) return byIp;
  return consume(authLimiters.perEmail, email.trim().toLowerCase());
}

export async function resetEmailAttempts(email: string) {
  await authLimiters.perEmail.delete(email.trim().toLowerCase()).catch(() => {});
}

const apiPerIp = createLimiter({ prefix: "api-ip", points: config.API_RATE_LIMIT_PER_MINUTE, durationSeconds: 60 });

export function consumeApiRequest(ip: string) {
  return consume(apiPerIp, ip);
}
