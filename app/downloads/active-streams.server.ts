import type { ActiveStream } from "~/lib/monitoring";
import { logger, redis, redisScript } from "~/platform/index.server";

/**
 * Downloads running right now, across every web process, for the dashboard:
 * a hash of their details and a sorted set of when each entry lapses. A
 * stream refreshes its entry as it reports progress and while it renews its
 * slot, so one whose process died drops out by itself.
 */
const DETAILS = "monitoring:streams";
const LAPSES = "monitoring:streams:lapse";
const LAPSE_MS = 60_000;

export type ActiveStreamEntry = Omit<ActiveStream, "email">;

async function write(entry: ActiveStreamEntry) {
  await redis
    .multi()
    .hset(DETAILS, entry.streamId, JSON.stringify(entry))
    .zadd(LAPSES, Date.now() + LAPSE_MS, entry.streamId)
    .exec();
}

/** Best effort: the dashboard may miss a stream, the download never fails for it. */
export function trackActiveStream(entry: ActiveStreamEntry) {
  return write(entry).catch((err: unknown) => logger.debug({ err }, "could not track a stream"));
}

export function untrackActiveStream(streamId: string) {
  return redis
    .multi()
    .hdel(DETAILS, streamId)
    .zrem(LAPSES, streamId)
    .exec()
    .catch((err: unknown) => logger.debug({ err }, "could not untrack a stream"));
}

const SWEEP = `
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #lapsed > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
  redis.call('HDEL', KEYS[2], unpack(lapsed))
end
return redis.call('HVALS', KEYS[2])`;
const sweep = redisScript<string[]>(SWEEP, 2);

export async function listActiveStreams(): Promise<ActiveStreamEntry[]> {
  const values = await sweep(LAPSES, DETAILS, Date.now());
  return values.map((v) => JSON.parse(v) as ActiveStreamEntry).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/** At start-up: the dashboard entries a crashed previous life of this instance left (ids with its prefix). */
export async function clearOwnStaleEntries(prefix: string): Promise<number> {
  const ids = (await redis.hkeys(DETAILS)).filter((id) => id.startsWith(prefix));
  if (!ids.length) return 0;
  await redis
    .multi()
    .hdel(DETAILS, ...ids)
    .zrem(LAPSES, ...ids)
    .exec();
  return ids.length;
}
