import { pipeline, Transform, type Readable } from "node:stream";
import { config } from "~/config.server";
import type { StreamProgress } from "~/lib/socket-events";
import { logger } from "~/platform/index.server";

/**
 * The body as sent: counts bytes and reports bytes, speed and ETA at most
 * twice a second. A Transform (not a 'data'
 * listener) so nothing flows before the response is being written, and
 * backpressure from the client reaches the source.
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
  let lastEmit = 0;
  let lastBytes = 0;
  let speed = 0;
  const report = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastEmit < 500) return;
    // The first report has no interval behind it: speed stays unknown until the second.
    const seconds = lastEmit ? (now - lastEmit) / 1000 : 0;
    if (seconds > 0) speed = Math.round((bytes - lastBytes) / seconds);
    lastEmit = now;
    lastBytes = bytes;
    const eta = total && speed > 0 ? Math.max(0, Math.round((total - bytes) / speed)) : null;
    onProgress({ tokenId, bytes, total, speed, eta, sentAt: now });
  };
  const body = new Transform({
    highWaterMark: config.STREAM_BUFFER_SIZE,
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      report(false);
      callback(null, chunk);
    },
  });
  // Errors travel both ways: a failing source aborts the response, a departed client stops the source.
  pipeline(source, body, (err) => {
    // The response reports the outcome; here only what the logs need.
    if (err && err.code !== "ERR_STREAM_PREMATURE_CLOSE") logger.debug({ err, tokenId }, "download body ended with an error");
  });
  return { body, bytes: () => bytes, flush: () => report(true) };
}
