import { and, desc, eq, gt, inArray, sql } from "drizzle-orm";
import { config } from "~/config.server";
import type { PublicUser } from "~/accounts/index.server";
import { db } from "~/db/client.server";
import { assertEgressAllowed, EgressBlockedError, UnresolvableHostError } from "~/egress/index.server";
import { recommendedFormat, type FormatSource, type MediaFormat } from "~/lib/formats";
import { normaliseMediaUrl } from "~/lib/media-url";
import { AppError, logger, UnavailableError } from "~/platform/index.server";
import { readCachedAnalysis, urlHash } from "./cache.server";
import { analysisQueue, TIER_PRIORITY } from "./queue.server";
import { analysisRequests, type AnalysisRequest } from "./tables";

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
    ...(row.result ? { result: { ...row.result, recommendedFormatId: recommendedFormat(row.result.formats)?.id ?? null } } : {}),
    ...(row.error ? { error: row.error } : {}),
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

/**
 * Starts an analysis for a user: checks where the URL points (SSRF guard),
 * answers from the cache when it can, otherwise records the request and
 * queues it for a worker. The same URL asked again while it is pending gets
 * the same request; at most MAX_PENDING_ANALYSES wait per user; and each
 * user's later jobs queue behind others' earlier ones (pro ahead of free),
 * so one heavy user cannot hold the workers (ADR 008).
 */
