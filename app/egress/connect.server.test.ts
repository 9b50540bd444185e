import type dns from "node:dns";
import http from "node:http";
import net from "node:net";
import { text } from "node:stream/consumers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type BlockedInfo,
  createEgressAgents,
  createEgressLookup,
  egressConnect,
  type EgressAgents,
  type EgressConnectOptions,
  egressRequest,
  type Resolver,
  TooManyRedirectsError,
} from "./connect.server";
import { EgressBlockedError, parseEgressAllow } from "./policy";
import { type CountingServer, startCountingServer } from "./test-servers.server";

/** A resolver answering from a table, the way a hostile DNS server would; like DNS it ignores case and a trailing dot. */
function fakeResolver(table: Record<string, string[] | (() => string[])>): Resolver {
  return (hostname) => {
    const entry = table[hostname.toLowerCase().replace(/\.$/, "")];
    if (entry === undefined) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }));
    const addresses = typeof entry === "function" ? entry() : entry;
    return Promise.resolve(addresses.map((address) => ({ address, family: net.isIP(address) })));
  };
}

/** A plain request without the egress agents: proves the target is reachable at all. */
function unguardedGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on("error", reject);
  });
}

let internal: CountingServer;
let allowed: CountingServer;
let agentsToClose: EgressAgents[] = [];
let blocked: BlockedInfo[] = [];

function agentsFor(options: Partial<EgressConnectOptions> = {}): EgressAgents {
  const agents = createEgressAgents({
    allowPrivate: false,
    allow: parseEgressAllow(`127.0.0.1:${allowed.port}`),
    onBlocked: (info) => blocked.push(info),
    ...options,
  });
  agentsToClose.push(agents);
  return agents;
}

beforeAll(async () => {
  internal = await startCountingServer();
  allowed = await startCountingServer();
});

afterAll(async () => {
  await Promise.all([internal.close(), allowed.close()]);
});

afterEach(() => {
  for (const agents of agentsToClose) agents.destroy();
  agentsToClose = [];
  blocked = [];
  internal.hits.length = 0;
  allowed.hits.length = 0;
});

