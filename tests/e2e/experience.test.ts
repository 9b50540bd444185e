/**
 * How the product feels to a person: both languages, light and dark, phone
 * and desktop widths, keyboard use, and axe-core's accessibility rules on
 * every main page. Screenshots land in test-results/screenshots/.
 */
import { createRequire } from "node:module";
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { analyzed, createToken, plainFormat } from "../support/api";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { launchBrowser, screenshot } from "../support/browser";
import { Client, uniqueEmail } from "../support/http";

const axeSource = (createRequire(import.meta.url)("axe-core") as { source: string }).source;
const ADMIN_EMAIL = uniqueEmail("ux-admin");
const PASSWORD = "a long enough password";

let app: RunningApp;
let origin: Origin;
let browser: Browser;
let admin: Client;
let analysisPath: string;

beforeAll(async () => {
  origin = await startOrigin(await ensureMediaFixtures());
  [app, browser] = await Promise.all([startApp({ env: { ...egressAllow(origin), ADMIN_EMAILS: ADMIN_EMAIL } }), launchBrowser()]);
  admin = new Client(app.baseUrl);
  expect((await admin.post("/signup", { email: ADMIN_EMAIL, password: PASSWORD, confirmPassword: PASSWORD })).status).toBe(302);
  const analysis = await analyzed(admin, origin.pageUrl("video"));
  analysisPath = `/analyze/${analysis.requestId}`;
  expect((await createToken(admin, analysis.requestId, plainFormat(analysis).id)).status).toBe(201);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await origin?.close();
});

/** A browser context signed in as the admin (the session cookie from the API client), or signed out. */
async function context(options: BrowserContextOptions & { signedIn?: boolean } = {}): Promise<BrowserContext> {
  const { signedIn = true, ...rest } = options;
  const ctx = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 }, ...rest });
  if (signedIn) await ctx.addCookies([{ name: "tvn_session", value: admin.cookie("tvn_session")!, url: app.baseUrl }]);
  return ctx;
}

type Violation = { id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> };

async function seriousViolations(page: Page) {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Violation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ["violations"] })).violations;
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .map((n) => n.target.join(" "))
          .slice(0, 3)
          .join(", ")}`,
    );
}

const pages = () => [
  { name: "home", path: "/", signedIn: true },
  { name: "analysis", path: analysisPath, signedIn: true },
  { name: "tokens", path: "/tokens", signedIn: true },
  { name: "account", path: "/account", signedIn: true },
  { name: "dashboard", path: "/dashboard", signedIn: true },
  { name: "login", path: "/login", signedIn: false },
  { name: "signup", path: "/signup", signedIn: false },
];

describe("accessibility (axe-core)", () => {
  for (const colorScheme of ["light", "dark"] as const) {
    it(`finds no serious or critical violation on any main page, ${colorScheme}`, async () => {
      const problems: string[] = [];
      for (const target of pages()) {
        const ctx = await context({ colorScheme, signedIn: target.signedIn });
        const page = await ctx.newPage();
        await page.goto(`${app.baseUrl}${target.path}`);
        await page.waitForLoadState("networkidle");
        for (const problem of await seriousViolations(page)) problems.push(`${target.name}: ${problem}`);
        await ctx.close();
      }
      expect(problems).toEqual([]);
    });
  }
});

describe("looks, at phone and desktop widths, light and dark", () => {
  it("renders every combination without sideways scrolling", async () => {
    for (const width of [375, 1280]) {
      for (const colorScheme of ["light", "dark"] as const) {
        const ctx = await context({ colorScheme, viewport: { width, height: 800 } });
        const page = await ctx.newPage();
        for (const target of [pages()[0], pages()[1], pages()[3]]) {
          await page.goto(`${app.baseUrl}${target.path}`);
          await page.waitForLoadState("networkidle");
          expect(
            await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
            `${target.name} ${width} ${colorScheme}`,
          ).toBeLessThanOrEqual(0);
          await screenshot(page, `ux-${target.name}-${width}-${colorScheme}`);
        }
        await ctx.close();
      }
    }
  });

  it("follows the system's scheme, and the toggle overrides it both ways (remembered)", async () => {
    const ctx = await context({ colorScheme: "dark" });
    const page = await ctx.newPage();
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.goto(`${app.baseUrl}/`);
    const dark = await background();
    expect(dark).toBe("rgb(2, 6, 23)");
    await page.click('[data-testid="theme-switch"]'); // system → dark (forced)
    await page.click('[data-testid="theme-switch"]'); // dark → light (forced)
    await page.waitForSelector("html.light");
    expect(await background()).toBe("rgb(248, 250, 252)");
    await page.goto(`${app.baseUrl}/account`);
    expect(await page.getAttribute("html", "class")).toContain("light");
    await ctx.close();
  });
});

describe("Vietnamese and English", () => {
  const rawKey = /\b(nav|home|analyze|auth|account|tokens|download|formats|dashboard|error|status|recent|analysis|toast|prefs)\.[a-zA-Z.]+\b/;

  it("serves Vietnamese to a Vietnamese browser, every string translated", async () => {
    const ctx = await context({ locale: "vi-VN" });
    const page = await ctx.newPage();
    for (const target of pages().filter((p) => p.signedIn)) {
      await page.goto(`${app.baseUrl}${target.path}`);
      expect(await page.getAttribute("html", "lang")).toBe("vi");
      const text = (await page.textContent("body")) ?? "";
      expect(text, target.name).not.toMatch(rawKey);
      await screenshot(page, `ux-vi-${target.name}`);
    }
    await page.goto(`${app.baseUrl}/`);
    expect(await page.textContent("h1")).toBe("Dán liên kết. Chọn định dạng. Tải về.");
    await page.goto(`${app.baseUrl}/account`);
    expect(await page.textContent('[data-testid="quota"]')).toMatch(/^Đã dùng 1 trên 10 · còn 9$/);
    await ctx.close();
  });

  it("switches language with the header button and remembers it, with JavaScript off", async () => {
    const ctx = await context({ javaScriptEnabled: false, signedIn: false });
    const page = await ctx.newPage();
    await page.goto(`${app.baseUrl}/login`);
    expect(await page.textContent("h1")).toBe("Log in");
    await page.click('[data-testid="language-switch"]');
    await page.waitForURL(/\/login$/);
    expect(await page.textContent("h1")).toBe("Đăng nhập");
    await page.click('main button[type="submit"]');
    expect(await page.textContent("main")).toContain("Hãy nhập địa chỉ email.");
    await page.goto(`${app.baseUrl}/signup`);
    expect(await page.getAttribute("html", "lang")).toBe("vi");
    await ctx.close();
  });
});

describe("keyboard", () => {
  it("reaches the content with the skip link and submits the URL form with Enter", async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await page.goto(`${app.baseUrl}/`);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("href"))).toBe("#main");
    expect(await page.isVisible('a[href="#main"]')).toBe(true);
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("url");
    await page.keyboard.type(origin.url("webm"));
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/analyze\//);
    await page.waitForSelector('[data-testid="analysis"][data-status="completed"]', { timeout: 30_000 });
    // Tab onto the first Download button: it shows a visible focus ring.
    const ring = await page.evaluate(() => {
      const button = document.querySelector<HTMLButtonElement>('[data-testid="format"] button');
      button?.focus();
      const style = button ? getComputedStyle(button) : null;
      return style ? `${style.outlineStyle} ${style.boxShadow}` : "";
    });
    expect(ring).not.toBe("none none");
    await ctx.close();
  });
});
