import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { Duplex } from "node:stream";
import { assertAllowedUrl, EgressBlockedError, isAllowedTarget, type BlockReason, type EgressPolicy } from "./policy";

/**
 * Connect-time enforcement: every socket Node opens for an egress request is
 * judged on the address it actually connects to, after resolution, so DNS
 * rebinding between a pre-check and the connection cannot slip through.
 */

export type Resolver = (hostname: string, options: dns.LookupAllOptions) => Promise<dns.LookupAddress[]>;

export interface BlockedInfo {
  /** The name (or literal) that was asked for. */
  host: string;
  /** Absent when a URL was refused before any connection was attempted. */
  port?: number;
  /** The resolved address that was refused; for logs and metrics only, never for the user. */
  address?: string;
  reason: BlockReason;
}

export interface EgressConnectOptions extends EgressPolicy {
  /** Resolves a name to every address it has; defaults to dns.lookup with all: true. */
  resolve?: Resolver;
  /** Called once for every refused target, e.g. to count or log it. */
  onBlocked?: (info: BlockedInfo) => void;
}

const systemResolver: Resolver = (hostname, options) => dns.promises.lookup(hostname, { ...options, all: true });

function refuse(egress: EgressConnectOptions, info: BlockedInfo): EgressBlockedError {
  egress.onBlocked?.(info);
  return new EgressBlockedError(info.host, info.reason);
}

/**
 * A `lookup` for net.connect / tls.connect / http.Agent bound to the port
 * being connected to (lookup itself is never told the port, and ports matter
 * to the policy).
 *
 * Rebinding choice: the connection is refused when ANY resolved address is
 * refused, rather than filtering down to the allowed ones. A name that mixes
 * public and internal answers is either an attack or a split-horizon setup
 * the operator should list in EGRESS_ALLOW; refusing makes the outcome the
 * same whichever address the OS, Happy Eyeballs or a child process would
 * have picked.
 */
export function createEgressLookup(egress: EgressConnectOptions, target: { port: number }): net.LookupFunction {
  const resolve = egress.resolve ?? systemResolver;
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }).then(
      (addresses) => {
        if (addresses.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          error.code = "ENOTFOUND";
          callback(error, []);
          return;
        }
        for (const { address } of addresses) {
          const verdict = isAllowedTarget({ ip: address, port: target.port, host: hostname }, egress);
          if (!verdict.ok) {
            callback(refuse(egress, { host: hostname, port: target.port, address, reason: verdict.reason }), []);
            return;
          }
        }
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    );
  };
}

interface ConnectionTarget {
  host?: string | null;
  hostname?: string | null;
  port?: number | string | null;
  socketPath?: string;
  path?: string | null;
}

/**
 * Prepares connection options for net/tls: IP literals are judged here,
 * because Node never calls `lookup` for them; names get the checking lookup.
 * A caller-supplied lookup is replaced, so it cannot bypass the check.
 */
function checkedConnectOptions<T extends ConnectionTarget>(
  options: T,
  egress: EgressConnectOptions,
): (T & { lookup: net.LookupFunction }) | EgressBlockedError {
  const host = (options.host ?? options.hostname ?? "localhost").replace(/^\[(.*)\]$/, "$1");
  const port = Number(options.port);
  if (options.socketPath !== undefined) return refuse(egress, { host: options.socketPath, port, reason: "unix_socket" });
  if (net.isIP(host) !== 0) {
    const verdict = isAllowedTarget({ ip: host, port, host }, egress);
    if (!verdict.ok) return refuse(egress, { host, port, address: host, reason: verdict.reason });
  }
  return { ...options, host, lookup: createEgressLookup(egress, { port }) };
}

/**
 * A TCP connection to host:port under the policy. A refusal arrives as an
 * EgressBlockedError on the socket's "error" event, like any connect failure.
 */
export function egressConnect(target: { host: string; port: number }, egress: EgressConnectOptions): net.Socket {
  const options = checkedConnectOptions(target, egress);
  if (options instanceof EgressBlockedError) {
    const socket = new net.Socket();
    process.nextTick(() => socket.destroy(options));
    return socket;
  }
  return net.connect(options);
}

type CreateConnectionCallback = (err: Error | null, stream: Duplex) => void;

function failConnection(error: Error, callback: CreateConnectionCallback | undefined): undefined {
  // http.Agent passes the error on to the request's "error" event. It reads
  // no stream when there is an error; the typings ask for one regardless.
  if (callback) process.nextTick(callback, error, undefined);
  return undefined;
}