describe("egressRequest", () => {
  it("reaches a server listed in EGRESS_ALLOW", async () => {
    const { response, url } = await egressRequest(`http://127.0.0.1:${allowed.port}/hi`, { agents: agentsFor() });
    expect(response.statusCode).toBe(200);
    expect(await text(response)).toBe("hello");
    expect(url).toBe(`http://127.0.0.1:${allowed.port}/hi`);
    expect(allowed.hits).toHaveLength(1);
  });

  it.each(["127.0.0.1", "[::ffff:127.0.0.1]", "0x7f.1", "2130706433", "localhost", "LocalHost."])(
    "refuses the internal server as http://%s with zero hits",
    async (host) => {
      expect(await unguardedGet(`http://127.0.0.1:${internal.port}/`)).toBe(200);
      internal.hits.length = 0;
      await expect(egressRequest(`http://${host}:${internal.port}/`, { agents: agentsFor() })).rejects.toMatchObject({
        name: "EgressBlockedError",
        code: "blocked_address",
      });
      expect(internal.hits).toHaveLength(0);
      expect(blocked).toHaveLength(1);
    },
  );

  it("refuses a name that resolves to the internal server, at connect time", async () => {
    const agents = agentsFor({ resolve: fakeResolver({ "video.example": ["127.0.0.1"] }) });
    const request = egressRequest(`http://video.example:${internal.port}/`, { agents });
    await expect(request).rejects.toThrow(new EgressBlockedError("video.example", "loopback"));
    expect(internal.hits).toHaveLength(0);
    expect(blocked).toEqual([{ host: "video.example", port: internal.port, address: "127.0.0.1", reason: "loopback" }]);
  });

  it("keeps the resolved address out of the error message", async () => {
    const agents = agentsFor({ resolve: fakeResolver({ "video.example": ["10.1.2.3"] }) });
    const error = await egressRequest(`http://video.example:${internal.port}/`, { agents }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(EgressBlockedError);
    expect((error as Error).message).toContain("video.example");
    expect((error as Error).message).not.toContain("10.1.2.3");
  });

  it("refuses a rebinding answer (public first, loopback second) without connecting", async () => {
    const agents = agentsFor({ resolve: fakeResolver({ "rebind.example": ["8.8.8.8", "127.0.0.1"] }) });
    await expect(egressRequest(`http://rebind.example:${internal.port}/`, { agents })).rejects.toMatchObject({ reason: "loopback" });
    expect(internal.hits).toHaveLength(0);
  });

  it("judges every connection on its own resolution, so a second answer that turns private is refused", async () => {
    const answers = [["8.8.8.8"], ["127.0.0.1"]];
    const resolve = fakeResolver({ "flip.example": () => answers.shift() ?? [] });
    const egress: EgressConnectOptions = { allowPrivate: false, allow: [], resolve };
    // First resolution (e.g. an app-level pre-check) sees a public address…
    const first = await new Promise<string>((done, fail) =>
      createEgressLookup(egress, { port: internal.port })("flip.example", {}, (err, address) => (err ? fail(err) : done(address as string))),
    );
    expect(first).toBe("8.8.8.8");
    // …the connection resolves again and is refused.
    await expect(egressRequest(`http://flip.example:${internal.port}/`, { agents: agentsFor({ resolve }) })).rejects.toMatchObject({
      reason: "loopback",
    });
    expect(internal.hits).toHaveLength(0);
  });

  it("allows a name by host:port, and only that name", async () => {
    const resolve = fakeResolver({ "media.internal": ["127.0.0.1"], "evil.example": ["127.0.0.1"] });
    const agents = agentsFor({ resolve, allow: parseEgressAllow(`media.internal:${internal.port}`) });
    const { response } = await egressRequest(`http://MEDIA.internal.:${internal.port}/`, { agents });
    expect(response.statusCode).toBe(200);
    response.resume();
    await expect(egressRequest(`http://evil.example:${internal.port}/`, { agents })).rejects.toBeInstanceOf(EgressBlockedError);
    expect(internal.hits).toHaveLength(1);
  });

  it("follows redirects between allowed servers and reports the final URL", async () => {
    const final = `http://127.0.0.1:${allowed.port}/final`;
    const { response, url } = await egressRequest(`http://127.0.0.1:${allowed.port}/redirect?to=${encodeURIComponent(final)}`, {
      agents: agentsFor(),
    });
    expect(response.statusCode).toBe(200);
    response.resume();
    expect(url).toBe(final);
    expect(allowed.hits.map((h) => h.url)).toEqual([`/redirect?to=${encodeURIComponent(final)}`, "/final"]);
  });

  it.each(["127.0.0.1", "localhost", "[::ffff:7f00:1]"])("refuses a redirect from the allowed server to the internal one at %s", async (host) => {
    const to = encodeURIComponent(`http://${host}:${internal.port}/secret`);
    await expect(egressRequest(`http://127.0.0.1:${allowed.port}/redirect?to=${to}`, { agents: agentsFor() })).rejects.toBeInstanceOf(EgressBlockedError);
    expect(allowed.hits).toHaveLength(1);
    expect(internal.hits).toHaveLength(0);
  });

  it("refuses a redirect to a name that resolves internally", async () => {
    const agents = agentsFor({ resolve: fakeResolver({ "cdn.example": ["192.168.0.10", "127.0.0.1"] }) });
    const to = encodeURIComponent(`http://cdn.example:${internal.port}/`);
    await expect(egressRequest(`http://127.0.0.1:${allowed.port}/redirect?to=${to}`, { agents })).rejects.toMatchObject({ reason: "private" });
    expect(internal.hits).toHaveLength(0);
  });

  it("refuses a redirect to another scheme", async () => {
    const to = encodeURIComponent("file:///etc/passwd");
    await expect(egressRequest(`http://127.0.0.1:${allowed.port}/redirect?to=${to}`, { agents: agentsFor() })).rejects.toMatchObject({
      reason: "unsupported_scheme",
    });
  });

  it("gives up on a redirect loop", async () => {
    await expect(egressRequest(`http://127.0.0.1:${allowed.port}/loop`, { agents: agentsFor(), maxRedirects: 3 })).rejects.toBeInstanceOf(
      TooManyRedirectsError,
    );
    expect(allowed.hits).toHaveLength(4);
  });

  it("returns the redirect itself when redirects are off", async () => {
    const { response } = await egressRequest(`http://127.0.0.1:${allowed.port}/loop`, { agents: agentsFor(), maxRedirects: 0 });
    expect(response.statusCode).toBe(302);
    response.resume();
  });

  it("drops credentials on a cross-origin redirect", async () => {
    const to = encodeURIComponent(`http://localhost:${allowed.port}/next`);
    const agents = agentsFor({ allow: parseEgressAllow(`127.0.0.1:${allowed.port}, localhost:${allowed.port}`) });
    const { response } = await egressRequest(`http://127.0.0.1:${allowed.port}/redirect?to=${to}`, {
      agents,
      headers: { Authorization: "Bearer t", Cookie: "a=b", "X-Keep": "1" },
    });
    response.resume();
    expect(allowed.hits[0].headers).toMatchObject({ authorization: "Bearer t", cookie: "a=b" });
    expect(allowed.hits[1].headers).not.toHaveProperty("authorization");
    expect(allowed.hits[1].headers).not.toHaveProperty("cookie");
    expect(allowed.hits[1].headers["x-keep"]).toBe("1");
  });

  it("reaches anything with allowPrivate", async () => {
    const { response } = await egressRequest(`http://localhost:${internal.port}/`, { agents: agentsFor({ allowPrivate: true, allow: [] }) });
    expect(response.statusCode).toBe(200);
    response.resume();
  });

  it("stops when aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(egressRequest(`http://127.0.0.1:${allowed.port}/`, { agents: agentsFor(), signal: controller.signal })).rejects.toMatchObject({
      name: "AbortError",
    });
  });
});

