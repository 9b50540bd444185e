import { lookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";
import { config } from "~/config.server";

export class BlockedUrlError extends Error {
  constructor(
    readonly code: "private_network" | "unresolvable_host",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "BlockedUrlError";
  }
}

/**
 * True only for ordinary public unicast addresses. IPv4-mapped IPv6 is judged
 * as the IPv4 it carries; every special range (loopback, RFC 1918, link-local
 * incl. 169.254.169.254, CGNAT, multicast, unspecified, unique-local, NAT64,
 * 6to4, documentation…) is refused.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() === "unicast";
}

/**
 * The SSRF guard: resolves the URL's host and refuses it when any address it
 * resolves to is not public. Lifted by ALLOW_PRIVATE_NETWORKS=true (tests
 * reaching the loopback origin; trusted intranet installs).
 *
 * What it cannot stop on its own: yt-dlp follows redirects and fetches further
 * URLs named by the page. Those are narrowed by checking every format URL
 * yt-dlp returns (see checkResolvedUrls) and again before a stream connects.
 */
export async function assertPublicUrl(raw: string): Promise<void> {
  if (config.ALLOW_PRIVATE_NETWORKS) return;
  const host = new URL(raw).hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  if (ipaddr.isValid(host)) {
    addresses = [host];
  } else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch (err) {
      throw new BlockedUrlError("unresolvable_host", `The host ${host} could not be found.`, { cause: err });
    }
  }
  if (addresses.length === 0 || !addresses.every(isPublicAddress)) {
    throw new BlockedUrlError("private_network", "Addresses on private or local networks cannot be analysed.");
  }
}