export async function requestAnalysis({ user, url }: { user: PublicUser; url: string }): Promise<AnalysisView> {
  const normalised = normaliseMediaUrl(url);
  try {
    await assertEgressAllowed(normalised);
  } catch (err) {
    if (err instanceof EgressBlockedError || err instanceof UnresolvableHostError) throw new AppError("unprocessable", err.code, err.message, { cause: err });
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

  const claim = await claimPendingPlace(user.id, hash, normalised);
  if (!claim.created) return toView(claim.row);
  const { row, pendingBefore } = claim;
  try {
    await analysisQueue.add(
      "analyze",
      { requestId: row.id, userId: user.id, url: normalised },
      { jobId: row.id, priority: TIER_PRIORITY[user.tier] + pendingBefore },
    );
  } catch (err) {
    logger.error({ err }, "could not queue an analysis");
    await db
      .update(analysisRequests)
      .set({
        status: "failed",
        stage: "done",
        error: { code: "queue_unavailable", message: "The analysis queue is unavailable. Please try again." },
        finishedAt: new Date(),
      })
      .where(eq(analysisRequests.id, row.id));
    throw new UnavailableError("queue_unavailable", "The analysis queue is unavailable right now. Please try again shortly.", { cause: err });
  }
  return toView(row);
}

type PendingClaim = { created: false; row: AnalysisRequest } | { created: true; row: AnalysisRequest; pendingBefore: number };

/** The pending request for this URL, or a new one within the user's cap: checked and recorded in one step. */
async function claimPendingPlace(userId: string, hash: string, url: string): Promise<PendingClaim> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${"analysis:" + userId}, 0))`);
    const pending = await tx
      .select()
      .from(analysisRequests)
      .where(and(eq(analysisRequests.userId, userId), inArray(analysisRequests.status, ["queued", "active"])))
      .limit(config.MAX_PENDING_ANALYSES + 1);
    const same = pending.find((p) => p.urlHash === hash);
    if (same) return { created: false, row: same };
    if (pending.length >= config.MAX_PENDING_ANALYSES) {
      throw new AppError("limited", "too_many_analyses", `You already have ${config.MAX_PENDING_ANALYSES} analyses waiting. Wait for one to finish.`, {
        retryAfterSeconds: 10,
      });
    }
    const [row] = await tx.insert(analysisRequests).values({ userId, url, urlHash: hash }).returning();
    return { created: true, row, pendingBefore: pending.length };
  });
}

/** One user's analysis by id (the analysis page, every link created): its SQL built once. */
const ownAnalysis = db
  .select()
  .from(analysisRequests)
  .where(and(eq(analysisRequests.id, sql.placeholder("requestId")), eq(analysisRequests.userId, sql.placeholder("userId"))))
  .limit(1)
  .prepare("own_analysis");

/** Owner-only read: another user's id is indistinguishable from a missing one. */
export async function getAnalysis({ requestId, userId }: { requestId: string; userId: string }) {
  if (!/^[0-9a-f-]{36}$/i.test(requestId)) return null;
  const [row] = await ownAnalysis.execute({ requestId, userId });
  return row ?? null;
}

export async function listRecentAnalyses({ userId, limit = 10 }: { userId: string; limit?: number }) {
  const rows = await db
    .select({
      requestId: analysisRequests.id,
      url: analysisRequests.url,
      status: analysisRequests.status,
      title: sql<string | null>`${analysisRequests.result} ->> 'title'`,
      hasThumbnail: sql<boolean>`${analysisRequests.result} ->> 'thumbnail' is not null`,
      formats: sql<MediaFormat[] | null>`${analysisRequests.result} -> 'formats'`,
      createdAt: analysisRequests.createdAt,
    })
    .from(analysisRequests)
    .where(eq(analysisRequests.userId, userId))
    .orderBy(desc(analysisRequests.createdAt))
    .limit(limit);
  return rows.map(({ formats, hasThumbnail, ...row }) => ({
    ...row,
    // A picture when the page has one or a video to take a frame from (served by /thumbnails/:id).
    hasPicture: hasThumbnail || Boolean(formats?.some((f) => f.hasVideo)),
    // The one-click choice, the same as the analysis page's big button.
    quickFormatId: formats ? (recommendedFormat(formats)?.id ?? null) : null,
  }));
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

/** One analysis by id, whoever owns it: downloads read the formats and sources of a link's analysis. */
export async function getAnalysisRecord(requestId: string) {
  const [row] = await db.select().from(analysisRequests).where(eq(analysisRequests.id, requestId)).limit(1);
  return row ?? null;
}

/** Fresh upstream URLs for some formats (signed media URLs expire), merged into the stored ones. */
export async function mergeSources(requestId: string, sources: Record<string, FormatSource>) {
  const [row] = await db.select({ sources: analysisRequests.sources }).from(analysisRequests).where(eq(analysisRequests.id, requestId));
  await db
    .update(analysisRequests)
    .set({ sources: { ...(row?.sources ?? {}), ...sources } })
    .where(eq(analysisRequests.id, requestId));
}

/** The latest failed analyses, newest first, for the operators' dashboard. */
export async function recentAnalysisFailures(limit = 10) {
  return db
    .select({ url: analysisRequests.url, error: analysisRequests.error, finishedAt: analysisRequests.finishedAt })
    .from(analysisRequests)
    .where(eq(analysisRequests.status, "failed"))
    .orderBy(desc(analysisRequests.finishedAt))
    .limit(limit);
}

/** The last hour of finished, uncached analyses: latency percentiles and outcome counts. */
export async function analysisLatencyLastHour() {
  const since = new Date(Date.now() - 60 * 60 * 1000);
  const [row] = await db
    .select({
      latencyP50: sql<
        number | null
      >`percentile_cont(0.5) within group (order by extract(epoch from ${analysisRequests.finishedAt} - ${analysisRequests.createdAt}) * 1000) filter (where ${analysisRequests.status} = 'completed')`,
      latencyP95: sql<
        number | null
      >`percentile_cont(0.95) within group (order by extract(epoch from ${analysisRequests.finishedAt} - ${analysisRequests.createdAt}) * 1000) filter (where ${analysisRequests.status} = 'completed')`,
      processingP50: sql<number | null>`percentile_cont(0.5) within group (order by ${analysisRequests.durationMs})`,
      processingP95: sql<number | null>`percentile_cont(0.95) within group (order by ${analysisRequests.durationMs})`,
      completed: sql<number>`count(*) filter (where ${analysisRequests.status} = 'completed')::int`,
      failed: sql<number>`count(*) filter (where ${analysisRequests.status} = 'failed')::int`,
    })
    .from(analysisRequests)
    .where(and(gt(analysisRequests.finishedAt, since), eq(analysisRequests.cached, false)));
  const ms = (v: number | string | null) => (v === null ? null : Math.round(Number(v)));
  return {
    latencyMs: { p50: ms(row.latencyP50), p95: ms(row.latencyP95) },
    processingMs: { p50: ms(row.processingP50), p95: ms(row.processingP95) },
    completedLastHour: row.completed,
    failedLastHour: row.failed,
  };
}