describe("the agents on their own", () => {
  // Node calls `lookup` only for names; these prove the literal path is checked too.
  function get(options: http.RequestOptions): Promise<number> {
    return new Promise((resolve, reject) => {
      http
        .get(options, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on("error", reject);
    });
  }

  it.each(["127.0.0.1", "::ffff:127.0.0.1", "::1", "localhost"])("refuse host %s without a URL pre-check", async (host) => {
    const agent = agentsFor().http;
    await expect(get({ host, port: internal.port, agent })).rejects.toBeInstanceOf(EgressBlockedError);
    expect(internal.hits).toHaveLength(0);
  });

  it("ignore a caller-supplied lookup", async () => {
    const agent = agentsFor({ resolve: fakeResolver({ "video.example": ["127.0.0.1"] }) }).http;
    const sneaky: typeof dns.lookup = ((_host: string, _options: unknown, callback: (e: null, a: string, f: number) => void) =>
      callback(null, "8.8.8.8", 4)) as unknown as typeof dns.lookup;
    await expect(get({ host: "video.example", port: internal.port, agent, lookup: sneaky })).rejects.toBeInstanceOf(EgressBlockedError);
    expect(internal.hits).toHaveLength(0);
  });

  it("refuse unix sockets", async () => {
    await expect(get({ socketPath: "/var/run/docker.sock", path: "/", agent: agentsFor().http })).rejects.toMatchObject({
      reason: "unix_socket",
    });
  });

  it("connect to an allowed literal", async () => {
    expect(await get({ host: "127.0.0.1", port: allowed.port, agent: agentsFor().http })).toBe(200);
  });
});

describe("egressConnect", () => {
  function outcome(socket: net.Socket): Promise<"connected" | Error> {
    return new Promise((resolve) => {
      socket.once("connect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.once("error", resolve);
    });
  }

  it("opens allowed connections and refuses the rest with an error event", async () => {
    const egress: EgressConnectOptions = { allowPrivate: false, allow: parseEgressAllow(`127.0.0.1:${allowed.port}`) };
    expect(await outcome(egressConnect({ host: "127.0.0.1", port: allowed.port }, egress))).toBe("connected");
    expect(await outcome(egressConnect({ host: "127.0.0.1", port: internal.port }, egress))).toBeInstanceOf(EgressBlockedError);
    expect(await outcome(egressConnect({ host: "localhost", port: internal.port }, egress))).toBeInstanceOf(EgressBlockedError);
  });

  it("passes resolver failures through", async () => {
    const egress: EgressConnectOptions = { allowPrivate: false, allow: [], resolve: fakeResolver({}) };
    expect(await outcome(egressConnect({ host: "nowhere.example", port: 443 }, egress))).toMatchObject({ code: "ENOTFOUND" });
  });
});
