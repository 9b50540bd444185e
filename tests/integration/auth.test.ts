import { randomBytes } from "node:crypto";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis } from "../../scripts/lib/services";
import { startApp, type RunningApp } from "../support/app";
import { Client, uniqueEmail } from "../support/http";

const PASSWORD = "correct horse battery";
const ADMIN = uniqueEmail("admin");

let app: RunningApp;
let sql: postgres.Sql;

beforeAll(async () => {
  app = await startApp({ env: { ADMIN_EMAILS: ADMIN.toUpperCase() }, worker: false });
  sql = postgres(process.env.DATABASE_URL!, { max: 2 });
});

afterAll(async () => {
  await app?.stop();
  await sql?.end();
});

async function signUp(client: Client, email: string, password = PASSWORD) {
  return client.post("/signup", { email, password, confirmPassword: password });
}

describe("sign up, log in, log out", () => {
  it("signs up, lands on / with a session, and shows the tier on /account", async () => {
    const client = new Client(app.baseUrl);
    const email = uniqueEmail("new");
    const response = await signUp(client, email);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/");
    const setCookie = response.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/tvn_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    // Plain http: `auto` leaves Secure off so self-hosting on a LAN address works.
    expect(setCookie).not.toMatch(/;\s*Secure/i);

    const account = await client.request("/account");
    expect(account.status).toBe(200);
    const html = await account.text();
    expect(html).toContain(email);
    expect(html).toMatch(/data-testid="tier"[^>]*>Free</);

    const [user] = await sql`select id, tier, role, password_hash from users where email = ${email}`;
    expect(user).toMatchObject({ tier: "free", role: "user" });
    expect(user.password_hash).toMatch(/^\$argon2id\$/);
    const sessions = await sql`select ip, user_agent, revoked_at from sessions where user_id = ${user.id}`;
    expect(sessions).toHaveLength(1);
    expect(sessions[0].ip).toBe("127.0.0.1");
  });

  it("refuses a second account for the same email, whatever its case", async () => {
    const email = uniqueEmail("dup");
    expect((await signUp(new Client(app.baseUrl), email)).status).toBe(302);
    const again = await signUp(new Client(app.baseUrl), email.toUpperCase());
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("already exists");
  });

  it("shows a field error for each invalid input and keeps no password in the page", async () => {
    const response = await new Client(app.baseUrl).post("/signup", {
      email: "not-an-email",
      password: "short",
      confirmPassword: "different",
    });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("Enter a valid email address");
    expect(html).toContain("Use at least 8 characters");
    expect(html).not.toContain('value="short"');
  });

  it("logs out: the cookie is cleared and the old session id no longer works", async () => {
    const client = new Client(app.baseUrl);
    await signUp(client, uniqueEmail("logout"));
    const stolenCookie = `tvn_session=${client.cookie("tvn_session")}`;

    const out = await client.request("/logout", { method: "POST" });
    expect(out.status).toBe(302);
    expect(client.cookie("tvn_session")).toBeUndefined();

    const replay = await fetch(`${app.baseUrl}/account`, { headers: { Cookie: stolenCookie }, redirect: "manual" });
    expect(replay.status).toBe(302);
    expect(replay.headers.get("location")).toBe("/login?redirectTo=%2Faccount");
  });

  it("logs in with the right password only", async () => {
    const email = uniqueEmail("login");
    await signUp(new Client(app.baseUrl), email);

    const wrong = await new Client(app.baseUrl).post("/login", { email, password: "wrong password" });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("do not match an account");

    const unknown = await new Client(app.baseUrl).post("/login", { email: uniqueEmail("nobody"), password: PASSWORD });
    expect(unknown.status).toBe(401);

    const client = new Client(app.baseUrl);
    const right = await client.post("/login", { email: email.toUpperCase(), password: PASSWORD });
    expect(right.status).toBe(302);
    expect((await client.request("/account")).status).toBe(200);
  });

  it("follows redirectTo after login, but only to paths on this site", async () => {
    const email = uniqueEmail("redirect");
    await signUp(new Client(app.baseUrl), email);

    const guarded = await new Client(app.baseUrl).request("/account");
    expect(guarded.headers.get("location")).toBe("/login?redirectTo=%2Faccount");

    const ok = await new Client(app.baseUrl).post("/login", { email, password: PASSWORD, redirectTo: "/account" });
    expect(ok.headers.get("location")).toBe("/account");

    const evil = await new Client(app.baseUrl).post("/login", { email, password: PASSWORD, redirectTo: "//evil.example/" });
    expect(evil.headers.get("location")).toBe("/");
  });

  it("makes emails listed in ADMIN_EMAILS admins", async () => {
    const client = new Client(app.baseUrl);
    await signUp(client, ADMIN);
    expect(await (await client.request("/account")).text()).toContain("Administrator");
    const [row] = await sql`select role from users where email = ${ADMIN}`;
    expect(row.role).toBe("admin");
  });
});

