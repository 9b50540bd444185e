import ipaddr from "ipaddr.js";

/**
 * Egress policy: which addresses and ports the server may connect to on behalf
 * of a URL a stranger pasted. Pure functions only — no DNS, no sockets, no app
 * config; connect.server.ts applies them to the address actually connected to.
 */

export type AddressReason =
  | "public"
  | "invalid"
  | "unspecified"
  | "loopback"
  | "private"
  | "link_local"
  | "site_local"
  | "unique_local"
  | "cgnat"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "documentation"
  | "benchmarking"
  /** IPv4-mapped (::ffff:a.b.c.d) or IPv4-translated (::ffff:0:a.b.c.d) form of a non-public IPv4. */
  | "mapped_private"
  /** Deprecated IPv4-compatible form (::a.b.c.d) of a non-public IPv4. */
  | "compat_private"
  | "nat64_private"
  | "6to4_private"
  | "teredo_private";

export type BlockReason =
  Exclude<AddressReason, "public"> | "blocked_port" | "invalid_port" | "invalid_url" | "unsupported_scheme" | "credentials_in_url" | "unix_socket";

export interface AddressClass {
  allowed: boolean;
  reason: AddressReason;
  /** The IPv4 address carried inside an IPv6 one (mapped, NAT64, 6to4, Teredo), when there is one. */
  embedded?: string;
}

export type ParsedAllow =
  | { kind: "cidr"; text: string; range: [ipaddr.IPv4 | ipaddr.IPv6, number] }
  | { kind: "address"; text: string; ip: string; port: number }
  | { kind: "host"; text: string; host: string; port: number };

export interface EgressPolicy {
  /** Trusted installs (tests, intranet): non-public addresses are allowed too, on any port. */
  allowPrivate: boolean;
  allow: readonly ParsedAllow[];
}

export interface EgressTarget {
  ip: string;
  port: number;
  /** The name being connected to (before resolution), when there is one. */
  host?: string;
}

export type TargetVerdict = { ok: true } | { ok: false; reason: BlockReason };

const REASON_TEXT: Record<BlockReason, string> = {
  invalid: "not a valid address",
  unspecified: "unspecified address",
  loopback: "loopback address",
  private: "private network address",
  link_local: "link-local address",
  site_local: "site-local address",
  unique_local: "unique-local address",
  cgnat: "carrier-grade NAT address",
  multicast: "multicast address",
  broadcast: "broadcast address",
  reserved: "reserved address",
  documentation: "documentation address",
  benchmarking: "benchmarking address",
  mapped_private: "IPv4-mapped private address",
  compat_private: "IPv4-compatible private address",
  nat64_private: "NAT64 address of a private network",
  "6to4_private": "6to4 address of a private network",
  teredo_private: "Teredo address of a private network",
  blocked_port: "port not allowed",
  invalid_port: "not a valid port",
  invalid_url: "not a valid URL",
  unsupported_scheme: "only http and https URLs are allowed",
  credentials_in_url: "URLs with credentials are not allowed",
  unix_socket: "local sockets are not allowed",
};

/**
 * Thrown (or passed to a socket callback) whenever the policy refuses a target.
 * The message names the host the caller asked for, never the address it
 * resolved to: the message may reach the person who pasted the URL.
 */
export class EgressBlockedError extends Error {
  readonly code = "blocked_address";

  constructor(
    readonly host: string,
    readonly reason: BlockReason,
  ) {
    super(`Connecting to ${host === "" ? "this address" : host} is not allowed: ${REASON_TEXT[reason]}.`);
    this.name = "EgressBlockedError";
  }
}

