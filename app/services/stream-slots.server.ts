import { config } from "~/config.server";
import { redis } from "./redis.server";

/**
 * Concurrent-stream slots per user: a Redis sorted set of stream ids scored
 * by when their claim lapses. A running stream renews its claim; one whose
 * process died simply lapses, so a crash never leaks a slot for long.
 */
const SLOT_TTL_MS = 60_000;
export const SLOT_RENEW_MS = 20_000;

const CLAIM = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

const keyFor = (userId: string) => `streams:slots:${userId}`;

export async function claimStreamSlot(userId: string, streamId: string): Promise<boolean> {
  const now = Date.now();
  const claimed = await redis.eval(CLAIM, 1, keyFor(userId), now, now + SLOT_TTL_MS, config.MAX_CONCURRENT_STREAMS, streamId, SLOT_TTL_MS);
  return claimed === 1;
}

export async function renewStreamSlot(userId: string, streamId: string) {
  await redis.zadd(keyFor(userId), "XX", Date.now() + SLOT_TTL_MS, streamId);
}

export async function releaseStreamSlot(userId: string, streamId: string) {
  await redis.zrem(keyFor(userId), streamId);
}

export async function activeStreamCount(userId: string) {
  return redis.zcount(keyFor(userId), Date.now(), "+inf");
}
