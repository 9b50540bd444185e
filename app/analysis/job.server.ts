import { UnrecoverableError, type Job } from "bullmq";
import { eq } from "drizzle-orm";
import { Histogram } from "prom-client";
import { db } from "~/db/client.server";
import { assertEgressAllowed, EgressBlockedError, UnresolvableHostError } from "~/egress/index.server";
import { config } from "~/config.server";
import { normaliseInfo, normalisePlaylist, type AnalysisResult, type FormatSource, type YtDlpInfo } from "~/lib/formats";
import { logger, processRegistry } from "~/platform/index.server";
import { urlHash, writeCachedAnalysis } from "./cache.server";
import type { AnalysisJob, AnalysisProgress, AnalysisStage } from "./queue.server";
import { analysisRequests } from "./tables";
import { AnalysisError, enrichWithProbe, fetchVideoInfo, looksLikeMediaFile, probeMedia, type ProbeOutput } from "./ytdlp.server";

/** The worker side of an analysis: what a job does, from yt-dlp to the stored result. */

/** Observed by the worker that ran the analysis. */
const analysisDuration = new Histogram({
  name: "tvn_analysis_duration_seconds",
  help: "Time from a worker taking an analysis job to its result, by outcome",
  labelNames: ["outcome"] as const,
  buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
  registers: [processRegistry],
});

async function reportStage(job: Job<AnalysisJob>, stage: AnalysisStage, percent: number) {
  const progress: AnalysisProgress = { userId: job.data.userId, stage, percent };
  await Promise.all([
    job.updateProgress(progress),
    db.update(analysisRequests).set({ stage, progress: percent }).where(eq(analysisRequests.id, job.data.requestId)),
  ]);
}

/**
 * Format URLs come from the page, so they get the same egress check as the
 * page itself, before anything (ffprobe included) reads them. Returns the
 * info without refused formats, and the first refusal to explain an empty result.
 */
/** What the egress check of a URL depends on: scheme, whether it carries credentials, host and port. */
function originKey(url: string) {
  if (!URL.canParse(url)) return url;
  const { protocol, username, password, host } = new URL(url);
  return `${protocol}//${username || password ? "@" : ""}${host}`;
}

async function dropBlockedFormats(info: YtDlpInfo): Promise<{ info: YtDlpInfo; refusal: EgressBlockedError | null }> {
  // One check per origin (scheme, credentials, host and port decide it), not per format URL.
  const verdicts = new Map<string, Promise<EgressBlockedError | "unresolvable" | null>>();
  const verdictFor = (url: string) => {
    const key = originKey(url);
    let verdict = verdicts.get(key);
    if (!verdict) {
      verdict = assertEgressAllowed(url).then(
        () => null,
        (err: unknown) => {
          if (err instanceof EgressBlockedError) return err;
          logger.info({ err }, "a format's host does not resolve; dropped");
          return "unresolvable" as const;
        },
      );
      verdicts.set(key, verdict);
    }
    return verdict;
  };
  const allowed = async (url: string | undefined) => !url || (await verdictFor(url)) === null;
  const formats = info.formats ?? [];
  const [keep, urlAllowed] = await Promise.all([Promise.all(formats.map((f) => allowed(f.url))), allowed(info.url)]);
  const refusals = await Promise.all(verdicts.values());
  return {
    info: { ...info, formats: formats.filter((_, index) => keep[index]), url: urlAllowed ? info.url : undefined },
    refusal: refusals.find((r): r is EgressBlockedError => r instanceof EgressBlockedError) ?? null,
  };
}

/** A playlist's entries are listed only; each is analysed (and its addresses checked) when it is downloaded. */
function playlistResult(info: YtDlpInfo): { result: AnalysisResult; sources: Record<string, FormatSource> } {
  const result = normalisePlaylist(info, config.MAX_PLAYLIST_ENTRIES);
  if (!result.entries?.length) throw new AnalysisError("no_video", "This playlist has no entries that can be downloaded.", false);
  return { result, sources: {} };
}

async function videoResult(job: Job<AnalysisJob>, fetched: YtDlpInfo, signal: AbortSignal | undefined, early: Map<string, Promise<ProbeOutput | null>>) {
  const { info, refusal } = await dropBlockedFormats(fetched);
  await reportStage(job, "probing", 60);
  const enriched = await enrichWithProbe(info, { signal, early });
  await reportStage(job, "parsing", 85);
  const normalised = normaliseInfo(enriched);
  const { sources } = normalised;
  const result = { ...normalised.result, formats: normalised.result.formats.filter((f) => f.derived || sources[f.id]) };
  if (!result.formats.some((f) => !f.derived)) {
    if (refusal) throw new AnalysisError("blocked_address", refusal.message, false);
    throw new AnalysisError("no_video", "No downloadable video was found at this address.", false);
  }
  // Subtitle URLs come from the page too: the same check as the formats'.
  const allowed = await Promise.all(
    (result.subtitles ?? []).map((track) =>
      assertEgressAllowed(sources[`subtitles:${track.lang}`].url).then(
        () => true,
        () => false,
      ),
    ),
  );
  return { result: { ...result, subtitles: result.subtitles?.filter((_, i) => allowed[i]) }, sources };
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
    await assertEgressAllowed(url);
    // A direct link to a file is probed while yt-dlp reads it: the probe then costs no time of its own.
    const early = new Map(
      looksLikeMediaFile(url)
        ? [
            [
              url,
              probeMedia(url, {}, { signal }).catch((err: unknown) => {
                logger.warn({ err, requestId }, "the early probe could not run");
                return null;
              }),
            ],
          ]
        : [],
    );
    const fetched = await fetchVideoInfo(url, { signal, warm: true });
    const { result, sources } = fetched._type === "playlist" ? playlistResult(fetched) : await videoResult(job, fetched, signal, early);

    const finishedAt = new Date();
    await db
      .update(analysisRequests)
      .set({
        status: "completed",
        stage: "done",
        progress: 100,
        result,
        sources,
        error: null,
        finishedAt,
        durationMs: finishedAt.getTime() - startedAt.getTime(),
      })
      .where(eq(analysisRequests.id, requestId));
    await writeCachedAnalysis(urlHash(url), { result, sources });
    analysisDuration.observe({ outcome: "completed" }, (finishedAt.getTime() - startedAt.getTime()) / 1000);
    await job.updateProgress({ userId: job.data.userId, stage: "done", percent: 100 } satisfies AnalysisProgress);
    return { requestId, formats: result.formats.length };
  } catch (err) {
    const failure =
      err instanceof AnalysisError
        ? err
        : err instanceof EgressBlockedError || err instanceof UnresolvableHostError
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