// IANA IPv4 special-purpose registry, narrowed to what must never be fetched
// for a stranger. First match wins, so broadcast sits before 240.0.0.0/4.
// 192.31.196.0/24, 192.52.193.0/24 and 192.175.48.0/24 (AS112, AMT) are
// globally reachable anycast services and stay public.
const V4_RANGES: ReadonlyArray<[ipaddr.IPv4, number, AddressReason]> = (
  [
    ["0.0.0.0/8", "unspecified"],
    ["10.0.0.0/8", "private"],
    ["100.64.0.0/10", "cgnat"],
    ["127.0.0.0/8", "loopback"],
    ["169.254.0.0/16", "link_local"],
    ["172.16.0.0/12", "private"],
    ["192.0.0.0/24", "reserved"],
    ["192.0.2.0/24", "documentation"],
    ["192.88.99.0/24", "reserved"],
    ["192.168.0.0/16", "private"],
    ["198.18.0.0/15", "benchmarking"],
    ["198.51.100.0/24", "documentation"],
    ["203.0.113.0/24", "documentation"],
    ["224.0.0.0/4", "multicast"],
    ["255.255.255.255/32", "broadcast"],
    ["240.0.0.0/4", "reserved"],
  ] as const
).map(([cidr, reason]) => [...ipaddr.IPv4.parseCIDR(cidr), reason]);

type V6Rule = "mapped" | "compat" | "nat64" | "nat64_local" | "6to4" | "teredo" | AddressReason;

// IPv6 ranges that need a decision before "is it in global unicast 2000::/3".
// Forms that carry an IPv4 address are judged by that address. First match
// wins: the narrow ranges come before the prefixes that contain them.
const V6_RANGES: ReadonlyArray<[ipaddr.IPv6, number, V6Rule]> = (
  [
    ["::/128", "unspecified"],
    ["::1/128", "loopback"],
    ["::ffff:0:0/96", "mapped"],
    ["::ffff:0:0:0/96", "mapped"],
    ["::/96", "compat"],
    ["64:ff9b::/96", "nat64"],
    ["64:ff9b:1::/48", "nat64_local"],
    ["100::/64", "reserved"],
    ["2001::/32", "teredo"],
    ["2001:2::/48", "benchmarking"],
    ["2001:db8::/32", "documentation"],
    ["2001::/23", "reserved"],
    ["2002::/16", "6to4"],
    ["3fff::/20", "documentation"],
    ["5f00::/16", "reserved"],
    ["fc00::/7", "unique_local"],
    ["fe80::/10", "link_local"],
    ["fec0::/10", "site_local"],
    ["ff00::/8", "multicast"],
  ] as const
).map(([cidr, rule]) => [...ipaddr.IPv6.parseCIDR(cidr), rule]);

const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR("2000::/3");

// RFC 6052 §2.2: where the IPv4 bytes sit for each NAT64 prefix length that
// fits inside the local-use prefix 64:ff9b:1::/48. The operator picks the
// length, so every candidate must be public.
const NAT64_LOCAL_LAYOUTS = [
  [6, 7, 9, 10],
  [7, 9, 10, 11],
  [9, 10, 11, 12],
  [12, 13, 14, 15],
] as const;

function v4FromBytes(bytes: readonly number[], at: readonly number[]): ipaddr.IPv4 {
  return new ipaddr.IPv4(at.map((i) => bytes[i]));
}

function classifyV4(addr: ipaddr.IPv4): AddressClass {
  for (const [base, bits, reason] of V4_RANGES) {
    if (addr.match(base, bits)) return { allowed: false, reason };
  }
  return { allowed: true, reason: "public" };
}

/** Judges an IPv6 address that carries IPv4 ones by the first non-public one among them. */
function classifyEmbedded(carried: ipaddr.IPv4[], reasonIfPrivate: AddressReason): AddressClass {
  for (const v4 of carried) {
    if (!classifyV4(v4).allowed) return { allowed: false, reason: reasonIfPrivate, embedded: v4.toString() };
  }
  return { allowed: true, reason: "public", embedded: carried[0].toString() };
}

