import { logger } from "~/services/logger.server";
import { createBlockingRedis } from "~/services/redis.server";
import { abortStreamsForToken } from "~/services/streaming.server";
import { STREAM_ABORT_CHANNEL } from "~/services/stream-tokens.server";

/** A revoked token stops its stream in whichever web process is serving it. */
export function subscribeToStreamAborts() {
  const subscriber = createBlockingRedis("tvn-stream-aborts");
  subscriber.subscribe(STREAM_ABORT_CHANNEL).catch((err) => logger.error({ err: err.message }, "could not subscribe to stream aborts"));
  subscriber.on("message", (_channel, tokenId: string) => abortStreamsForToken(tokenId));
  return subscriber;
}
