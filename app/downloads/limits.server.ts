import type { PublicUser } from "~/accounts/index.server";
import { config } from "~/config.server";
import {
  AppError,
  clientNetwork,
  limitHeaders,
  logger,
  redis,
  redisScript,
  spendWindowLua,
  UnavailableError,
  type SharedWindow,
} from "~/platform/index.server";
import { TOKEN_COUNTERS } from "./counters.server";

/**
 * A user's link limits, all in Redis and all checked and taken by one script
 * (one round trip, atomic): active links (a sorted set of link ids scored by
 * expiry; a revoked link leaves it), links per hour and the tier's daily
 * quota (counters with the key names and format rate-limiter-flexible uses,
 * so figures survive the change), and for guests the quota of their client
 * address too (a new guest cookie does not buy more downloads), and a
 * caller's shared window (the API's per-address budget) first. The same
 * script counts the link created or the refusal for monitoring.
 */
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** TAKE's answer when the caller's shared window is spent (not a link refusal: not counted as one). */
const SHARED_REFUSED = "shared_window";

const activeKey = (userId: string) => `rl:tokens-active:${userId}`;
const hourlyKey = (userId: string) => `rl:tokens-hour:${userId}`;
const dayKey = (user: Pick<PublicUser, "id" | "tier">) => `rl:tokens-day-${user.tier}:${user.id}:${today()}`;
const today = () => new Date().toISOString().slice(0, 10);
const addressKey = (ip: string) => `rl:tokens-day-guest-ip:${clientNetwork(ip)}:${today()}`;
const keysFor = (user: Pick<PublicUser, "id" | "tier">, ip: string) => [activeKey(user.id), hourlyKey(user.id), dayKey(user), TOKEN_COUNTERS, addressKey(ip)];

const DAILY: Record<PublicUser["tier"], number> = { free: config.FREE_TIER_DAILY, pro: config.PRO_TIER_DAILY, guest: config.GUEST_DAILY };
export const dailyLimit = (tier: PublicUser["tier"]) => DAILY[tier];
/** The address quota applies to guests only (-1: not checked). */
const addressLimit = (tier: PublicUser["tier"]) => (tier === "guest" ? config.GUEST_DAILY : -1);

/** What a refused quota says: guests are invited to sign up, with the plans' numbers. */
function quotaMessage(tier: PublicUser["tier"]) {
  if (tier === "guest") {
    return `Guests can download ${config.GUEST_DAILY} files a day. Sign up free for ${config.FREE_TIER_DAILY} a day (Pro: ${config.PRO_TIER_DAILY}).`;
  }
  return `Your ${tier} plan allows ${dailyLimit(tier)} downloads per day.`;
}

/**
 * KEYS: active set, hourly count, daily count, counters, the address' daily count, a shared window.
 * ARGV: now, max active, per hour, per day, link id, its expiry, lifetime, per address per day (-1: none), the quota's refusal code,
 * the downloads the link counts for (a playlist ZIP: one per entry), the shared window's points (-1: none) and seconds.
 */
const TAKE = `
local now = tonumber(ARGV[1])
local shared = tonumber(ARGV[11])
if shared >= 0 then
  ${spendWindowLua("KEYS[6]", "ARGV[12]")}
  if spent > shared then return {'${SHARED_REFUSED}', shared, spentMs} end
end
local function refuse(code, limit, ms)
  redis.call('HINCRBY', KEYS[4], 'refused', 1)
  redis.call('HINCRBY', KEYS[4], 'refused:' .. code, 1)
  return {code, limit, ms}
end
local function used(key) return tonumber(redis.call('GET', key) or '0') end
local function lapse(key, fallback)
  local ms = redis.call('PTTL', key)
  if ms > 0 then return ms end
  return fallback
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return refuse('too_many_active_tokens', tonumber(ARGV[2]), tonumber(first[2]) - now)
end
if used(KEYS[2]) >= tonumber(ARGV[3]) then return refuse('hourly_limit', tonumber(ARGV[3]), lapse(KEYS[2], ${HOUR_MS})) end
local downloads = tonumber(ARGV[10])
if used(KEYS[3]) + downloads > tonumber(ARGV[4]) then return refuse(ARGV[9], tonumber(ARGV[4]), lapse(KEYS[3], ${DAY_MS})) end
local perAddress = tonumber(ARGV[8])
if perAddress >= 0 and used(KEYS[5]) + downloads > perAddress then return refuse(ARGV[9], perAddress, lapse(KEYS[5], ${DAY_MS})) end
redis.call('ZADD', KEYS[1], ARGV[6], ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
if redis.call('INCR', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ${HOUR_MS}) end
if redis.call('INCRBY', KEYS[3], downloads) == downloads then redis.call('PEXPIRE', KEYS[3], ${DAY_MS}) end
if perAddress >= 0 and redis.call('INCRBY', KEYS[5], downloads) == downloads then redis.call('PEXPIRE', KEYS[5], ${DAY_MS}) end
redis.call('HINCRBY', KEYS[4], 'created', 1)
return {'', 0, 0}`;
const take = redisScript<[string, number, number]>(TAKE, 6);

