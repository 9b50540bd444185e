import { pipeline, Transform, type Readable } from "node:stream";
import { config } from "~/config.server";
import type { StreamProgress } from "~/lib/socket-events";
import { logger } from "~/platform/index.server";

const REPORT_MS = 500;

/** The upstream sent nothing for STREAM_STALL_SECONDS while the client was waiting for bytes. */
export class UpstreamStalledError extends Error {
  constructor(seconds: number) {
    super(`the source sent nothing for ${seconds} s`);
    this.name = "UpstreamStalledError";
  }
}

/**
 * The body as sent. A Transform (not a 'data' listener) so nothing flows
 * before the response is being written and backpressure from the client
 * reaches the source; it only adds up lengths. A timer reports bytes, speed
 * and ETA twice a second and watches for a stalled source: no byte for
 * STREAM_STALL_SECONDS *while the client is keeping up* (the body's buffer is
 * not full). A slow client is backpressure, never a stall.
 */
export function countedBody({
  source,
  total,
  tokenId,
  onProgress,
}: {
  source: Readable;
  total: number | null;
  tokenId: string;
  onProgress: (progress: StreamProgress) => void;
}) {
  let bytes = 0;
  let lastChunkAt = Date.now();
  let lastReportAt = 0;
  let reportedBytes = -1;
  let speed = 0;
  const report = () => {
    const now = Date.now();
    // The first report has no interval behind it: speed stays unknown until the second.
    if (lastReportAt) speed = Math.round((bytes - Math.max(reportedBytes, 0)) / ((now - lastReportAt) / 1000));
    lastReportAt = now;
    reportedBytes = bytes;
    const eta = total && speed > 0 ? Math.max(0, Math.round((total - bytes) / speed)) : null;
    onProgress({ tokenId, bytes, total, speed, eta, sentAt: now });
  };
  const body = new Transform({
    highWaterMark: config.STREAM_BUFFER_SIZE,
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      lastChunkAt = Date.now();
      callback(null, chunk);
    },
  });
  const stallMs = config.STREAM_STALL_SECONDS * 1000;
  const timer = setInterval(() => {
    if (bytes !== reportedBytes) report();
    const clientWaiting = body.readableLength < body.readableHighWaterMark;
    if (clientWaiting && Date.now() - lastChunkAt > stallMs) body.destroy(new UpstreamStalledError(config.STREAM_STALL_SECONDS));
  }, REPORT_MS);
  timer.unref();
  body.once("close", () => clearInterval(timer));
  // Errors travel both ways: a failing source aborts the response, a departed client stops the source.
  pipeline(source, body, (err) => {
    // The response reports the outcome; here only what the logs need.
    if (err && err.code !== "ERR_STREAM_PREMATURE_CLOSE") logger.debug({ err, tokenId }, "download body ended with an error");
  });
  return { body, bytes: () => bytes, flush: report };
}
