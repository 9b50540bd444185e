/**
 * Media operations in a real browser: a playlist chosen with checkboxes and
 * downloaded as one ZIP (with per-entry progress), and a clip cut from the
 * start/end fields — with JavaScript and without.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMediaFixtures, type MediaFixtures } from "../fixtures/media";
import { PLAYLIST_ENTRIES, VIETNAMESE_SUBTITLE, type Origin } from "../fixtures/origin";
import type { RunningApp } from "../support/app";
import { screenshot, signUpInBrowser, startBrowserWorld, stopBrowserWorld, type BrowserWorld } from "../support/browser";

const run = promisify(execFile);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "tvn-media-e2e-"));

const ANALYZE_SUBMIT = '[data-testid="analyze-form"] button[type="submit"]';

let world: BrowserWorld;
let app: RunningApp;
let origin: Origin;
let fixtures: MediaFixtures;
let browser: Browser;

beforeAll(async () => {
  fixtures = await ensureMediaFixtures();
  world = await startBrowserWorld({ redisDb: 9 });
  ({ app, origin, browser } = world);
});

afterAll(() => stopBrowserWorld(world ?? {}));

async function signUpAndAnalyse(page: Page, url: string) {
  await signUpInBrowser(page, app.baseUrl, "e2e-media");
  await page.fill('input[name="url"]', url);
  await page.click(ANALYZE_SUBMIT);
  await page.waitForSelector('[data-testid="analysis"][data-status="completed"]', { timeout: 30_000 });
}

/** The ZIP's files, after `unzip -t` accepted it. */
async function unzipped(zip: string) {
  await run("unzip", ["-t", zip]);
  const out = fs.mkdtempSync(path.join(work, "zip-"));
  await run("unzip", ["-q", zip, "-d", out]);
  return Object.fromEntries(
    fs.readdirSync(out).map((name) => [
      name,
      createHash("sha256")
        .update(fs.readFileSync(path.join(out, name)))
        .digest("hex"),
    ]),
  );
}

describe("playlists and clips in a real browser", () => {
  it("chooses entries with select none and checkboxes, downloads one ZIP, and shows each entry's progress", async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signUpAndAnalyse(page, origin.pageUrl("playlist"));
    expect(await page.locator('[data-testid="playlist-entry"]').count()).toBe(PLAYLIST_ENTRIES.length);
    expect(await page.locator('input[name="entries"]:checked').count()).toBe(PLAYLIST_ENTRIES.length);

    await page.click('button:has-text("Select none")');
    expect(await page.locator('input[name="entries"]:checked').count()).toBe(0);
    expect(await page.isDisabled('button:has-text("Download ZIP")')).toBe(true);
    await page.check("#entry-1");
    await page.check("#entry-2");
    await screenshot(page, "media-1-playlist");
    // One click makes the link and starts the page's download manager.
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.click('button:has-text("Download ZIP")')]);
    await page.waitForSelector('[data-testid="manager"][data-state="done"]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid="playlist-entry"][data-status="done"] >> nth=1');
    expect(await page.textContent('[data-testid="playlist-progress"]')).toBe("Entry 2 of 2");
    await screenshot(page, "media-2-playlist-done");

    expect(download.suggestedFilename()).toMatch(/\.zip$/);
    expect(await unzipped(await download.path())).toEqual({
      "Tập 1 – Mở đầu.mp4": fixtures.files.mp4.sha256,
      "Tập 2 Kết thúc.webm": fixtures.files.webm.sha256,
    });
    await context.close();
  });

  it("does the same through plain forms with JavaScript off, cuts a clip from the start/end fields, and saves subtitles", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, acceptDownloads: true, viewport: { width: 375, height: 800 } });
    const page = await context.newPage();
    await signUpAndAnalyse(page, origin.pageUrl("playlist"));
    await page.uncheck("#entry-1");
    await page.uncheck("#entry-4");
    await page.check('input[name="formatId"][value="best"]');
    // Without JS the answer is a 303 to the link: the same click downloads.
    const [zip] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.click('button:has-text("Download ZIP")')]);
    expect(zip.suggestedFilename()).toMatch(/\.zip$/);
    expect(await unzipped(await zip.path())).toEqual({ "Tập 1 – Mở đầu.mp4": fixtures.files.mp4.sha256, "Tập 2 Kết thúc.webm": fixtures.files.webm.sha256 });

    await page.goto(`${app.baseUrl}/`);
    await page.fill('input[name="url"]', origin.pageUrl("video"));
    await page.click(ANALYZE_SUBMIT);
    await page.waitForSelector('[data-testid="analysis"][data-status="completed"]', { timeout: 30_000 });
    await page.fill('[data-testid="clip-form"] input[name="clipStart"]', "0:00.5");
    await page.fill('[data-testid="clip-form"] input[name="clipEnd"]', "0:02");
    await screenshot(page, "media-3-clip");
    const [clip] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.click('[data-testid="clip-form"] button[type="submit"]')]);
    expect(clip.suggestedFilename()).toMatch(/\.mp4$/);
    const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", await clip.path()]);
    expect(Math.abs(Number(stdout.trim()) - 1.5)).toBeLessThanOrEqual(0.5);

    await page.fill('[data-testid="clip-form"] input[name="clipStart"]', "0:02");
    await page.fill('[data-testid="clip-form"] input[name="clipEnd"]', "0:01");
    await page.click('[data-testid="clip-form"] button[type="submit"]');
    expect(await page.textContent('[data-testid="download-error"]')).toBe("A clip must end after it starts.");

    await page.goto(`${app.baseUrl}/`);
    await page.fill('input[name="url"]', origin.pageUrl("subtitles"));
    await page.click(ANALYZE_SUBMIT);
    await page.waitForSelector('[data-testid="analysis"][data-status="completed"]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid="subtitle"][data-lang="vi"]')).toContain("Vietnamese");
    await screenshot(page, "media-4-subtitles");
    const [srt] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.click('[data-testid="subtitle"] button:has-text("SRT file")')]);
    expect(srt.suggestedFilename()).toMatch(/\.srt$/);
    expect(fs.readFileSync(await srt.path(), "utf8")).toContain(VIETNAMESE_SUBTITLE);
    await context.close();
  });
});
