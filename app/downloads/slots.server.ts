import os from "node:os";
import { config } from "~/config.server";
import { redis, redisScript } from "~/platform/index.server";

/**
 * Concurrent downloads per user: a Redis sorted set of the user's open
 * connections (stream ids `<instance>|<link id>:<uuid>`), scored by when
 * their claim lapses. A running stream renews its claim; one whose process
 * died simply lapses, so a crash never leaks a slot for long. The limit
 * counts *links* with an open connection, not connections: a download
 * manager's parallel Range requests, a player's seek or a resume on one link
 * are one download, up to MAX_CONNECTIONS_PER_LINK connections.
 */
const SLOT_TTL_MS = config.STREAM_SLOT_TTL_SECONDS * 1000;
/** Three renewals per lifetime: a claim survives two missed ones (a busy event loop, a Redis blip). */
export const SLOT_RENEW_MS = SLOT_TTL_MS / 3;

/** The link id inside a stream id (see streamIdFor). */
const LINK_OF = "([%x%-]+):[%x%-]+$";

/**
 * KEYS: the user's set. ARGV: now, lapse, max links, stream id, ttl, link id,
 * max connections per link. 1 claimed; 0 too many links; -1 too many
 * connections on this link.
 */
const CLAIM = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local links, others, mine = {}, 0, 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local link = string.match(member, '${LINK_OF}')
  if link == ARGV[6] then mine = mine + 1
  elseif link and not links[link] then links[link] = true; others = others + 1 end
end
if mine >= tonumber(ARGV[7]) then return -1 end
if mine == 0 and others >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;
const claim = redisScript<number>(CLAIM, 1);

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

/** A connection's stream id: this instance, the link, and a fresh uuid. */
export const streamIdFor = (linkId: string) => `${instanceSlotPrefix}${linkId}:${crypto.randomUUID()}`;

export type SlotClaim = "claimed" | "too_many_streams" | "too_many_connections";

/**
 * `maxConnections`: how many connections the link may hold. Parallel Range
 * requests make sense on a direct file; every connection on a converted
 * (pipe) link would start its own ffmpeg or yt-dlp, so those get one.
 */
export async function claimStreamSlot(userId: string, linkId: string, streamId: string, maxConnections = config.MAX_CONNECTIONS_PER_LINK): Promise<SlotClaim> {
  const now = Date.now();
  const claimed = await claim(keyFor(userId), now, now + SLOT_TTL_MS, config.MAX_CONCURRENT_STREAMS, streamId, SLOT_TTL_MS, linkId, maxConnections);
  return claimed === 1 ? "claimed" : claimed === 0 ? "too_many_streams" : "too_many_connections";
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

/** Downloads (links with an open connection) the user has running. */
export async function activeStreamCount(userId: string) {
  const members = await redis.zrangebyscore(keyFor(userId), Date.now(), "+inf");
  return new Set(members.map((m) => /([\da-f-]+):[\da-f-]+$/.exec(m)?.[1])).size;
}
