/** Debian's chromium driven by playwright-core (never a downloaded browser). */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { ensureMediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { egressAllow, startApp, type RunningApp } from "./app";
import { uniqueEmail } from "./http";

export const SCREENSHOT_DIR = path.resolve("test-results/screenshots");

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-sync",
      "--disable-component-update",
    ],
  });
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** A browser test's world: the media origin, the app and Debian's chromium. */
export type BrowserWorld = { app: RunningApp; origin: Origin; browser: Browser };

/**
 * Starts the world: the app reaches the loopback origin through EGRESS_ALLOW
 * and uses a Redis database of its own, so only its worker takes its jobs.
 */
export async function startBrowserWorld({ redisDb, env = {} }: { redisDb: number; env?: Record<string, string> }): Promise<BrowserWorld> {
  const origin = await startOrigin(await ensureMediaFixtures());
  const redisUrl = process.env.REDIS_URL!.replace(/\/\d+$/, `/${redisDb}`);
  const [app, browser] = await Promise.all([startApp({ env: { ...egressAllow(origin), REDIS_URL: redisUrl, ...env } }), launchBrowser()]);
  return { app, origin, browser };
}

/** Stops what was started, also when the start failed half-way. */
export async function stopBrowserWorld({ app, origin, browser }: Partial<BrowserWorld>) {
  await browser?.close();
  await app?.stop();
  await origin?.close();
}

/** Signs a new account up through the page's own form, ending on the home page's URL form. */
export async function signUpInBrowser(page: Page, baseUrl: string, tag: string) {
  await page.goto(`${baseUrl}/signup`);
  await page.fill('input[name="email"]', uniqueEmail(tag));
  await page.fill('input[name="password"]', "a long password");
  await page.fill('input[name="confirmPassword"]', "a long password");
  await page.click('main button[type="submit"]');
  await page.waitForSelector('[data-testid="analyze-form"]');
}
