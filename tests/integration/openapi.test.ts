/**
 * GET /api/openapi.json: a valid OpenAPI 3.1 document (checked by a real
 * validator) listing every API route the app has, whose response schemas
 * match what the endpoints really answer; GET /api/docs renders it from the
 * app's own assets under the nonce CSP.
 */
import { readdirSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app";
import { Client, signedUpClient, uniqueEmail } from "../support/http";
import { openApiContract } from "../support/openapi";

const METRICS_TOKEN = "metrics-token-for-the-openapi-test";
const ADMIN = uniqueEmail("openapi-admin");
let app: RunningApp;
let contract: Awaited<ReturnType<typeof openApiContract>>;

beforeAll(async () => {
  app = await startApp({ env: { METRICS_TOKEN, ADMIN_EMAILS: ADMIN } });
  contract = await openApiContract(app.baseUrl);
});

afterAll(async () => {
  await app?.stop();
});

/**
 * Remix flat-route file names of the JSON API → OpenAPI paths (`$param` → `{param}`, `[.]` → `.`);
 * an optional segment `($param)` is two paths, with and without it.
 */
function apiRoutePaths() {
  return readdirSync("app/routes")
    .filter((file) => /^api\.(streaming|monitoring|keys)\b/.test(file))
    .flatMap((file) => {
      const parts = file.replace(/\.tsx?$/, "").split(".");
      const required = parts.filter((part) => !/^\(\$\w+\)$/.test(part));
      const variants = required.length === parts.length ? [parts] : [required, parts.map((part) => part.replace(/^\((\$\w+)\)$/, "$1"))];
      return variants.map((variant) => `/${variant.map((part) => (part.startsWith("$") ? `{${part.slice(1)}}` : part)).join("/")}`);
    });
}

describe("the OpenAPI document", () => {
  it("passes an OpenAPI 3.1 validator", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(contract.document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("lists every API route of the app, with its error shape and auth schemes", () => {
    const documented = Object.keys(contract.document.paths);
    expect(new Set(documented)).toEqual(new Set(apiRoutePaths()));
    const operations = Object.entries(contract.document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        "POST /api/streaming/analyze",
        "GET /api/streaming/analyze/{requestId}",
        "POST /api/streaming/token",
        "GET /api/streaming/stream/{token}",
        "GET /api/streaming/stream/{token}/{name}",
        "POST /api/streaming/token/{token}/refresh",
        "DELETE /api/streaming/token/{token}",
        "GET /api/streaming/tokens",
        "GET /api/keys",
        "POST /api/keys",
        "DELETE /api/keys/{id}",
        "GET /api/monitoring/health",
        "GET /api/monitoring/metrics",
        "GET /api/monitoring/queues",
        "GET /api/monitoring/status",
        "POST /api/monitoring/cleanup",
      ].sort(),
    );
    const document = contract.document as unknown as { components: { securitySchemes: Record<string, { type: string; scheme?: string; in?: string }> } };
    expect(document.components.securitySchemes).toMatchObject({
      session: { type: "apiKey", in: "cookie" },
      apiKey: { type: "http", scheme: "bearer" },
      metricsToken: { type: "http", scheme: "bearer" },
    });
  });

  it("describes what the monitoring endpoints and errors really answer", async () => {
    const scraper = new Client(app.baseUrl, { Authorization: `Bearer ${METRICS_TOKEN}` });
    const health = await fetch(`${app.baseUrl}/api/monitoring/health`);
    contract.expectConforms("GET", "/api/monitoring/health", health.status, await health.json());
    for (const path of ["/api/monitoring/metrics", "/api/monitoring/queues", "/api/monitoring/status"]) {
      const response = await scraper.request(path);
      expect(response.status, path).toBe(200);
      contract.expectConforms("GET", path, 200, await response.json());
    }
    const admin = new Client(app.baseUrl);
    const password = "a long enough password";
    expect((await admin.post("/signup", { email: ADMIN, password, confirmPassword: password })).status).toBe(302);
    const cleanup = await admin.request("/api/monitoring/cleanup", { method: "POST" });
    expect(cleanup.status).toBe(200);
    contract.expectConforms("POST", "/api/monitoring/cleanup", 200, await cleanup.json());

    const anonymous = await fetch(`${app.baseUrl}/api/monitoring/queues`);
    expect(anonymous.status).toBe(401);
    contract.expectConforms("GET", "/api/monitoring/queues", 401, await anonymous.json());
    const user = await signedUpClient(app.baseUrl, "openapi-user");
    const forbidden = await user.request("/api/monitoring/status");
    expect(forbidden.status).toBe(403);
    contract.expectConforms("GET", "/api/monitoring/status", 403, await forbidden.json());
    const badUrl = await user.request("/api/streaming/analyze", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ url: "ftp://x" }),
    });
    expect(badUrl.status).toBe(400);
    contract.expectConforms("POST", "/api/streaming/analyze", 400, await badUrl.json());
  });
});

describe("GET /api/docs", () => {
  it("serves the docs page and its assets from the app, under the nonce CSP", async () => {
    const page = await fetch(`${app.baseUrl}/api/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const csp = page.headers.get("Content-Security-Policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).not.toContain("unsafe-eval");
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attributes of scripts) expect(attributes).toContain(`nonce="${nonce}"`);
    const assets = [...html.matchAll(/(?:src|href)="(\/api\/docs\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const response = await fetch(`${app.baseUrl}${asset}`);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get("Content-Type"), asset).toMatch(/^text\/(css|javascript)/);
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(10_000);
    }
    expect((await fetch(`${app.baseUrl}/api/docs/package.json`)).status).toBe(404);
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
  });
});