function classifyV6(addr: ipaddr.IPv6): AddressClass {
  const bytes = addr.toByteArray();
  const last32 = [12, 13, 14, 15];
  for (const [base, bits, rule] of V6_RANGES) {
    if (!addr.match(base, bits)) continue;
    switch (rule) {
      case "mapped":
        return classifyEmbedded([v4FromBytes(bytes, last32)], "mapped_private");
      case "compat": {
        // Deprecated since RFC 4291 and not routed as IPv4 any more: nothing
        // legitimate uses it, so even a public payload is refused.
        const carried = classifyEmbedded([v4FromBytes(bytes, last32)], "compat_private");
        return carried.allowed ? { allowed: false, reason: "reserved", embedded: carried.embedded } : carried;
      }
      case "nat64":
        return classifyEmbedded([v4FromBytes(bytes, last32)], "nat64_private");
      case "nat64_local":
        return classifyEmbedded(
          NAT64_LOCAL_LAYOUTS.map((layout) => v4FromBytes(bytes, layout)),
          "nat64_private",
        );
      case "6to4":
        return classifyEmbedded([v4FromBytes(bytes, [2, 3, 4, 5])], "6to4_private");
      case "teredo": {
        // RFC 4380: the server's IPv4 in bits 32–63, the client's inverted in the last 32.
        const client = new ipaddr.IPv4(last32.map((i) => bytes[i] ^ 0xff));
        return classifyEmbedded([client, v4FromBytes(bytes, [4, 5, 6, 7])], "teredo_private");
      }
      default:
        return { allowed: false, reason: rule };
    }
  }
  // Outside 2000::/3 nothing is allocated for global unicast.
  if (!addr.match(GLOBAL_UNICAST)) return { allowed: false, reason: "reserved" };
  return { allowed: true, reason: "public" };
}

function parseNumberPart(part: string): number | null {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0 : parseInt(part.slice(2), 16);
  if (/^0[0-7]+$/.test(part)) return parseInt(part.slice(1), 8);
  if (/^(0|[1-9][0-9]*)$/.test(part)) return Number(part);
  return null;
}

/**
 * The WHATWG URL IPv4 parser (inet_aton reads the same forms): one to four
 * dot-separated decimal, octal (leading 0) or hex (0x) numbers, the last one
 * filling the remaining bytes, one trailing dot tolerated.
 */
