import type { PublicUser } from "~/accounts/index.server";
import { config } from "~/config.server";
import { AppError, createLimiter, limitHeaders, logger, UnavailableError, type LimitOutcome } from "~/platform/index.server";

/** Download limits kept in Redis: links per hour and the tier's daily quota. */
export const limiters = {
  hourly: createLimiter({ prefix: "tokens-hour", points: config.MAX_TOKENS_PER_HOUR, durationSeconds: 3600 }),
  daily: {
    free: createLimiter({ prefix: "tokens-day-free", points: Math.max(config.FREE_TIER_DAILY, 1), durationSeconds: 86_400 }),
    pro: createLimiter({ prefix: "tokens-day-pro", points: Math.max(config.PRO_TIER_DAILY, 1), durationSeconds: 86_400 }),
    guest: createLimiter({ prefix: "tokens-day-guest", points: Math.max(config.GUEST_DAILY, 1), durationSeconds: 86_400 }),
  },
  /** Guests' quota also counts per client address: a new guest cookie does not buy more downloads. */
  guestAddress: createLimiter({ prefix: "tokens-day-guest-ip", points: Math.max(config.GUEST_DAILY, 1), durationSeconds: 86_400 }),
};

export const dayKey = (userId: string) => `${userId}:${new Date().toISOString().slice(0, 10)}`;
const DAILY: Record<PublicUser["tier"], number> = { free: config.FREE_TIER_DAILY, pro: config.PRO_TIER_DAILY, guest: config.GUEST_DAILY };
export const dailyLimit = (tier: PublicUser["tier"]) => DAILY[tier];

/** What a refused quota says: guests are invited to sign up, with the plans' numbers. */
export function quotaMessage(tier: PublicUser["tier"]) {
  if (tier === "guest") {
    return `Guests can download ${config.GUEST_DAILY} files a day. Sign up free for ${config.FREE_TIER_DAILY} a day (Pro: ${config.PRO_TIER_DAILY}).`;
  }
  return `Your ${tier} plan allows ${dailyLimit(tier)} downloads per day.`;
}

export function refusal(outcome: LimitOutcome, code: string, message: string) {
  if (!outcome.allowed && outcome.reason === "unavailable") {
    return new UnavailableError("service_unavailable", "Download limits cannot be checked right now. Please try again shortly.", {
      headers: limitHeaders(outcome),
    });
  }
  return new AppError("limited", code, message, { headers: limitHeaders(outcome) });
}

/** Today's downloads for the account page: used and left, by tier. */
export async function dailyQuota(user: PublicUser) {
  const limit = dailyLimit(user.tier);
  const res = await limiters.daily[user.tier].get(dayKey(user.id)).catch((err: unknown) => {
    logger.warn({ err }, "could not read a daily quota");
    return null;
  });
  const used = Math.min(limit, res?.consumedPoints ?? 0);
  return { limit, used, left: limit - used };
}
