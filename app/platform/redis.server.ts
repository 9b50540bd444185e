import { Redis, type RedisOptions } from "ioredis";
import { config } from "~/config.server";
import { logger } from "./logger.server";

function createRedis(name: string, extra: RedisOptions) {
  const client = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { connectionName: name, ...extra })
    : new Redis({
        host: config.REDIS_HOST,
        port: config.REDIS_PORT,
        password: config.REDIS_PASSWORD,
        db: config.REDIS_DB,
        connectionName: name,
        ...extra,
      });
  client.on("error", (err) => logger.warn({ err, redis: name }, "redis error"));
  return client;
}

/**
 * The web process' shared connection for limits, caches and BullMQ producers.
 * Offline queueing is off so a request fails fast while Redis is down instead
 * of hanging until it returns.
 */
export const redis = createRedis("tvn-main", {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  // A Redis that keeps its socket open but does not answer (frozen, overloaded) must not hang requests.
  commandTimeout: 2_000,
});

/** A connection for blocking BullMQ consumers (workers, QueueEvents): they must wait, not fail. */
export function createBlockingRedis(name: string) {
  return createRedis(name, { maxRetriesPerRequest: null, enableOfflineQueue: true });
}

type ScriptArg = string | number;
let scripts = 0;

/**
 * A Lua script on the shared connection, run by its SHA1 (EVALSHA, with ioredis loading it again
 * after a NOSCRIPT, e.g. once Redis restarts): the body is sent once, not on every call, and
 * Redis does not hash it again each time.
 */
export function redisScript<T>(lua: string, numberOfKeys: number) {
  const name = `tvnScript${++scripts}`;
  redis.defineCommand(name, { lua, numberOfKeys });
  const run = (redis as unknown as Record<string, (...args: ScriptArg[]) => Promise<unknown>>)[name].bind(redis);
  return (...args: ScriptArg[]) => run(...args) as Promise<T>;
}

export async function closeRedis() {
  if (redis.status === "end") return;
  await redis.quit().catch((err: unknown) => {
    logger.debug({ err }, "redis quit failed; disconnecting");
    redis.disconnect();
  });
}

/** Resolves once the client is connected; start-up waits on it because commands fail fast while offline. */
export function redisReady(client: Redis = redis, timeoutMs = 15_000) {
  if (client.status === "ready") return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off("ready", onReady);
      reject(new Error(`Redis not reachable within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once("ready", onReady);
  });
}