class EgressHttpAgent extends http.Agent {
  constructor(
    private readonly egress: EgressConnectOptions,
    options: http.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: http.ClientRequestArgs, callback?: CreateConnectionCallback): Duplex | null | undefined {
    const checked = checkedConnectOptions(options, this.egress);
    if (checked instanceof EgressBlockedError) return failConnection(checked, callback);
    return super.createConnection(checked, callback);
  }
}

class EgressHttpsAgent extends https.Agent {
  constructor(
    private readonly egress: EgressConnectOptions,
    options: https.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: https.RequestOptions, callback?: CreateConnectionCallback): Duplex | null | undefined {
    const checked = checkedConnectOptions(options, this.egress);
    if (checked instanceof EgressBlockedError) return failConnection(checked, callback);
    return super.createConnection(checked, callback);
  }
}

export interface EgressAgents {
  http: http.Agent;
  https: https.Agent;
  /** The policy both agents enforce, for the URL pre-checks of egressRequest. */
  egress: EgressConnectOptions;
  destroy(): void;
}

/** HTTP and HTTPS agents whose every connection goes through the egress check. */
export function createEgressAgents(egress: EgressConnectOptions, agentOptions: https.AgentOptions = {}): EgressAgents {
  const agents = {
    http: new EgressHttpAgent(egress, agentOptions),
    https: new EgressHttpsAgent(egress, agentOptions),
  };
  return {
    ...agents,
    egress,
    destroy() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

export class TooManyRedirectsError extends Error {
  readonly code = "too_many_redirects";

  constructor(readonly maxRedirects: number) {
    super(`Gave up after ${maxRedirects} redirects.`);
    this.name = "TooManyRedirectsError";
  }
}

export interface EgressRequestOptions {
  agents: EgressAgents;
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  signal?: AbortSignal;
  /** Defaults to 5; 0 returns the first response, redirect or not. */
  maxRedirects?: number;
}

export interface EgressResponse {
  /** Unconsumed: read or destroy it. */
  response: http.IncomingMessage;
  /** The URL the response came from, after redirects. */
  url: string;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// Fetch standard: credentials are not replayed to another origin.
const ORIGIN_BOUND_HEADERS = ["authorization", "cookie", "proxy-authorization"];

function checkUrl(raw: string, egress: EgressConnectOptions): URL {
  try {
    return assertAllowedUrl(raw, egress);
  } catch (error) {
    if (error instanceof EgressBlockedError) egress.onBlocked?.({ host: error.host, reason: error.reason });
    throw error;
  }
}

function send(url: URL, method: string, headers: http.OutgoingHttpHeaders, options: EgressRequestOptions): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const isHttps = url.protocol === "https:";
    const request = (isHttps ? https : http).request(url, {
      method,
      headers,
      signal: options.signal,
      agent: isHttps ? options.agents.https : options.agents.http,
    });
    request.once("response", resolve);
    request.once("error", reject);
    request.end();
  });
}

/**
 * A request with no body that follows redirects itself, so every hop gets
 * the URL pre-check and its connection the connect-time check. Returns the
 * final response, unconsumed.
 */
export async function egressRequest(url: string, options: EgressRequestOptions): Promise<EgressResponse> {
  const egress = options.agents.egress;
  const maxRedirects = options.maxRedirects ?? 5;
  let method = (options.method ?? "GET").toUpperCase();
  let headers: http.OutgoingHttpHeaders = { ...options.headers };
  let current = checkUrl(url, egress);
  for (let redirects = 0; ; redirects++) {
    const response = await send(current, method, headers, options);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (!REDIRECT_STATUSES.has(status) || location === undefined || maxRedirects === 0) {
      return { response, url: current.href };
    }
    if (redirects === maxRedirects) {
      response.destroy();
      throw new TooManyRedirectsError(maxRedirects);
    }
    // Drain the redirect body so its socket can serve the next hop.
    response.resume();
    // An unparseable Location is passed on as is, for checkUrl to refuse.
    const next = checkUrl(URL.canParse(location, current.href) ? new URL(location, current).href : location, egress);
    if (status === 303 ? method !== "HEAD" : (status === 301 || status === 302) && method === "POST") method = "GET";
    if (next.origin !== current.origin) {
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !ORIGIN_BOUND_HEADERS.includes(name.toLowerCase())));
    }
    current = next;
  }
}
