/** The SSRF guard as deployed: on by default, refusing private targets before anything is queued. */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app";
import { signedUpClient, type Client } from "../support/http";

let app: RunningApp;
let client: Client & { email: string };
let sql: postgres.Sql;

beforeAll(async () => {
  app = await startApp({ worker: false, env: { ALLOW_PRIVATE_NETWORKS: "false" } });
  client = await signedUpClient(app.baseUrl, "ssrf");
  sql = postgres(process.env.DATABASE_URL!, { max: 1 });
});

afterAll(async () => {
  await app?.stop();
  await sql?.end();
});

async function analyze(url: string) {
  const response = await client.request("/api/streaming/analyze", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ url }),
  });
  return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
}

describe("the egress policy (on by default)", () => {
  it.each([
    "http://127.0.0.1:8080/video.mp4",
    "http://127.1.2.3/",
    "http://10.0.0.1/video",
    "http://172.16.0.10/",
    "http://192.168.0.1/admin",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://0.0.0.0:3000/",
    "http://224.0.0.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[64:ff9b::a00:1]/",
    "http://localhost./",
    "http://[2002:7f00:1::]/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
  ])("refuses %s with 422 blocked_address", async (url) => {
    const { status, body } = await analyze(url);
    expect(status).toBe(422);
    expect(body.error?.code).toBe("blocked_address");
    expect(body.error?.message).toMatch(/is not allowed/);
  });

  it("refuses a link-local address with a zone id (not even a valid URL)", async () => {
    const { status, body } = await analyze("http://[fe80::1%25eth0]/");
    expect(status).toBe(400);
    expect(body.error?.code).toBe("invalid_url");
  });

  it("refuses a host that does not resolve", async () => {
    const { status, body } = await analyze("http://no-such-host.invalid/video");
    expect(status).toBe(422);
    expect(body.error!.code).toBe("unresolvable_host");
  });

  it("records and queues nothing for a refused URL", async () => {
    await analyze("http://169.254.169.254/latest/meta-data/");
    const rows = await sql`select count(*)::int as n from analysis_requests a join users u on u.id = a.user_id where u.email = ${client.email}`;
    expect(rows[0].n).toBe(0);
  });
});
