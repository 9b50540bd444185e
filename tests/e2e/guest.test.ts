/**
 * A visitor without an account: paste → Analyse → Download, two clicks to
 * the file, with and without JavaScript; the guest quota (per client address)
 * and its invitation to sign up; signing up keeps what the guest did.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { launchBrowser, screenshot } from "../support/browser";
import { uniqueEmail } from "../support/http";

let app: RunningApp;
let origin: Origin;
let fixtures: MediaFixtures;
let browser: Browser;

const GUEST_DAILY = 3;

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures);
  [app, browser] = await Promise.all([
    // A Redis database of its own: the guest quota counts per client address, and every test client is 127.0.0.1.
    startApp({ env: { ...egressAllow(origin), GUEST_DAILY: String(GUEST_DAILY), REDIS_URL: process.env.REDIS_URL!.replace(/\/\d+$/, "/10") } }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await origin?.close();
});

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** Click one: paste and Analyse from the home page, as a visitor who never signed up. */
async function pasteAndAnalyse(page: Page, url: string) {
  await page.goto(app.baseUrl);
  await page.fill('input[name="url"]', url);
  await page.click('[data-testid="analyze-form"] button[type="submit"]');
  await page.waitForSelector('[data-testid="analysis"][data-status="completed"]', { timeout: 30_000 });
}

describe("a guest, without an account", () => {
  it("has the file after two clicks with JavaScript on", async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 375, height: 800 } });
    const page = await context.newPage();
    await page.goto(app.baseUrl);
    expect(await page.textContent('[data-testid="signed-out-hint"]')).toContain(`${GUEST_DAILY} files a day`);
    await pasteAndAnalyse(page, origin.pageUrl("video"));
    expect(await page.isVisible('[data-testid="guest-badge"]')).toBe(true);
    await screenshot(page, "guest-1-analysed");
    // Click two.
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.click('[data-testid="download-best"]')]);
    expect(download.suggestedFilename()).toMatch(/\.mp4$/);
    expect(sha(await download.path())).toBe(fixtures.files.mp4.sha256);
    await screenshot(page, "guest-2-downloaded");
    await context.close();
  });

  it("has the file after two clicks with JavaScript off", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await pasteAndAnalyse(page, origin.url("webm"));
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.click('[data-testid="download-best"]')]);
    expect(sha(await download.path())).toBe(fixtures.files.webm.sha256);
    await context.close();
  });

  it("is refused past the daily guest quota with an invitation to sign up, and keeps its analyses after signing up", async () => {
    // Two downloads came from this address above; one more is allowed, the next is refused.
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await pasteAndAnalyse(page, origin.url("mp4"));
    await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.click('[data-testid="download-best"]')]);
    await page.reload();
    await page.click('[data-testid="download-best"]');
    const refusal = await page.textContent('[data-testid="download-error"]');
    expect(refusal).toContain(`Guests can download ${GUEST_DAILY} files a day`);
    expect(refusal).toContain("Sign up free for 10 a day");
    await screenshot(page, "guest-3-quota");

    const analysisUrl = page.url();
    await page.goto(`${app.baseUrl}/signup`);
    await page.fill('input[name="email"]', uniqueEmail("guest-signup"));
    await page.fill('input[name="password"]', "a long password");
    await page.fill('input[name="confirmPassword"]', "a long password");
    await page.click('main button[type="submit"]');
    await page.waitForSelector('[data-testid="account-link"]');
    // The guest became the account: its analysis is still its own.
    await page.goto(analysisUrl);
    expect(await page.getAttribute('[data-testid="analysis"]', "data-status")).toBe("completed");
    expect(await page.locator('[data-testid="guest-badge"]').count()).toBe(0);
    await context.close();
  });
});
