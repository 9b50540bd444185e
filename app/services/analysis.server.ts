import { UnrecoverableError, type Job } from "bullmq";
import { and, desc, eq, sql } from "drizzle-orm";
import { db } from "~/db/client.server";
import { analysisRequests, type AnalysisRequest } from "~/db/schema";
import { normaliseInfo, type FormatSource } from "~/lib/formats";
import { normaliseMediaUrl } from "~/lib/media-url";
import { readCachedAnalysis, urlHash, writeCachedAnalysis } from "./analysis-cache.server";
import { ApiError } from "./api.server";
import { logger } from "./logger.server";
import { analysisDuration } from "./process-stats.server";
import { analysisQueue, TIER_PRIORITY, type AnalysisJob, type AnalysisProgress, type AnalysisStage } from "./queues.server";
import { assertPublicUrl, BlockedUrlError } from "./url-guard.server";
import type { PublicUser } from "./users.server";
import { AnalysisError, enrichWithProbe, fetchVideoInfo } from "./ytdlp.server";

/** What clients see of an analysis: never the upstream URLs (sources). */
export type AnalysisView = {
  requestId: string;
  url: string;
  status: AnalysisRequest["status"];
  stage: string;
  progress: number;
  cached: boolean;
  result?: AnalysisRequest["result"];
  error?: AnalysisRequest["error"];
  createdAt: string;
  finishedAt: string | null;
};

