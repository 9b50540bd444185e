import type { RecentFailure } from "~/lib/monitoring";
import type { StreamOutcome } from "~/lib/socket-events";
import { logger, redis } from "~/platform/index.server";

/**
 * Platform-wide counters in Redis, so every web and worker process adds to
 * the same figures (monitoring reads them). Counting never fails a request.
 */
const STREAMS = "metrics:streams";
/** Links created and refused: counted by the link-limit script itself (limits.server.ts). */
export const TOKEN_COUNTERS = "metrics:tokens";

async function count(build: (multi: ReturnType<typeof redis.multi>) => void) {
  try {
    const multi = redis.multi();
    build(multi);
    await multi.exec();
  } catch (err) {
    logger.debug({ err }, "could not count");
  }
}

const FAILURES = "monitoring:failures";
const FAILURES_KEPT = 20;

/** A download's end; a failed one is also remembered among the recent failures the dashboard lists. */
export function countStream({ outcome, reason, bytes, title }: { outcome: StreamOutcome; reason?: string; bytes: number; title?: string }) {
  return count((multi) => {
    multi.hincrby(STREAMS, outcome, 1).hincrby(STREAMS, "bytes", bytes);
    if (reason) multi.hincrby(STREAMS, `error:${reason}`, 1);
    if (outcome === "failed") {
      const failure: RecentFailure = {
        kind: "stream",
        at: new Date().toISOString(),
        code: reason ?? "unknown",
        message: `Download failed after ${bytes} bytes`,
        subject: title ?? "",
      };
      multi.lpush(FAILURES, JSON.stringify(failure)).ltrim(FAILURES, 0, FAILURES_KEPT - 1);
    }
  });
}

export async function recentStreamFailures(): Promise<RecentFailure[]> {
  return (await redis.lrange(FAILURES, 0, FAILURES_KEPT - 1)).map((v) => JSON.parse(v) as RecentFailure);
}

async function readCounters(key: string): Promise<Record<string, number>> {
  const raw = await redis.hgetall(key);
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
}

export const streamCounters = () => readCounters(STREAMS);
export const tokenCounters = () => readCounters(TOKEN_COUNTERS);

/** `{ "error:x": 2, "bytes": 9 }` with prefix "error:" → `{ x: 2 }`. */
export function byPrefix(counters: Record<string, number>, prefix: string) {
  return Object.fromEntries(Object.entries(counters).flatMap(([k, v]) => (k.startsWith(prefix) ? [[k.slice(prefix.length), v]] : [])));
}
