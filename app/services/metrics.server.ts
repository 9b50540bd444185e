import { logger } from "./logger.server";
import { redis } from "./redis.server";

/**
 * Platform-wide counters in Redis, so every web and worker process adds to
 * the same figures (monitoring reads them). Counting never fails a request.
 */
const STREAMS = "metrics:streams";

export async function countStream({ outcome, reason, bytes }: { outcome: "completed" | "aborted" | "failed"; reason?: string; bytes: number }) {
  try {
    const multi = redis.multi().hincrby(STREAMS, outcome, 1).hincrby(STREAMS, "bytes", bytes);
    if (reason) multi.hincrby(STREAMS, `error:${reason}`, 1);
    await multi.exec();
  } catch (err) {
    logger.debug({ err: (err as Error).message }, "could not count a stream");
  }
}

export async function streamCounters(): Promise<Record<string, number>> {
  const raw = await redis.hgetall(STREAMS);
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
}