export function toView(row: AnalysisRequest): AnalysisView {
  return {
    requestId: row.id,
    url: row.url,
    status: row.status,
    stage: row.stage,
    progress: row.progress,
    cached: row.cached,
    ...(row.result ? { result: row.result } : {}),
    ...(row.error ? { error: row.error } : {}),
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

/**
 * Starts an analysis for a user: checks where the URL points (SSRF guard),
 * answers from the cache when it can, otherwise records the request and
 * queues it for a worker, pro users ahead of free ones.
 */
export async function requestAnalysis({ user, url }: { user: PublicUser; url: string }): Promise<AnalysisView> {
  const normalised = normaliseMediaUrl(url);
  try {
    await assertPublicUrl(normalised);
  } catch (err) {
    if (err instanceof BlockedUrlError) throw new ApiError(422, err.code, err.message);
    throw err;
  }
  const hash = urlHash(normalised);

  const cached = await readCachedAnalysis(hash);
  if (cached) {
    const [row] = await db
      .insert(analysisRequests)
      .values({
        userId: user.id,
        url: normalised,
        urlHash: hash,
        status: "completed",
        stage: "done",
        progress: 100,
        cached: true,
        result: cached.result,
        sources: cached.sources,
        startedAt: new Date(),
        finishedAt: new Date(),
        durationMs: 0,
      })
      .returning();
    return toView(row);
  }

  const [row] = await db.insert(analysisRequests).values({ userId: user.id, url: normalised, urlHash: hash }).returning();
  try {
    await analysisQueue.add(
      "analyze",
      { requestId: row.id, userId: user.id, url: normalised },
      { jobId: row.id, priority: TIER_PRIORITY[user.tier] },
    );
  } catch (err) {
    logger.error({ err: (err as Error).message }, "could not queue an analysis");
    await db
      .update(analysisRequests)
      .set({ status: "failed", stage: "done", error: { code: "queue_unavailable", message: "The analysis queue is unavailable. Please try again." }, finishedAt: new Date() })
      .where(eq(analysisRequests.id, row.id));
    throw new ApiError(503, "queue_unavailable", "The analysis queue is unavailable right now. Please try again shortly.", { "Retry-After": "5" });
  }
  return toView(row);
}

/** Owner-only read: another user's id is indistinguishable from a missing one. */
export async function getAnalysis({ requestId, userId }: { requestId: string; userId: string }) {
  if (!/^[0-9a-f-]{36}$/i.test(requestId)) return null;
  const [row] = await db
    .select()
    .from(analysisRequests)
    .where(and(eq(analysisRequests.id, requestId), eq(analysisRequests.userId, userId)))
    .limit(1);
  return row ?? null;
}

export async function listRecentAnalyses({ userId, limit = 10 }: { userId: string; limit?: number }) {
  return db
    .select({
      requestId: analysisRequests.id,
      url: analysisRequests.url,
      status: analysisRequests.status,
      title: sql<string | null>`${analysisRequests.result} ->> 'title'`,
      thumbnail: sql<string | null>`${analysisRequests.result} ->> 'thumbnail'`,
      // The one-click choice: the best merge when there is one, else the first format.
      quickFormatId: sql<string | null>`coalesce(
        (select f ->> 'id' from jsonb_array_elements(${analysisRequests.result} -> 'formats') f where f ->> 'derived' = 'best' limit 1),
        ${analysisRequests.result} -> 'formats' -> 0 ->> 'id')`,
      createdAt: analysisRequests.createdAt,
    })
    .from(analysisRequests)
    .where(eq(analysisRequests.userId, userId))
    .orderBy(desc(analysisRequests.createdAt))
    .limit(limit);
}

/** The owner of a request, for relaying its events to the right socket room. */
export async function getAnalysisOwnerAndStatus(requestId: string) {
  const [row] = await db
    .select({ userId: analysisRequests.userId, status: analysisRequests.status, stage: analysisRequests.stage, progress: analysisRequests.progress })
    .from(analysisRequests)
    .where(eq(analysisRequests.id, requestId))
    .limit(1);
  return row ?? null;
}

// ---------------------------------------------------------------------------
// Worker side

async function reportStage(job: Job<AnalysisJob>, stage: AnalysisStage, percent: number) {
  const progress: AnalysisProgress = { userId: job.data.userId, stage, percent };
  await Promise.all([
    job.updateProgress(progress),
    db.update(analysisRequests).set({ stage, progress: percent }).where(eq(analysisRequests.id, job.data.requestId)),
  ]);
}

/** Format URLs come from the page, so they get the same SSRF check as the page itself. */
async function dropPrivateSources(sources: Record<string, FormatSource>) {
  const hosts = new Map<string, boolean>();
  for (const { url } of Object.values(sources)) hosts.set(new URL(url).origin, true);
  await Promise.all(
    [...hosts.keys()].map(async (origin) => {
      hosts.set(origin, await assertPublicUrl(origin).then(() => true, () => false));
    }),
  );
  return Object.fromEntries(Object.entries(sources).filter(([, { url }]) => hosts.get(new URL(url).origin)));
}

function isFinalAttempt(job: Job) {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/**
 * The analysis processor: yt-dlp -J, an ffprobe look at formats the page
 * described poorly, normalisation, then the result in Postgres and the cache.
 * Permanent failures (no video, 404, private) are not retried; on the final
 * failure the request is marked failed with a message for people.
 */
export async function processAnalysisJob(job: Job<AnalysisJob>, signal?: AbortSignal) {
  const { requestId, url } = job.data;
  const startedAt = new Date();
  await db
    .update(analysisRequests)
    .set({ status: "active", startedAt, attempts: job.attemptsMade + 1 })
    .where(eq(analysisRequests.id, requestId));
  try {
    await reportStage(job, "fetching", 10);
    await assertPublicUrl(url);
    const info = await fetchVideoInfo(url, { signal });
    await reportStage(job, "probing", 60);
    const enriched = await enrichWithProbe(info, { signal });
    await reportStage(job, "parsing", 85);
    const normalised = normaliseInfo(enriched);
    const sources = await dropPrivateSources(normalised.sources);
    const result = { ...normalised.result, formats: normalised.result.formats.filter((f) => f.derived || sources[f.id]) };
    if (!result.formats.some((f) => !f.derived)) throw new AnalysisError("no_video", "No downloadable video was found at this address.", false);

    const finishedAt = new Date();
    await db
      .update(analysisRequests)
      .set({ status: "completed", stage: "done", progress: 100, result, sources, error: null, finishedAt, durationMs: finishedAt.getTime() - startedAt.getTime() })
      .where(eq(analysisRequests.id, requestId));
    await writeCachedAnalysis(urlHash(url), { result, sources });
    analysisDuration.observe({ outcome: "completed" }, (finishedAt.getTime() - startedAt.getTime()) / 1000);
    await job.updateProgress({ userId: job.data.userId, stage: "done", percent: 100 } satisfies AnalysisProgress);
    return { requestId, formats: result.formats.length };
  } catch (err) {
    const failure =
      err instanceof AnalysisError
        ? err
        : err instanceof BlockedUrlError
          ? new AnalysisError(err.code, err.message, false)
          : new AnalysisError("internal_error", "The analysis failed unexpectedly.", true);
    if (!(err instanceof AnalysisError)) logger.error({ err, requestId }, "analysis failed unexpectedly");
    const final = !failure.retryable || isFinalAttempt(job);
    analysisDuration.observe({ outcome: final ? "failed" : "retried" }, (Date.now() - startedAt.getTime()) / 1000);
    await db
      .update(analysisRequests)
      .set(
        final
          ? { status: "failed", stage: "done", error: { code: failure.code, message: failure.message }, finishedAt: new Date() }
          : { status: "queued", stage: "retrying", error: { code: failure.code, message: failure.message } },
      )
      .where(eq(analysisRequests.id, requestId));
    throw failure.retryable ? failure : new UnrecoverableError(`${failure.code}: ${failure.message}`);
  }
}
