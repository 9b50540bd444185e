/** Debian's chromium driven by playwright-core (never a downloaded browser). */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
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

export const ANALYZE_SUBMIT = '[data-testid="analyze-form"] button[type="submit"]';

/** A new account signs up in the page, pastes `url`, and waits for the finished analysis. */
export async function signUpAndAnalyse(page: Page, baseUrl: string, url: string, tag: string) {
  await page.goto(`${baseUrl}/signup`);
  await page.fill('input[name="email"]', uniqueEmail(tag));
  await page.fill('input[name="password"]', "a long password");
  await page.fill('input[name="confirmPassword"]', "a long password");
  await page.click('main button[type="submit"]');
  await page.waitForSelector('[data-testid="analyze-form"]');
  await page.fill('input[name="url"]', url);
  await page.click(ANALYZE_SUBMIT);
  await page.waitForSelector('[data-testid="analysis"][data-status="completed"]', { timeout: 30_000 });
}
