/**
 * Downloads: signed, revocable links to one format of an analysis, their
 * limits, and the stream route that sends the bytes (direct proxy or pipe),
 * with progress, slots and revocation across processes.
 */
export { subscribeToStreamAborts } from "./aborts.server";
export { listActiveStreams } from "./active-streams.server";
export { byPrefix, recentStreamFailures, streamCounters, tokenCounters } from "./counters.server";
export { dailyQuota } from "./limits.server";
export { refusedDownload } from "./responses.server";
export { activeStreamCount } from "./slots.server";
export { clearOwnLeftovers, drainStreams, openStream } from "./stream.server";
export {
  type CreatedToken,
  createStreamToken,
  deleteDeadTokens,
  findOwnedToken,
  listActiveTokens,
  refreshStreamToken,
  revokeAnyStreamToken,
  revokeStreamToken,
} from "./tokens.server";
