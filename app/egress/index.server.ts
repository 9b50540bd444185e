import { Counter } from "prom-client";
import { config } from "~/config.server";
import { logger, processRegistry } from "~/platform/index.server";
import { createEgressAgents, createEgressLookup, egressRequest, type EgressConnectOptions } from "./connect.server";
import { assertAllowedUrl, EgressBlockedError } from "./policy";
import { proxyEnvironment, startEgressProxy, type EgressProxy } from "./proxy.server";

/**
 * Egress: what the server may fetch, for itself and for its child tools.
 * Every connection is judged at connect time on the address actually
 * connected to, and again at every redirect hop: Node's own requests through
 * the egress agents, yt-dlp/ffmpeg/ffprobe through a forward proxy on
 * loopback that this process runs. Private addresses are refused unless
 * EGRESS_ALLOW lists them (or ALLOW_PRIVATE_NETWORKS opens them all).
 */
export { EgressBlockedError } from "./policy";

const blocked = new Counter({
  name: "tvn_egress_blocked_total",
  help: "Outbound connections refused by the egress policy, by reason",
  labelNames: ["reason"] as const,
  registers: [processRegistry],
});

const policy: EgressConnectOptions = {
  allowPrivate: config.ALLOW_PRIVATE_NETWORKS,
  allow: config.EGRESS_ALLOW,
  onBlocked: ({ host, port, reason }) => {
    blocked.inc({ reason });
    logger.warn({ host, port, reason }, "egress refused");
  },
};

const agents = createEgressAgents(policy, { keepAlive: true });

/** A name that does not resolve: not a policy refusal, but nothing to fetch either. */
export class UnresolvableHostError extends Error {
  readonly code = "unresolvable_host";
  constructor(
    readonly host: string,
    options?: { cause?: unknown },
  ) {
    super(`The host ${host} could not be found.`, options);
    this.name = "UnresolvableHostError";
  }
}

/**
 * The early check for a URL someone submitted: scheme, credentials, literal
 * addresses, and where its name resolves now. Connections are checked again
 * when they are made; this only gives a clear answer before any work starts.
 */
export async function assertEgressAllowed(raw: string): Promise<URL> {
  let url: URL;
  try {
    url = assertAllowedUrl(raw, policy);
  } catch (err) {
    if (err instanceof EgressBlockedError) policy.onBlocked?.({ host: err.host, reason: err.reason });
    throw err;
  }
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  const lookup = createEgressLookup(policy, { port });
  await new Promise<void>((resolve, reject) => {
    lookup(url.hostname.replace(/^\[(.*)\]$/, "$1"), { all: true }, (err) => {
      if (!err) return resolve();
      reject(err instanceof EgressBlockedError ? err : new UnresolvableHostError(url.hostname, { cause: err }));
    });
  });
  return url;
}

/** A GET (or HEAD) under the policy, following redirects itself: every hop is checked. */
export function fetchUnderPolicy(url: string, options: { headers?: Record<string, string>; signal?: AbortSignal; method?: string } = {}) {
  return egressRequest(url, { agents, ...options });
}

let proxy: Promise<EgressProxy> | undefined;

/**
 * The loopback proxy child tools must use, started on first need. Returns
 * its URL and the environment a child runs with (proxy variables set, and
 * no_proxy removed so nothing bypasses it).
 */
export async function childEgress(): Promise<{ proxyUrl: string; env: NodeJS.ProcessEnv }> {
  proxy ??= startEgressProxy({ ...policy, logger });
  const { url } = await proxy;
  return { proxyUrl: url, env: proxyEnvironment(url, { ...process.env }) };
}

/** Protocols ffmpeg/ffprobe may use: network only (no file:, concat:, data:, subfile:…). */
const FFMPEG_PROTOCOLS = "http,https,tcp,tls,crypto,httpproxy";

/**
 * The options ahead of each ffmpeg/ffprobe network input: network protocols
 * only, every request through the egress proxy, a read that waits longer
 * than `readTimeoutSeconds` fails, and the source's own request headers.
 */
export function ffmpegInputOptions({
  proxyUrl,
  headers = {},
  readTimeoutSeconds,
}: {
  proxyUrl: string;
  headers?: Record<string, string>;
  readTimeoutSeconds: number;
}) {
  const lines = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  return [
    "-protocol_whitelist",
    FFMPEG_PROTOCOLS,
    "-http_proxy",
    proxyUrl,
    "-rw_timeout",
    String(readTimeoutSeconds * 1_000_000),
    ...(lines ? ["-headers", lines] : []),
  ];
}

export async function closeEgress() {
  agents.destroy();
  if (proxy) await (await proxy).close();
}