describe("the web server", () => {
  it("sends security headers with a per-request CSP nonce that the page's scripts carry", async () => {
    const first = await fetch(`${app.baseUrl}/login`);
    const second = await fetch(`${app.baseUrl}/login`);
    const nonceOf = (r: Response) => r.headers.get("content-security-policy")!.match(/'nonce-([^']+)'/)![1];
    expect(nonceOf(first)).not.toBe(nonceOf(second));
    const html = await first.text();
    const scriptNonces = [...html.matchAll(/<script[^>]*nonce="([^"]+)"/g)].map((m) => m[1]);
    expect(scriptNonces.length).toBeGreaterThan(0);
    expect(new Set(scriptNonces)).toEqual(new Set([nonceOf(first)]));
    expect(first.headers.get("x-powered-by")).toBeNull();
    expect(first.headers.get("x-content-type-options")).toBe("nosniff");
    expect(first.headers.get("x-request-id")).toMatch(/^[\w-]{8,}$/);
  });

  it("caches hashed build assets for a year and public files for an hour", async () => {
    const html = await (await fetch(`${app.baseUrl}/`)).text();
    const asset = html.match(/\/build\/[^"]+\.js/)![0];
    const built = await fetch(`${app.baseUrl}${asset}`);
    expect(built.status).toBe(200);
    expect(built.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const icon = await fetch(`${app.baseUrl}/favicon.svg`);
    expect(icon.headers.get("cache-control")).toBe("public, max-age=3600");
  });

  it("answers an unknown page with a 404 page", async () => {
    const response = await fetch(`${app.baseUrl}/no-such-page`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("We could not find that page.");
  });
});

describe("sign-in rate limits", () => {
  let limited: RunningApp;

  beforeAll(async () => {
    limited = await startApp({
      worker: false,
      env: { AUTH_RATE_LIMIT_PER_EMAIL: "3", AUTH_RATE_LIMIT_PER_IP: "5", TRUST_PROXY: "loopback" },
    });
  });
  afterAll(() => limited?.stop());

  it("refuses an address after its attempts on an account, while the owner still signs in from another", async () => {
    const email = uniqueEmail("limited");
    const owner = new Client(limited.baseUrl, { "X-Forwarded-For": "198.51.100.3" });
    expect((await owner.post("/signup", { email, password: PASSWORD, confirmPassword: PASSWORD })).status).toBe(302);

    const stranger = new Client(limited.baseUrl, { "X-Forwarded-For": "198.51.100.1" });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await stranger.post("/login", { email, password: "wrong password" })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);

    // That address is refused even with the right password while its limit holds…
    const blocked = await stranger.post("/login", { email, password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(blocked.headers.get("ratelimit-limit")).toBe("3");
    expect(await blocked.text()).toMatch(/Too many attempts\. Try again in \d+ minute/);

    // …but a stranger cannot lock the owner out: from another address the right password works.
    const elsewhere = new Client(limited.baseUrl, { "X-Forwarded-For": "198.51.100.2" });
    expect((await elsewhere.post("/login", { email, password: PASSWORD })).status).toBe(302);
  });

  it("limits each client IP across emails, honouring TRUST_PROXY", async () => {
    const client = new Client(limited.baseUrl, { "X-Forwarded-For": "203.0.113.9" });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await client.post("/login", { email: uniqueEmail("ip"), password: "x" })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    // A different client address is not affected.
    const neighbour = new Client(limited.baseUrl, { "X-Forwarded-For": "203.0.113.10" });
    expect((await neighbour.post("/login", { email: uniqueEmail("ip"), password: "x" })).status).toBe(401);
  });
});

describe("when Redis is down", () => {
  it("refuses sign-in with 503 instead of skipping the limit, and recovers when Redis returns", async () => {
    const dir = path.join(process.env.TVN_TEST_SERVICES_DIR!, `redis-down-${Date.now()}`);
    const password = randomBytes(8).toString("hex");
    const redis = await startRedis({ dataDir: dir, logFile: `${dir}.log`, password, ephemeral: true });
    const isolated = await startApp({ worker: false, env: { REDIS_URL: redis.url } });
    let restarted: Awaited<ReturnType<typeof startRedis>> | undefined;
    try {
      const email = uniqueEmail("redis-down");
      expect((await signUp(new Client(isolated.baseUrl), email)).status).toBe(302);
      await redis.stop();
      const refused = await new Client(isolated.baseUrl).post("/login", { email, password: PASSWORD });
      expect(refused.status).toBe(503);
      expect(await refused.text()).toContain("Sign-in is unavailable for a moment");

      restarted = await startRedis({ dataDir: dir, logFile: `${dir}.log`, password, ephemeral: true, port: redis.port });
      let status = 0;
      for (let i = 0; i < 50 && status !== 302; i++) {
        status = (await new Client(isolated.baseUrl).post("/login", { email, password: PASSWORD })).status;
        if (status !== 302) await sleep(200);
      }
      expect(status).toBe(302);
    } finally {
      await isolated.stop();
      await redis.stop();
      await restarted?.stop();
    }
  });
});
