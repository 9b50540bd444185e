/**
 * The API keys section of /account in a real browser, with JavaScript on
 * and off: a key is made (shown once, copied with the button when JS runs),
 * works as a Bearer key, and dies when revoked. And /api/docs renders the
 * OpenAPI document with the app's own Swagger UI under its CSP.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app";
import { launchBrowser, screenshot } from "../support/browser";
import { uniqueEmail } from "../support/http";

const PASSWORD = "a long password";

let app: RunningApp;
let browser: Browser;

beforeAll(async () => {
  [app, browser] = await Promise.all([startApp({ worker: false }), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

/** Page errors and console errors (CSP violations land there), except the deliberate 400 below. */
function collectErrors(page: Page) {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/status of 400/.test(msg.text())) errors.push(msg.text());
  });
  return errors;
}

async function signUp(page: Page, label: string) {
  await page.goto(`${app.baseUrl}/signup`);
  await page.fill('input[name="email"]', uniqueEmail(`keys-${label}`));
  await page.fill('input[name="password"]', PASSWORD);
  await page.fill('input[name="confirmPassword"]', PASSWORD);
  await page.click('main button[type="submit"]');
  await page.waitForSelector("#recent-heading");
}

const tokensWith = (key: string) => fetch(`${app.baseUrl}/api/streaming/tokens`, { headers: { Authorization: `Bearer ${key}` } }).then((r) => r.status);

async function makeUseAndRevokeKey(context: BrowserContext, label: string, whenShown: (page: Page, key: string) => Promise<void> = async () => {}) {
  const page = await context.newPage();
  const errors = collectErrors(page);
  await signUp(page, label);
  await page.goto(`${app.baseUrl}/account`);
  await page.waitForSelector('[data-testid="api-keys"]');
  expect(await page.textContent('[data-testid="api-keys"]')).toContain("No API keys yet.");

  // A blank name is explained, nothing is made.
  await page.fill('[data-testid="api-keys"] input[name="name"]', "   ");
  await page.click('button[value="create-key"]');
  await expect.poll(() => page.textContent('[data-testid="api-keys"]')).toContain("Give the key a name");

  await page.fill('[data-testid="api-keys"] input[name="name"]', `${label} script`);
  await page.click('button[value="create-key"]');
  const key = (await (await page.waitForSelector('[data-testid="new-key-value"]')).textContent()) ?? "";
  expect(key).toMatch(/^tvn_[\w-]{40,}$/);
  expect(await page.textContent('[data-testid="key-list"]')).toContain(`${label} script`);
  await screenshot(page, `api-keys-${label}-created`);
  await whenShown(page, key);
  expect(await tokensWith(key)).toBe(200);

  // Shown once: a reload lists the key by name and prefix only.
  await page.goto(`${app.baseUrl}/account`);
  expect(await page.textContent("body")).not.toContain(key);
  expect(await page.textContent('[data-testid="key"]')).toContain(key.slice(0, 10));

  await page.click('button[value="revoke-key"]');
  await expect.poll(() => page.textContent('[data-testid="api-keys"]')).toContain("The key was revoked");
  await expect.poll(() => page.$$('[data-testid="key"]').then((rows) => rows.length)).toBe(0);
  expect(await tokensWith(key)).toBe(401);
  expect(errors).toEqual([]);
  return { page, key };
}

describe("API keys on /account", () => {
  it("makes, copies, uses and revokes a key with JavaScript on", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.baseUrl });
    const { page } = await makeUseAndRevokeKey(context, "js-on", async (shown, key) => {
      await shown.click('[data-testid="new-key"] [data-testid="copy-link"]');
      await expect.poll(() => shown.evaluate(() => navigator.clipboard.readText())).toBe(key);
      expect(await shown.textContent('[data-testid="new-key"] [data-testid="copy-link"]')).toBe("Copied");
    });
    // Hydrated: the forms were submitted by Remix, not by full page loads.
    expect(await page.evaluate(() => "__remixContext" in window)).toBe(true);
    await context.close();
  });

  it("makes, uses and revokes a key with JavaScript off", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const { page } = await makeUseAndRevokeKey(context, "js-off");
    expect(await page.$('[data-testid="copy-link"]')).toBeNull();
    await context.close();
  });
});

describe("GET /api/docs", () => {
  it("renders every documented operation without a CSP violation", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${app.baseUrl}/api/docs`);
    await page.waitForSelector(".opblock");
    const operations = await page.$$eval(".opblock-summary-path", (nodes) => nodes.map((n) => n.getAttribute("data-path")));
    expect(operations).toEqual(expect.arrayContaining(["/api/keys", "/api/keys/{id}", "/api/streaming/analyze", "/api/monitoring/health"]));
    expect(operations).toHaveLength(16);
    await screenshot(page, "api-docs");
    expect(errors).toEqual([]);
    await context.close();
  });
});
