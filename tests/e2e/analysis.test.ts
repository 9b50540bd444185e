import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Origin } from "../fixtures/origin";
import type { RunningApp } from "../support/app";
import { screenshot, signUpInBrowser, startBrowserWorld, stopBrowserWorld } from "../support/browser";

const SUBMIT = '[data-testid="analyze-form"] button[type="submit"]';

let app: RunningApp;
let origin: Origin;
let browser: Browser;

beforeAll(async () => {
  ({ app, origin, browser } = await startBrowserWorld({ redisDb: 4, env: { ANALYSIS_CACHE_TTL_SECONDS: "0" } }));
});

afterAll(() => stopBrowserWorld({ app, origin, browser }));

const signUp = (page: Page) => signUpInBrowser(page, app.baseUrl, "e2e-analysis");

describe("analysing a link in a real browser", () => {
  it("updates live from the socket with JavaScript on, without reloading the page", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signUp(page);
    await screenshot(page, "analysis-js-on-1-home");

    // A page that answers late, so the result page is seen waiting first.
    await page.fill('input[name="url"]', origin.delayedPageUrl("video", 1_500));
    await page.click(SUBMIT);
    await page.waitForURL(/\/analyze\/[0-9a-f-]{36}$/);
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = "same document"));
    expect(await page.getAttribute('[data-testid="analysis"]', "data-status")).toMatch(/queued|active/);
    await screenshot(page, "analysis-js-on-2-waiting");

    await page.waitForSelector('[data-testid="analysis"][data-status="completed"]', { timeout: 30_000 });
    // Still the same document: the result arrived over the socket, not by a reload.
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe("same document");
    expect(await page.textContent('[data-testid="title"]')).toContain("Tải video nhanh – thử nghiệm");
    const formats = await page.$$eval('[data-testid="format"]', (rows) => rows.map((r) => r.getAttribute("data-format-id")));
    expect(formats).toEqual(expect.arrayContaining(["0", "1", "audio"]));
    expect(await page.textContent("body")).toContain("360p · MP4 · H.264 + AAC");
    await screenshot(page, "analysis-js-on-3-result");

    // Back home, the analysis is in the recent list.
    await page.click("text=Analyse another link");
    await page.waitForSelector('[data-testid="recent-list"]');
    expect(await page.textContent('[data-testid="recent-list"]')).toContain("Tải video nhanh");
    await context.close();
  });

  it("refreshes itself until done with JavaScript off, and explains a failure (no 'Try again' when another try cannot help)", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 375, height: 800 } });
    const page = await context.newPage();
    await signUp(page);

    await page.fill('input[name="url"]', origin.delayedPageUrl("video", 2_500));
    await page.click(SUBMIT);
    await page.waitForURL(/\/analyze\//);
    expect(await page.getAttribute('[data-testid="analysis"]', "data-status")).toMatch(/queued|active/);
    await screenshot(page, "analysis-js-off-1-waiting");
    await page.waitForSelector('[data-testid="analysis"][data-status="completed"]', { timeout: 30_000 });
    await screenshot(page, "analysis-js-off-2-result");

    await page.goto(`${app.baseUrl}/`);
    await page.fill('input[name="url"]', origin.pageUrl("novideo"));
    await page.click(SUBMIT);
    await page.waitForSelector('[data-testid="analysis"][data-status="failed"]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid="analysis-error"]')).toContain("No video was found at this address.");
    await screenshot(page, "analysis-js-off-3-failed");
    // "No video" is permanent: the page offers another link, not the same one again.
    expect(await page.locator("text=Try again").count()).toBe(0);
    await page.click("text=Analyse another link");
    await page.waitForSelector('[data-testid="analyze-form"]');
    await context.close();
  });

  it("explains a refused address on the form itself", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signUp(page);
    await page.fill('input[name="url"]', "ftp://example.com/file.mp4");
    await page.click(SUBMIT);
    await page.waitForSelector("text=Only http:// and https:// addresses can be analysed.");
    await context.close();
  });
});
