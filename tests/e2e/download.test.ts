import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { startApp, type RunningApp } from "../support/app";
import { launchBrowser, screenshot } from "../support/browser";
import { uniqueEmail } from "../support/http";

const SUBMIT = '[data-testid="analyze-form"] button[type="submit"]';

let app: RunningApp;
let origin: Origin;
let fixtures: MediaFixtures;
let browser: Browser;

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures, { throttleBytesPerSecond: 256 * 1024 });
  [app, browser] = await Promise.all([
    startApp({ env: { ALLOW_PRIVATE_NETWORKS: "true", REDIS_URL: process.env.REDIS_URL!.replace(/\/\d+$/, "/7") } }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await origin?.close();
});

async function signUpAndAnalyse(page: Page, url: string) {
  await page.goto(`${app.baseUrl}/signup`);
  await page.fill('input[name="email"]', uniqueEmail("e2e-download"));
  await page.fill('input[name="password"]', "a long password");
  await page.fill('input[name="confirmPassword"]', "a long password");
  await page.click('main button[type="submit"]');
  await page.waitForSelector('[data-testid="analyze-form"]');
  await page.fill('input[name="url"]', url);
  await page.click(SUBMIT);
  await page.waitForSelector('[data-testid="analysis"][data-status="completed"]', { timeout: 30_000 });
}

describe("downloading in a real browser", () => {
  it("creates a link, downloads the file, and the progress panel reaches 100 %", async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signUpAndAnalyse(page, origin.slowUrl("mp4"));

    await page.click('[data-format-id="mp4"] button[type="submit"]');
    await page.waitForSelector('[data-testid="download-panel"]');
    expect(await page.textContent('[data-testid="expiry"]')).toMatch(/Link expires in (29|30):\d\d/);
    await screenshot(page, "download-1-link");

    const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="save-link"]')]);
    await page.waitForSelector('[data-testid="progress"]');
    await screenshot(page, "download-2-progress");
    await page.waitForSelector('[data-testid="download-panel"][data-status="completed"]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid="progress-text"]')).toContain("100%");
    expect(await page.getAttribute('[role="progressbar"][aria-label="Download progress"]', "aria-valuenow")).toBe("100");
    await screenshot(page, "download-3-done");

    expect(download.suggestedFilename()).toBe("sample.mp4");
    const saved = await download.path();
    expect(createHash("sha256").update(readFileSync(saved!)).digest("hex")).toBe(fixtures.files.mp4.sha256);
    await context.close();
  });

  it("lists the link on /tokens and revokes it, with JavaScript off", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 375, height: 800 } });
    const page = await context.newPage();
    await signUpAndAnalyse(page, origin.url("m4a"));
    await page.click('[data-testid="format"]:not([data-format-id="audio"]) button[type="submit"]');
    await page.waitForSelector('[data-testid="download-panel"]');
    const href = await page.getAttribute('[data-testid="save-link"]', "href");

    await page.goto(`${app.baseUrl}/tokens`);
    expect(await page.locator('[data-testid="token"]').count()).toBe(1);
    await screenshot(page, "tokens-js-off");
    await page.click('button[value="revoke"]');
    await page.waitForSelector('[data-testid="notice"]');
    expect(await page.locator('[data-testid="token"]').count()).toBe(0);
    expect((await fetch(`${app.baseUrl}${href}`)).status).toBe(410);
    await context.close();
  });
});
