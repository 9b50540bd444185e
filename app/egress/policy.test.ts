import { describe, expect, it } from "vitest";
import {
  type AddressReason,
  assertAllowedUrl,
  classifyAddress,
  EgressBlockedError,
  type EgressPolicy,
  isAllowedTarget,
  parseEgressAllow,
  parseHostLiteral,
} from "./policy";

const strict: EgressPolicy = { allowPrivate: false, allow: [] };

describe("classifyAddress", () => {
  it.each<[string, AddressReason]>([
    // IPv4, every special range and its edges
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link_local"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.255", "cgnat"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.0.8", "reserved"],
    ["192.88.99.1", "reserved"],
    ["192.0.2.1", "documentation"],
    ["198.51.100.7", "documentation"],
    ["203.0.113.9", "documentation"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    // legacy IPv4 spellings (WHATWG URL / inet_aton)
    ["2130706433", "loopback"],
    ["0177.0.0.1", "loopback"],
    ["0x7f.1", "loopback"],
    ["0X7F000001", "loopback"],
    ["017700000001", "loopback"],
    ["127.1", "loopback"],
    ["127.0.0.1.", "loopback"],
    ["10.1", "private"],
    ["0", "unspecified"],
    // IPv6
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["::", "unspecified"],
    ["[::]", "unspecified"],
    ["::ffff:127.0.0.1", "mapped_private"],
    ["::ffff:7f00:1", "mapped_private"],
    ["::FFFF:10.0.0.1", "mapped_private"],
    ["[::ffff:169.254.169.254]", "mapped_private"],
    ["::ffff:0:10.0.0.1", "mapped_private"],
    ["::127.0.0.1", "compat_private"],
    ["::7f00:1", "compat_private"],
    ["::8.8.8.8", "reserved"],
    ["64:ff9b::127.0.0.1", "nat64_private"],
    ["64:ff9b::a9fe:a9fe", "nat64_private"],
    ["64:ff9b:1::a00:1", "nat64_private"],
    ["64:ff9b:1:7f00:1::", "nat64_private"],
    ["2002:7f00:1::", "6to4_private"],
    ["2002:c0a8:101::1", "6to4_private"],
    ["2001:0:4136:e378::80ff:fffe", "teredo_private"],
    ["2001:0:a00:1::f7f7:f7f7", "teredo_private"],
    ["fc00::1", "unique_local"],
    ["fd12:3456::1", "unique_local"],
    ["fe80::1", "link_local"],
    ["febf::1", "link_local"],
    ["fe80::1%eth0", "link_local"],
    ["[fe80::1%25eth0]", "link_local"],
    ["fec0::1", "site_local"],
    ["ff02::1", "multicast"],
    ["ff0e::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["3fff::1", "documentation"],
    ["2001:2::1", "benchmarking"],
    ["100::1", "reserved"],
    ["2001:10::1", "reserved"],
    ["4000::1", "reserved"],
    // not addresses at all
    ["localhost", "invalid"],
    ["example.com", "invalid"],
    ["", "invalid"],
    ["1.2.3.4.5", "invalid"],
    ["256.0.0.1", "invalid"],
    ["08.0.0.1", "invalid"],
    ["[127.0.0.1]", "invalid"],
  ])("refuses %s as %s", (ip, reason) => {
    expect(classifyAddress(ip)).toMatchObject({ allowed: false, reason });
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "134744072",
    "100.63.255.255",
    "100.128.0.0",
    "172.15.255.255",
    "172.32.0.1",
    "192.169.0.1",
    "192.0.1.255",
    "11.0.0.1",
    "126.255.255.255",
    "128.0.0.1",
    "169.253.255.255",
    "198.17.255.255",
    "198.20.0.0",
    "203.0.114.7",
    "223.255.255.255",
    "2606:4700::1",
    "2001:4860:4860::8888",
    "2a00:1450:4001::1",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2002:808:808::1",
    "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
  ])("allows %s", (ip) => {
    expect(classifyAddress(ip)).toMatchObject({ allowed: true, reason: "public" });
  });

  it("names the IPv4 address carried inside an IPv6 one", () => {
    expect(classifyAddress("::ffff:a9fe:a9fe").embedded).toBe("169.254.169.254");
    expect(classifyAddress("64:ff9b::c0a8:1").embedded).toBe("192.168.0.1");
    expect(classifyAddress("2002:0a00:0001::").embedded).toBe("10.0.0.1");
    // Teredo stores the client address inverted.
    expect(classifyAddress("2001:0:4136:e378::80ff:fffe").embedded).toBe("127.0.0.1");
  });
});

describe("parseHostLiteral", () => {
  it.each([
    ["2130706433", "127.0.0.1"],
    ["0177.0.0.1", "127.0.0.1"],
    ["0x7f.1", "127.0.0.1"],
    ["0X7F.0.0.1", "127.0.0.1"],
    ["127.1", "127.0.0.1"],
    ["127.0.0.1.", "127.0.0.1"],
    ["4294967295", "255.255.255.255"],
    ["0x", "0.0.0.0"],
    ["[::1]", "::1"],
    ["[0:0::1]", "::1"],
    ["[::127.0.0.1]", "::7f00:1"],
    ["::FFFF:127.0.0.1", "::ffff:7f00:1"],
    ["fe80::1%eth0", "fe80::1%eth0"],
    ["[fe80::1%25eth0]", "fe80::1%eth0"],
  ])("reads %s as %s", (host, ip) => {
    expect(parseHostLiteral(host)).toBe(ip);
  });

  it.each([
    "localhost",
    "localhost.",
    "example.com",
    "127.0.0.1.example",
    "0x7g.1",
    "1e2",
    "4294967296",
    "256.1",
    "1.2.3.4.5",
    "[not-ipv6]",
    "[::1]@evil.example/[",
    "::1]@evil.example/[::1",
    "",
  ])("treats %s as a name", (host) => {
    expect(parseHostLiteral(host)).toBeNull();
  });

  it.each(["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0x7f.0.0.1.", "[::127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]"])(
    "agrees with the WHATWG URL parser on %s",
    (host) => {
      const canonical = new URL(`http://${host}/`).hostname.replace(/^\[(.*)\]$/, "$1");
      expect(parseHostLiteral(host)).toBe(canonical);
      // …and on what the URL parser leaves behind.
      expect(parseHostLiteral(new URL(`http://${host}/`).hostname)).toBe(canonical);
    },
  );
});

describe("parseEgressAllow", () => {
  it("reads every kind of entry, ignoring blanks and whitespace", () => {
    const entries = parseEgressAllow(" 127.0.0.1:8080 , Media.Example.COM.:443,, [fd00::1]:8443, 10.0.0.0/8, fd00::/8, [::FFFF:127.0.0.1]:81 ");
    expect(entries).toMatchObject([
      { kind: "address", ip: "127.0.0.1", port: 8080 },
      { kind: "host", host: "media.example.com", port: 443 },
      { kind: "address", ip: "fd00::1", port: 8443 },
      { kind: "cidr", text: "10.0.0.0/8" },
      { kind: "cidr", text: "fd00::/8" },
      { kind: "address", ip: "::ffff:7f00:1", port: 81 },
    ]);
  });

  it("is empty for an empty setting", () => {
    expect(parseEgressAllow("")).toEqual([]);
    expect(parseEgressAllow(" , ")).toEqual([]);
  });

  it.each([
    "127.0.0.1",
    "media.internal",
    "fd00::1:80",
    "10.0.0.0/33",
    "fd00::/129",
    "10.0.0.0/8/1",
    "10.0.0.0/x",
    "name/8",
    "host:0",
    "host:65536",
    "host:http",
    "bad_host!:80",
    "[nothost]:80",
    "fe80::/10%eth0",
    "10/8",
    "0x7f.1:80",
    "127.1:80",
    "010.0.0.1:80",
    "host.123:80",
  ])("refuses %s, naming it", (entry) => {
    expect(() => parseEgressAllow(`example.com:443, ${entry}`)).toThrow(`"${entry}"`);
  });
});

describe("isAllowedTarget", () => {
  const allow = parseEgressAllow("127.0.0.1:8080, media.internal:9000, 10.0.0.0/8, fd00::/8, smtp.example.com:25, [::ffff:127.0.0.1]:8082");
  const policy: EgressPolicy = { allowPrivate: false, allow };

  it.each([
    [{ ip: "8.8.8.8", port: 443 }],
    [{ ip: "8.8.8.8", port: 80 }],
    [{ ip: "8.8.8.8", port: 8443 }],
    [{ ip: "2606:4700::1", port: 443 }],
    [{ ip: "127.0.0.1", port: 8080 }],
    [{ ip: "::ffff:127.0.0.1", port: 8080 }],
    [{ ip: "127.0.0.1", port: 9000, host: "MEDIA.internal." }],
    [{ ip: "10.1.2.3", port: 6379 }],
    [{ ip: "::ffff:10.1.2.3", port: 6379 }],
    [{ ip: "fd00::5", port: 22 }],
    [{ ip: "198.51.100.1", port: 25, host: "smtp.example.com" }],
    [{ ip: "127.0.0.1", port: 8082 }],
  ])("allows %o", (target) => {
    expect(isAllowedTarget(target, policy)).toEqual({ ok: true });
  });

  it.each([
    [{ ip: "127.0.0.1", port: 8081 }, "loopback"],
    [{ ip: "127.0.0.2", port: 8080 }, "loopback"],
    [{ ip: "127.0.0.1", port: 9000, host: "evil.example" }, "loopback"],
    [{ ip: "127.0.0.1", port: 9001, host: "media.internal" }, "loopback"],
    [{ ip: "192.168.0.1", port: 80 }, "private"],
    [{ ip: "8.8.8.8", port: 25 }, "blocked_port"],
    [{ ip: "8.8.8.8", port: 22 }, "blocked_port"],
    [{ ip: "8.8.8.8", port: 0 }, "invalid_port"],
    [{ ip: "8.8.8.8", port: 70000 }, "invalid_port"],
    [{ ip: "not-an-ip", port: 80 }, "invalid"],
  ])("refuses %o as %s", (target, reason) => {
    expect(isAllowedTarget(target, policy)).toEqual({ ok: false, reason });
  });

  it("lets allowPrivate through every valid address and port", () => {
    const trusting: EgressPolicy = { allowPrivate: true, allow: [] };
    expect(isAllowedTarget({ ip: "127.0.0.1", port: 5432 }, trusting)).toEqual({ ok: true });
    expect(isAllowedTarget({ ip: "fe80::1%eth0", port: 22 }, trusting)).toEqual({ ok: true });
    expect(isAllowedTarget({ ip: "bogus", port: 80 }, trusting)).toEqual({ ok: false, reason: "invalid" });
  });
});

describe("assertAllowedUrl", () => {
  it("returns the parsed URL of a public target", () => {
    expect(assertAllowedUrl("https://Example.com/video?id=1", strict).href).toBe("https://example.com/video?id=1");
    expect(assertAllowedUrl("http://8.8.8.8:8080/", strict).port).toBe("8080");
  });

  it.each([
    ["ftp://example.com/", "unsupported_scheme"],
    ["file:///etc/passwd", "unsupported_scheme"],
    ["gopher://127.0.0.1:6379/_", "unsupported_scheme"],
    ["http://user:secret@example.com/", "credentials_in_url"],
    ["http://user@example.com/", "credentials_in_url"],
    ["not a url", "invalid_url"],
    ["http://127.0.0.1/", "loopback"],
    ["http://0x7f.1/", "loopback"],
    ["http://2130706433/", "loopback"],
    ["http://0177.0.0.1./", "loopback"],
    ["http://[::1]/", "loopback"],
    ["http://[::127.0.0.1]/", "compat_private"],
    ["http://[::ffff:7f00:1]/", "mapped_private"],
    ["http://[64:ff9b::7f00:1]/", "nat64_private"],
    ["http://[::]/", "unspecified"],
    ["http://0/", "unspecified"],
    ["http://169.254.169.254/latest/meta-data/", "link_local"],
    ["http://localhost/", "loopback"],
    ["http://LOCALHOST./", "loopback"],
    ["http://admin.localhost/", "loopback"],
    ["http://8.8.8.8:25/", "blocked_port"],
  ])("refuses %s (%s)", (url, reason) => {
    expect(() => assertAllowedUrl(url, strict)).toThrow(expect.objectContaining({ code: "blocked_address", reason }));
  });

  it("leaves names to the connect-time check", () => {
    expect(() => assertAllowedUrl("http://internal.example/", strict)).not.toThrow();
  });

  it("honours allowPrivate and EGRESS_ALLOW", () => {
    expect(() => assertAllowedUrl("http://127.0.0.1:5432/", { allowPrivate: true, allow: [] })).not.toThrow();
    const allow = parseEgressAllow("localhost:3000, [::1]:4000");
    expect(() => assertAllowedUrl("http://localhost:3000/", { allowPrivate: false, allow })).not.toThrow();
    expect(() => assertAllowedUrl("http://[::1]:4000/", { allowPrivate: false, allow })).not.toThrow();
    expect(() => assertAllowedUrl("http://localhost:3001/", { allowPrivate: false, allow })).toThrow(EgressBlockedError);
  });
});

describe("EgressBlockedError", () => {
  it("names the host and the reason, not an address", () => {
    const error = new EgressBlockedError("video.example.com", "private");
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: "blocked_address", host: "video.example.com", reason: "private", name: "EgressBlockedError" });
    expect(error.message).toBe("Connecting to video.example.com is not allowed: private network address.");
  });
});
