import { createBlockingRedis, logger } from "~/platform/index.server";
import { abortStreamsForToken } from "./stream.server";
import { STREAM_ABORT_CHANNEL } from "./tokens.server";

/** A revoked token stops its stream in whichever web process is serving it. */
export function subscribeToStreamAborts() {
  const subscriber = createBlockingRedis("tvn-stream-aborts");
  subscriber.subscribe(STREAM_ABORT_CHANNEL).catch((err: unknown) => logger.error({ err }, "could not subscribe to stream aborts"));
  subscriber.on("message", (_channel, tokenId: string) => abortStreamsForToken(tokenId));
  return subscriber;
}
