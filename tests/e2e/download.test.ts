import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { launchBrowser, screenshot } from "../support/browser";
import { uniqueEmail } from "../support/http";

const SUBMIT = '[data-testid="analyze-form"] button[type="submit"]';

let app: RunningApp;
let origin: Origin;
let fixtures: MediaFixtures;
let browser: Browser;
let sql: postgres.Sql;

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  origin = await startOrigin(fixtures, { throttleBytesPerSecond: 256 * 1024 });
  [app, browser] = await Promise.all([
    startApp({ env: { ...egressAllow(origin), REDIS_URL: process.env.REDIS_URL!.replace(/\/\d+$/, "/7") } }),
    launchBrowser(),
  ]);
  sql = postgres(process.env.DATABASE_URL!, { max: 1 });
});

afterAll(async () => {
  await sql?.end();
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

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const percentOf = (page: Page) => page.getAttribute('[data-testid="manager"] [role="progressbar"]', "aria-valuenow").then(Number);
/** What the server recorded for the link on the page (found by the SHA-256 it stores). */
async function tokenRow(href: string) {
  const token = decodeURIComponent(new URL(href, app.baseUrl).pathname.split("/")[4]);
  const hash = createHash("sha256").update(token).digest("hex");
  const [row] = await sql<{ stream_count: number; bytes_served: string; revoked: boolean }[]>`
    select stream_count, bytes_served, revoked_at is not null as revoked from stream_tokens where token_hash = ${hash}`;
  return { ...row, bytes_served: Number(row.bytes_served) };
}
const linkOnPage = async (page: Page) => (await page.getAttribute('[data-testid="save-link"]', "href"))!;

describe("downloading in a real browser", () => {
  it("one click on the recommended format makes the link and saves the file, identical to the origin's", async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signUpAndAnalyse(page, origin.slowUrl("mp4"));
    expect(await page.getAttribute('[data-testid="download-best"]', "data-format-id")).toBe("mp4");
    await screenshot(page, "download-1-recommended");

    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.click('[data-testid="download-best"]')]);
    await page.waitForSelector('[data-testid="manager"][data-state="done"]');
    expect(await page.textContent('[data-testid="expiry"]')).toMatch(/Link expires in (29|30):\d\d/);
    expect(await percentOf(page)).toBe(100);
    await screenshot(page, "download-2-done");
    expect(download.suggestedFilename()).toBe("sample.mp4");
    expect(sha(await download.path())).toBe(fixtures.files.mp4.sha256);
    await context.close();
  });

  it("with JavaScript off, one click downloads at once (303 to the link), listed on /tokens and revoked there", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, acceptDownloads: true, viewport: { width: 375, height: 800 } });
    const page = await context.newPage();
    await signUpAndAnalyse(page, origin.url("webm"));
    const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-format-id="webm"] button[type="submit"]')]);
    expect(sha(await download.path())).toBe(fixtures.files.webm.sha256);
    expect(download.suggestedFilename()).toBe("sample.webm");
    const href = download.url();
    await screenshot(page, "flow-js-off-downloaded");

    await page.goto(`${app.baseUrl}/tokens`);
    expect(await page.locator('[data-testid="token"]').count()).toBe(1);
    await screenshot(page, "tokens-js-off");
    await page.click('button[value="revoke"]');
    await page.waitForSelector('[data-testid="notice"]');
    expect(await page.locator('[data-testid="token"]').count()).toBe(0);
    expect((await fetch(href)).status).toBe(410);
    await context.close();
  });

  it("pauses a direct download halfway, resumes it with Range, and saves a file identical to the origin's", async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signUpAndAnalyse(page, origin.slowUrl("mp4"));
    await page.click('[data-format-id="mp4"] button[type="submit"]');
    await expect.poll(() => percentOf(page), { timeout: 15_000 }).toBeGreaterThanOrEqual(25);
    await page.click('[data-testid="manager-pause"]');
    await page.waitForSelector('[data-testid="manager"][data-state="paused"]');
    const pausedAt = await page.textContent('[data-testid="manager-progress"]');
    const pausedPercent = await percentOf(page);
    expect(pausedPercent).toBeLessThan(100);
    await screenshot(page, "manager-1-paused");
    await new Promise((r) => setTimeout(r, 1_000));
    // Paused means nothing flows: the figures stand still.
    expect(await page.textContent('[data-testid="manager-progress"]')).toBe(pausedAt);

    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.click('[data-testid="manager-resume"]')]);
    await page.waitForSelector('[data-testid="manager"][data-state="done"]');
    await screenshot(page, "manager-2-done");
    expect(download.suggestedFilename()).toBe("sample.mp4");
    expect(sha(await download.path())).toBe(fixtures.files.mp4.sha256);
    // Two requests served the file: the first until the pause, the second with Range from there.
    const href = await linkOnPage(page);
    await expect.poll(() => tokenRow(href)).toMatchObject({ stream_count: 2 });
    expect((await tokenRow(href)).bytes_served).toBeGreaterThanOrEqual(fixtures.files.mp4.size);
    await context.close();
  });

  it("cancels: the link is revoked and the server stops sending", async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 800 } });
    const page = await context.newPage();
    await signUpAndAnalyse(page, origin.slowUrl("mp4"));
    await page.click('[data-format-id="mp4"] button[type="submit"]');
    const href = await linkOnPage(page);
    await expect.poll(() => percentOf(page), { timeout: 15_000 }).toBeGreaterThan(0);
    await page.click('[data-testid="manager-cancel"]');
    await page.waitForSelector('[data-testid="manager"][data-state="cancelled"]');
    await screenshot(page, "manager-3-cancelled");
    expect((await fetch(new URL(href, app.baseUrl))).status).toBe(410);
    // The stream ended on the server (its end is recorded) well short of the file.
    await expect.poll(() => tokenRow(href), { timeout: 10_000 }).toMatchObject({ stream_count: 1, revoked: true });
    expect((await tokenRow(href)).bytes_served).toBeLessThan(fixtures.files.mp4.size);
    await context.close();
  });

  it("explains that a converted format cannot be paused", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signUpAndAnalyse(page, origin.pageUrl("split"));
    await page.click('[data-format-id="best"] button[type="submit"]');
    await page.waitForSelector('[data-testid="manager"]');
    expect(await page.textContent('[data-testid="manager"]')).toContain("cannot be paused");
    expect(await page.locator('[data-testid="manager-pause"]').count()).toBe(0);
    await context.close();
  });
});