function parseLegacyIPv4(input: string): ipaddr.IPv4 | null {
  const parts = input.split(".");
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  if (parts.length > 4 || parts.some((p) => p === "")) return null;
  const numbers = parts.map(parseNumberPart);
  if (numbers.some((n) => n === null)) return null;
  const values = numbers as number[];
  const last = values.pop() as number;
  if (values.some((n) => n > 255) || last >= 256 ** (4 - values.length)) return null;
  let value = last;
  values.forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return new ipaddr.IPv4([(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

interface ParsedIp {
  addr: ipaddr.IPv4 | ipaddr.IPv6;
  zone?: string;
}

/**
 * IPv6 text is validated and canonicalised by the platform's URL parser
 * (RFC 5952 form, embedded dotted quads rewritten to hex) before ipaddr.js
 * reads it: ipaddr.js reads the IPv4-compatible "::127.0.0.1" as
 * "::ffff:127.0.0.1", which is a different address.
 */
function parseIPv6(input: string): ParsedIp | null {
  const percent = input.indexOf("%");
  const bare = percent === -1 ? input : input.slice(0, percent);
  let zone = percent === -1 ? undefined : input.slice(percent + 1);
  // RFC 6874 writes the zone separator percent-encoded inside URLs.
  if (zone?.startsWith("25")) zone = zone.slice(2);
  if (zone !== undefined && !/^[0-9a-z._~-]+$/i.test(zone)) return null;
  // Only address characters may reach the URL parser: "::1]@evil.example/["
  // would otherwise parse as a URL with a different host.
  if (!bare.includes(":") || !/^[0-9a-f:.]+$/i.test(bare)) return null;
  let canonical: string;
  try {
    canonical = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    // The URL parser refused the text, so it is not an IPv6 address.
    return null;
  }
  return { addr: ipaddr.IPv6.parse(canonical), zone };
}

function parseIp(input: string): ParsedIp | null {
  const inner = input.startsWith("[") && input.endsWith("]") ? input.slice(1, -1) : input;
  if (inner !== input || inner.includes(":")) return parseIPv6(inner);
  const v4 = parseLegacyIPv4(inner);
  return v4 ? { addr: v4 } : null;
}

function format({ addr, zone }: ParsedIp): string {
  return zone === undefined ? addr.toString() : `${addr.toString()}%${zone}`;
}

/**
 * The canonical IP a host string denotes, or null when it is a name. Accepts
 * every spelling WHATWG URL and inet_aton accept (2130706433, 0177.0.0.1,
 * 0x7f.1, 127.1, a trailing dot) and IPv6 with or without brackets and zone
 * id ("[fe80::1%25eth0]" → "fe80::1%eth0").
 */
export function parseHostLiteral(host: string): string | null {
  const parsed = parseIp(host);
  return parsed ? format(parsed) : null;
}

/** Lower-case, without brackets or the trailing dot that makes a name fully qualified. */
export function normalizeHostName(host: string): string {
  const unbracketed = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return unbracketed.toLowerCase().replace(/\.$/, "");
}

function classifyParsed({ addr }: ParsedIp): AddressClass {
  return addr.kind() === "ipv4" ? classifyV4(addr as ipaddr.IPv4) : classifyV6(addr as ipaddr.IPv6);
}

/** Classifies an IP address written in any spelling parseHostLiteral accepts; anything else is "invalid". */
export function classifyAddress(ip: string): AddressClass {
  const parsed = parseIp(ip);
  return parsed ? classifyParsed(parsed) : { allowed: false, reason: "invalid" };
}

function parsePort(text: string): number | null {
  if (!/^[0-9]{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

const HOST_NAME = /^(?=.{1,253}\.?$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

/**
 * An IP as written in EGRESS_ALLOW. IPv4 must be four decimal parts: the
 * legacy spellings URLs tolerate would turn "10/8" into 0.0.0.10/8 here.
 */
function parseConfigIp(text: string): ParsedIp | null {
  const parsed = parseIp(text);
  if (parsed?.addr.kind() === "ipv4" && !ipaddr.IPv4.isValidFourPartDecimal(text)) return null;
  return parsed;
}

function parseAllowEntry(text: string): ParsedAllow {
  const fail = (why: string): never => {
    throw new Error(`Invalid EGRESS_ALLOW entry "${text}": ${why}`);
  };
  if (text.includes("/")) {
    const [address, bits, ...rest] = text.split("/");
    const parsed = /^[0-9]{1,3}$/.test(bits ?? "") && rest.length === 0 ? parseConfigIp(address) : null;
    if (!parsed || parsed.zone !== undefined) return fail("expected a CIDR range such as 10.0.0.0/8 or fd00::/8");
    const prefix = Number(bits);
    if (prefix > (parsed.addr.kind() === "ipv4" ? 32 : 128)) return fail("prefix length out of range");
    return { kind: "cidr", text, range: [parsed.addr, prefix] };
  }
  const match = /^(\[[^\]]+\]|[^:]+):([^:]*)$/.exec(text);
  if (!match) {
    return fail(
      text.includes(":") && text.split(":").length > 2
        ? "write IPv6 addresses in brackets, as [fd00::1]:8080"
        : "expected host:port, ip:port, [ipv6]:port or a CIDR range",
    );
  }
  const port = parsePort(match[2]) ?? fail("port must be a number from 1 to 65535");
  const ip = parseConfigIp(match[1]);
  if (ip) return { kind: "address", text, ip: format(ip), port };
  // A name must not end in a number: "127.1" is neither a name nor a four-part IPv4.
  if (match[1].startsWith("[") || !HOST_NAME.test(match[1]) || /(^|\.)(0x[0-9a-f]*|[0-9]+)\.?$/i.test(match[1])) {
    return fail("not a valid host name or IP address (write IPv4 as four decimal parts)");
  }
  return { kind: "host", text, host: normalizeHostName(match[1]), port };
}

/**
 * Parses EGRESS_ALLOW: comma-separated host:port, ip:port, [ipv6]:port and
 * CIDR entries (a CIDR entry allows every port of its range). Blank entries
 * are ignored; an invalid one throws an Error naming it.
 */
export function parseEgressAllow(value: string): ParsedAllow[] {
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map(parseAllowEntry);
}

/** The forms under which an address can appear in an allow entry: as written, and the IPv4 inside ::ffff:a.b.c.d. */
function addressForms(addr: ipaddr.IPv4 | ipaddr.IPv6): Array<ipaddr.IPv4 | ipaddr.IPv6> {
  if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    return [addr, (addr as ipaddr.IPv6).toIPv4Address()];
  }
  return [addr];
}

function matchesAllow(forms: Array<ipaddr.IPv4 | ipaddr.IPv6>, target: EgressTarget, allow: readonly ParsedAllow[]): boolean {
  const host = target.host === undefined ? undefined : normalizeHostName(target.host);
  return allow.some((entry) => {
    switch (entry.kind) {
      case "cidr":
        return forms.some((form) => form.kind() === entry.range[0].kind() && form.match(entry.range));
      case "address": {
        const allowed = parseIp(entry.ip);
        if (entry.port !== target.port || allowed === null) return false;
        const written = new Set(addressForms(allowed.addr).map((form) => form.toString()));
        return forms.some((form) => written.has(form.toString()));
      }
      case "host":
        return entry.port === target.port && entry.host === host;
    }
  });
}

// Web ports, and unprivileged ones where media servers sometimes listen. The
// privileged rest (SSH, SMTP, IMAP…) are where cross-protocol abuse of a
// fetcher pays off, and video is never served there.
function isOrdinaryPort(port: number): boolean {
  return port === 80 || port === 443 || port >= 1024;
}

/**
 * Decides one connection: the address about to be connected to, its port, and
 * the name asked for. An EGRESS_ALLOW match allows it outright. Otherwise the
 * address must be public (or allowPrivate set), and a public address only on
 * ports 80, 443 or 1024 and up.
 */
export function isAllowedTarget(target: EgressTarget, policy: EgressPolicy): TargetVerdict {
  const parsed = parseIp(target.ip);
  if (!parsed) return { ok: false, reason: "invalid" };
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) return { ok: false, reason: "invalid_port" };
  if (matchesAllow(addressForms(parsed.addr), target, policy.allow)) return { ok: true };
  const verdict = classifyParsed(parsed);
  if (!verdict.allowed) return policy.allowPrivate ? { ok: true } : { ok: false, reason: verdict.reason as BlockReason };
  return isOrdinaryPort(target.port) ? { ok: true } : { ok: false, reason: "blocked_port" };
}

function isLocalhostName(name: string): boolean {
  return name === "localhost" || name.endsWith(".localhost");
}

/**
 * The check every URL gets before any connection is attempted: http or https
 * only, no credentials, and a host that is an IP literal (in any spelling the
 * URL parser leaves, e.g. "[::7f00:1]") or a localhost name judged as the
 * address it stands for. Other names are judged at connect time, on the
 * addresses they resolve to. Returns the parsed URL.
 */
export function assertAllowedUrl(raw: string, policy: EgressPolicy): URL {
  // The URL parser's message would echo the input; the reason is enough.
  if (!URL.canParse(raw)) throw new EgressBlockedError("", "invalid_url");
  const url = new URL(raw);
  const host = url.hostname;
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new EgressBlockedError(host, "unsupported_scheme");
  if (url.username !== "" || url.password !== "") throw new EgressBlockedError(host, "credentials_in_url");
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  const literal = parseHostLiteral(host);
  const name = normalizeHostName(host);
  // RFC 6761: localhost names never leave the machine, whatever DNS says.
  const candidates = literal !== null ? [literal] : isLocalhostName(name) ? ["127.0.0.1", "::1"] : [];
  if (candidates.length > 0) {
    const verdicts = candidates.map((ip) => isAllowedTarget({ ip, port, host: name }, policy));
    const refused = verdicts.find((v): v is { ok: false; reason: BlockReason } => !v.ok);
    if (refused && verdicts.every((v) => !v.ok)) throw new EgressBlockedError(host, refused.reason);
  }
  return url;
}
