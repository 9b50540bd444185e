import net from "node:net";
import { config } from "~/config.server";
import type { FormatSource } from "~/lib/formats";
import type { EmitToUser } from "~/lib/socket-events";
import { AppError, logger } from "~/platform/index.server";
import { countStream } from "./counters.server";
import { connectUpstream } from "./direct.server";
import { releaseStreamSlot } from "./slots.server";
import type { StreamToken } from "./tables";
import { recordStreamEnd } from "./tokens.server";

/**
 * Offload (STREAM_OFFLOAD=nginx, ADR "download offload to nginx"): the app
 * checks the link, the limits and the egress policy as for any download,
 * connects to the upstream itself (every redirect hop and the address under
 * the policy), then answers with X-Accel-Redirect. The nginx front
 * (docs/deploy/nginx-offload.conf) proxies the file from the address the app
 * connected to, with the name as Host and SNI and the client's Range: nginx
 * resolves nothing. The app never sees the bytes, so it records the start and
 * calls the download completed when it hands it off.
 */

/** The front's internal location; it reads the target from the X-Offload-* headers below. */
export const OFFLOAD_LOCATION = "/_tvn_offload";
/** Set by the front on every request it passes (a client's own value is overwritten there). */
const FRONT_HEADER = "x-offload-front";
/** The upstream request headers the front can replay; a source that needs others is streamed here. */
const REPLAYED = ["user-agent", "accept", "accept-language", "referer", "origin", "cookie", "sec-fetch-mode"];

export function offloadRequested(request: Request) {
  return config.STREAM_OFFLOAD === "nginx" && request.headers.get(FRONT_HEADER) === "nginx";
}

/**
 * The hand-off headers for this source, or null when the front cannot
 * replay the request (headers it does not know): the app streams it then.
 */
export async function handOffHeaders(row: StreamToken, source: FormatSource, request: Request): Promise<Record<string, string> | null> {
  const names = Object.keys(source.headers ?? {}).map((name) => name.toLowerCase());
  if (names.some((name) => !REPLAYED.includes(name))) return null;
  let connected;
  try {
    // One byte is enough to know the file is there and where it is served from.
    connected = await connectUpstream(row, source, { range: "bytes=0-0" }, request.signal);
  } catch (err) {
    if (request.signal.aborted) throw new AppError("client_closed", "client_closed", "The client went away.", { cause: err });
    throw err;
  }
  const { response, url, headers } = connected;
  const { remoteAddress, remotePort } = response.socket;
  // A 206 of one byte leaves the connection reusable; anything else is not read.
  if (response.statusCode === 206) response.resume();
  else response.destroy();
  if (!remoteAddress || !remotePort) throw new AppError("upstream", "upstream_failed", "The video site did not deliver the file. Try again in a moment.");
  const target = new URL(url);
  const address = net.isIPv6(remoteAddress) ? `[${remoteAddress}]` : remoteAddress;
  const handOff: Record<string, string> = {
    "X-Accel-Redirect": OFFLOAD_LOCATION,
    "X-Accel-Buffering": "no",
    "X-Offload-Target": `${target.protocol}//${address}:${remotePort}${target.pathname}${target.search}`,
    "X-Offload-Host": target.host,
    "X-Offload-Sni": target.hostname.replace(/^\[(.*)\]$/, "$1"),
  };
  for (const [name, value] of Object.entries(headers)) {
    if (REPLAYED.includes(name.toLowerCase())) handOff[`X-Offload-H-${name.toLowerCase()}`] = value;
  }
  return handOff;
}

/** After the hand-off: the slot is free again, the link used, the download counted as completed. */
export function recordHandOff({ row, streamId, emit }: { row: StreamToken; streamId: string; emit: EmitToUser }) {
  emit(row.userId, "stream:end", { tokenId: row.id, status: "completed", bytes: 0, handedOff: true });
  return Promise.all([
    releaseStreamSlot(row.userId, streamId),
    recordStreamEnd({ tokenId: row.id, bytes: 0 }),
    countStream({ outcome: "completed", bytes: 0, title: row.title }),
  ]).catch((err: unknown) => logger.warn({ err }, "could not record a handed-off download"));
}
