import os from "node:os";
import { config } from "~/config.server";
import { redis } from "~/platform/index.server";

/**
 * Concurrent-stream slots per user: a Redis sorted set of stream ids scored
 * by when their claim lapses. A running stream renews its claim; one whose
 * process died simply lapses, so a crash never leaks a slot for long.
 */
const SLOT_TTL_MS = config.STREAM_SLOT_TTL_SECONDS * 1000;
/** Three renewals per lifetime: a claim survives two missed ones (a busy event loop, a Redis blip). */
export const SLOT_RENEW_MS = SLOT_TTL_MS / 3;

const CLAIM = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

const SLOTS = "streams:slots:";
const keyFor = (userId: string) => `${SLOTS}${userId}`;

/**
 * Slot members start with this web instance's name (INSTANCE_NAME, else host
 * and port: stable across restarts), so a restarted instance can clear what a
 * crash of its previous life left behind.
 */
export const instanceSlotPrefix = `${config.INSTANCE_NAME ?? `${os.hostname()}:${config.PORT}`}|`;

/** At start-up: this instance's slots from before a crash or kill, which no running stream renews any more. */
export async function clearOwnStaleSlots(): Promise<number> {
  let cleared = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${SLOTS}*`, "COUNT", 200);
    cursor = next;
    for (const key of keys) {
      const members = (await redis.zrange(key, "0", "-1")).filter((m) => m.startsWith(instanceSlotPrefix));
      if (members.length) cleared += await redis.zrem(key, ...members);
    }
  } while (cursor !== "0");
  return cleared;
}

export async function claimStreamSlot(userId: string, streamId: string): Promise<boolean> {
  const now = Date.now();
  const claimed = await redis.eval(CLAIM, 1, keyFor(userId), now, now + SLOT_TTL_MS, config.MAX_CONCURRENT_STREAMS, streamId, SLOT_TTL_MS);
  return claimed === 1;
}

/** Renews the stream's claim and the set's own expiry, so the limit holds for hours-long downloads. */
export async function renewStreamSlot(userId: string, streamId: string) {
  await redis
    .multi()
    .zadd(keyFor(userId), "XX", Date.now() + SLOT_TTL_MS, streamId)
    .pexpire(keyFor(userId), SLOT_TTL_MS)
    .exec();
}

export async function releaseStreamSlot(userId: string, streamId: string) {
  await redis.zrem(keyFor(userId), streamId);
}

export async function activeStreamCount(userId: string) {
  return redis.zcount(keyFor(userId), Date.now(), "+inf");
}
