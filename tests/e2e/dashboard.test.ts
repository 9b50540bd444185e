import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { analyzed, createToken, plainFormat } from "../support/api";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { launchBrowser, screenshot } from "../support/browser";
import { signedUpClient, uniqueEmail, type Client } from "../support/http";

const PASSWORD = "a long password";
const ADMIN_EMAIL = uniqueEmail("dash-admin");
const COUNT = '[data-testid="active-stream-count"]';

let app: RunningApp;
let origin: Origin;
let browser: Browser;
let user: Client & { email: string };

beforeAll(async () => {
  origin = await startOrigin(await ensureMediaFixtures());
  [app, browser] = await Promise.all([
    startApp({ env: { ...egressAllow(origin), ADMIN_EMAILS: ADMIN_EMAIL, REDIS_URL: process.env.REDIS_URL!.replace(/\/\d+$/, "/4") } }),
    launchBrowser(),
  ]);
  user = await signedUpClient(app.baseUrl, "dash-user");
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await origin?.close();
});

async function signUpAdmin(page: Page) {
  await page.goto(`${app.baseUrl}/signup`);
  await page.fill('input[name="email"]', ADMIN_EMAIL);
  await page.fill('input[name="password"]', PASSWORD);
  await page.fill('input[name="confirmPassword"]', PASSWORD);
  await page.click('main button[type="submit"]');
  await page.waitForSelector('[data-testid="analyze-form"]');
}

/** A download the client holds open: it reads the first bytes, then stops reading. */
async function startHeldDownload() {
  const analysis = await analyzed(user, origin.slowUrl("mp4"));
  const { body } = await createToken(user, analysis.requestId, plainFormat(analysis).id);
  const response = await fetch(`${app.baseUrl}${body.streamUrl}`);
  const reader = response.body!.getReader();
  await reader.read();
  return { reader, tokenId: body.tokenId };
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>) {
  for (;;) if ((await reader.read()).done) return;
}

describe("the operations dashboard in a real browser", () => {
  it("shows a running download live, and stops it when the admin revokes its link", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await signUpAdmin(page);
    await page.click("text=Dashboard");
    await page.waitForURL(/\/dashboard$/);
    await page.waitForSelector('[data-testid="live-state"]:has-text("Live")');
    expect(await page.textContent(COUNT)).toBe("0");
    // Marks this document: a reload would lose it.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));

    const held = await startHeldDownload();
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "1", COUNT, { timeout: 10_000 });
    const row = page.locator('[data-testid="active-streams"] tbody tr');
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain(user.email);
    expect(await row.textContent()).toContain("sample");
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    await screenshot(page, "dashboard-1-streaming");

    await row.locator('button:has-text("Revoke")').click();
    await page.waitForSelector('[data-testid="notice"]:has-text("was revoked")');
    await expect(drain(held.reader)).rejects.toThrow();
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "0", COUNT, { timeout: 10_000 });
    await screenshot(page, "dashboard-2-revoked");

    await page.fill('input[name="email"]', user.email);
    await page.selectOption('select[name="tier"]', "pro");
    await page.click('button:has-text("Change plan")');
    await page.waitForSelector(`[data-testid="notice"]:has-text("${user.email} is now on the Pro plan")`);
    expect(await (await user.request("/account")).text()).toMatch(/data-testid="tier"[^>]*>Pro</);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("is readable with JavaScript off, on a phone", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 375, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/login?redirectTo=/dashboard`);
    await page.fill('input[name="email"]', ADMIN_EMAIL);
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('main button[type="submit"]');
    await page.waitForURL(/\/dashboard$/);
    expect(await page.textContent(COUNT)).toBe("0");
    expect(await page.textContent('[data-testid="live-state"]')).toContain("Snapshot");
    expect(await page.locator('[data-testid="queues"] tbody tr').count()).toBe(2);
    expect(await page.locator('[data-testid="processes"] tbody tr').count()).toBeGreaterThanOrEqual(1);
    await screenshot(page, "dashboard-3-js-off-375");
    // Wide tables scroll inside their own box; the page itself never scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    await context.close();
  });
});
