import { createHash } from "node:crypto";
import { config } from "~/config.server";
import type { AnalysisResult, FormatSource } from "~/lib/formats";
import { normaliseMediaUrl } from "~/lib/media-url";
import { logger, redis } from "~/platform/index.server";

export type CachedAnalysis = { result: AnalysisResult; sources: Record<string, FormatSource> };

const COUNTERS = { hits: "analysis:cache:hits", misses: "analysis:cache:misses" } as const;

export function urlHash(url: string) {
  return createHash("sha256").update(normaliseMediaUrl(url)).digest("hex");
}

const keyFor = (hash: string) => `analysis:cache:v1:${hash}`;

/** A cache problem never fails an analysis: it only means going to yt-dlp again. */
export async function readCachedAnalysis(hash: string): Promise<CachedAnalysis | null> {
  if (config.ANALYSIS_CACHE_TTL_SECONDS === 0) return null;
  try {
    const raw = await redis.get(keyFor(hash));
    await redis.incr(raw ? COUNTERS.hits : COUNTERS.misses);
    return raw ? (JSON.parse(raw) as CachedAnalysis) : null;
  } catch (err) {
    logger.warn({ err }, "analysis cache unavailable");
    return null;
  }
}

export async function writeCachedAnalysis(hash: string, value: CachedAnalysis) {
  if (config.ANALYSIS_CACHE_TTL_SECONDS === 0) return;
  try {
    await redis.set(keyFor(hash), JSON.stringify(value), "EX", config.ANALYSIS_CACHE_TTL_SECONDS);
  } catch (err) {
    logger.warn({ err }, "could not cache an analysis");
  }
}

export async function cacheCounters() {
  const [hits, misses] = await redis.mget(COUNTERS.hits, COUNTERS.misses);
  return { hits: Number(hits ?? 0), misses: Number(misses ?? 0) };
}
