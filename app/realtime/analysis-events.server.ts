import { QueueEvents } from "bullmq";
import { userRoom } from "~/lib/rooms";
import type { AnalysisUpdate } from "~/lib/socket-events";
import { type AnalysisProgress, getAnalysisOwnerAndStatus, ANALYSIS_QUEUE } from "~/analysis/index.server";
import { createBlockingRedis, logger } from "~/platform/index.server";
import type { SocketServer } from "./socket.server";

/**
 * Relays the analysis queue's events (from any worker process) to the socket
 * room of the user who owns the job, and nowhere else. Progress events carry
 * the owner; for completed/failed the row in Postgres says who owns it and
 * whether a failure was final or will be retried.
 */
export function relayAnalysisEvents(io: SocketServer) {
  const events = new QueueEvents(ANALYSIS_QUEUE, { connection: createBlockingRedis("tvn-analysis-events") });
  events.on("error", (err) => logger.warn({ err }, "analysis events error"));

  // Every web process receives the queue's events: each tells only its own sockets (io.local),
  // or the Redis adapter would deliver every update once per web process.
  const emit = (userId: string, update: AnalysisUpdate) => io.local.to(userRoom(userId)).emit("analysis:update", update);

  events.on("progress", ({ jobId, data }) => {
    const progress = data as AnalysisProgress;
    if (!progress?.userId) return;
    emit(progress.userId, { requestId: jobId, status: progress.stage === "done" ? "completed" : "active", stage: progress.stage, progress: progress.percent });
  });

  const relayFromRow = async (jobId: string) => {
    const row = await getAnalysisOwnerAndStatus(jobId).catch((err: unknown) => {
      logger.warn({ err, jobId }, "could not relay an analysis update");
      return null;
    });
    if (row) emit(row.userId, { requestId: jobId, status: row.status, stage: row.stage, progress: row.progress });
  };
  events.on("completed", ({ jobId }) => void relayFromRow(jobId));
  events.on("failed", ({ jobId }) => void relayFromRow(jobId));

  return events;
}
