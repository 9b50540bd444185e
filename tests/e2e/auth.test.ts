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

async function fill(page: Page, fields: Record<string, string>) {
  for (const [name, value] of Object.entries(fields)) await page.fill(`input[name="${name}"]`, value);
}

/** The whole account flow a person goes through, the same with JS on and off. */
async function signUpLogOutLogIn(context: BrowserContext, label: string) {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  // The deliberate mistakes below answer 400/401; the browser logs those, and they are expected.
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/status of 40[01]/.test(msg.text())) errors.push(msg.text());
  });
  const email = uniqueEmail(`browser-${label}`);

  await page.goto(`${app.baseUrl}/`);
  await screenshot(page, `${label}-1-home`);
  await page.click("text=Sign up");
  await page.waitForURL(/\/signup$/);

  // A mistake first: the server (or, with JS, the client) explains it next to the field.
  await fill(page, { email, password: PASSWORD, confirmPassword: "something else" });
  await page.click('main button[type="submit"]');
  await expect.poll(() => page.textContent("body")).toContain("The two passwords do not match.");
  await screenshot(page, `${label}-2-signup-error`);

  await fill(page, { password: PASSWORD, confirmPassword: PASSWORD });
  await page.click('main button[type="submit"]');
  await page.waitForSelector("#recent-heading");
  expect(await page.getAttribute('[data-testid="account-link"]', "title")).toBe(email);
  await screenshot(page, `${label}-3-signed-in`);

  await page.click("text=Log out");
  await page.waitForSelector("text=Create a free account");

  await page.goto(`${app.baseUrl}/account`);
  await page.waitForURL(/\/login\?redirectTo=%2Faccount$/);
  await fill(page, { email, password: "not the password" });
  await page.click('main button[type="submit"]');
  await expect.poll(() => page.textContent("body")).toContain("That email and password do not match an account.");
  await screenshot(page, `${label}-4-login-error`);

  await fill(page, { email, password: PASSWORD });
  await page.click('main button[type="submit"]');
  await page.waitForURL(/\/account$/);
  expect(await page.textContent('[data-testid="tier"]')).toBe("Free");
  await screenshot(page, `${label}-5-account`);

  expect(errors).toEqual([]);
  return page;
}

describe("accounts in a real browser", () => {
  it("signs up, logs out and logs in with JavaScript on", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await signUpLogOutLogIn(context, "js-on");
    // Hydrated: Remix navigated client-side, and Tailwind's styles are applied.
    expect(await page.evaluate(() => "__remixContext" in window)).toBe(true);
    const brand = await page.$eval('[data-testid="logo-mark"]', (el) => getComputedStyle(el).backgroundColor);
    expect(brand).toBe("rgb(190, 18, 60)"); // brand-600 from tailwind.config.ts
    await context.close();
  });

  it("validates on the client before any request once hydrated", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/signup`);
    await page.waitForFunction(() => document.querySelector("form[data-testid=signup-form]")?.hasAttribute("novalidate"));
    const posts: string[] = [];
    page.on("request", (r) => r.method() === "POST" && posts.push(r.url()));
    await page.fill('input[name="email"]', "not-an-email");
    await page.locator('input[name="email"]').blur();
    await page.waitForSelector("text=Enter a valid email address");
    expect(posts).toEqual([]);
    await context.close();
  });

  it("signs up, logs out and logs in with JavaScript off", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 375, height: 740 } });
    const page = await signUpLogOutLogIn(context, "js-off");
    expect(await page.evaluate(() => "__remixContext" in window).catch(() => false)).toBe(false);
    await context.close();
  });
});
