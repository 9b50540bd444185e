/**
 * Analysis: a pasted page URL becomes a list of downloadable formats. The web
 * side records and queues requests (answering from the cache when it can);
 * the worker side runs yt-dlp and ffprobe and stores the result.
 */
export { cacheCounters } from "./cache.server";
export { processAnalysisJob } from "./job.server";
export { ANALYSIS_QUEUE, type AnalysisJob, AnalysisJobSchema, type AnalysisProgress, analysisQueue } from "./queue.server";
export {
  analysisLatencyLastHour,
  type AnalysisView,
  getAnalysis,
  getAnalysisOwnerAndStatus,
  getAnalysisRecord,
  listRecentAnalyses,
  mergeSources,
  recentAnalysisFailures,
  requestAnalysis,
  toView,
} from "./requests.server";
export { thumbnailFor } from "./thumbnails.server";
export { fetchVideoInfo } from "./ytdlp.server";
export { updateInstalledYtDlp, ytDlpCommand, ytDlpStatus } from "./ytdlp-binary.server";
export type { AnalysisRequest } from "./tables";