/** The exact opposite of a successful TAKE, for a link that could not be stored after all. ARGV: link id, whether the address counted ('1'), its downloads. */
const GIVE_BACK = `
redis.call('ZREM', KEYS[1], ARGV[1])
local function giveBack(key, n) redis.call('DECRBY', key, math.min(n, tonumber(redis.call('GET', key) or '0'))) end
giveBack(KEYS[2], 1)
giveBack(KEYS[3], tonumber(ARGV[3]))
if ARGV[2] == '1' then giveBack(KEYS[5], tonumber(ARGV[3])) end
redis.call('HINCRBY', KEYS[4], 'created', -1)
return 1`;
const giveBack = redisScript<number>(GIVE_BACK, 5);

const MESSAGES: Record<string, (user: PublicUser) => string> = {
  too_many_active_tokens: () => `You already have ${config.MAX_TOKENS_PER_USER} active download links. Revoke one or wait for it to expire.`,
  hourly_limit: () => `You can create ${config.MAX_TOKENS_PER_HOUR} download links per hour.`,
  daily_quota_exceeded: (user) => quotaMessage(user.tier),
  guest_quota_exceeded: (user) => quotaMessage(user.tier),
};

const unavailable = (cause: unknown) =>
  new UnavailableError("service_unavailable", "Download limits cannot be checked right now. Please try again shortly.", {
    headers: { "Retry-After": "5" },
    cause,
  });

/**
 * Takes one place under every link limit for `link`, or throws the first
 * limit it would break (`limited`, with RateLimit-* and Retry-After) without
 * taking anything; Redis down is `unavailable` (fail closed).
 */
export async function takeLinkPlace(user: PublicUser, ip: string, link: { id: string; expiresAt: Date }, downloads = 1, shared?: SharedWindow) {
  const now = Date.now();
  const lifetime = link.expiresAt.getTime() - now;
  const [code, limit, ms] = await take(
    ...keysFor(user, ip),
    shared?.key ?? "rl:no-shared-window",
    now,
    config.MAX_TOKENS_PER_USER,
    config.MAX_TOKENS_PER_HOUR,
    dailyLimit(user.tier),
    link.id,
    link.expiresAt.getTime(),
    lifetime,
    addressLimit(user.tier),
    user.tier === "guest" ? "guest_quota_exceeded" : "daily_quota_exceeded",
    downloads,
    shared?.points ?? -1,
    shared?.seconds ?? 0,
  ).catch((err: unknown) => {
    throw unavailable(err);
  });
  if (shared) shared.spent = true;
  if (!code) return;
  const resetSeconds = Math.max(1, Math.ceil(ms / 1000));
  if (code === SHARED_REFUSED && shared) throw shared.refusal({ limit, resetSeconds });
  throw new AppError("limited", code, MESSAGES[code](user), {
    retryAfterSeconds: resetSeconds,
    headers: limitHeaders({ allowed: false, reason: "limited", limit, remaining: 0, resetSeconds }),
  });
}

/** Gives back what takeLinkPlace took, when the link was not stored after all. */
export async function giveBackLinkPlace(user: PublicUser, ip: string, linkId: string, downloads = 1) {
  await giveBack(...keysFor(user, ip), linkId, user.tier === "guest" ? "1" : "0", downloads).catch((err: unknown) =>
    logger.warn({ err }, "could not give back a link's place under the limits"),
  );
}

/** A link stopped counting as active (revoked, or replaced by its refresh). */
export async function releaseLinkPlace(userId: string, linkId: string, replacement?: { id: string; expiresAt: Date }) {
  const key = activeKey(userId);
  const multi = redis.multi().zrem(key, linkId);
  if (replacement) multi.zadd(key, replacement.expiresAt.getTime(), replacement.id).pexpireat(key, replacement.expiresAt.getTime());
  await multi.exec().catch((err: unknown) => logger.warn({ err }, "could not update a user's active links"));
}

/** Today's downloads for the account page: used and left, by tier. */
export async function dailyQuota(user: PublicUser) {
  const limit = dailyLimit(user.tier);
  const counted = await redis.get(dayKey(user)).catch((err: unknown) => {
    logger.warn({ err }, "could not read a daily quota");
    return null;
  });
  const used = Math.min(limit, Number(counted ?? 0));
  return { limit, used, left: limit - used };
}
