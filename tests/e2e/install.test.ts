/**
 * The installable app in a real browser: every page links a manifest (in the
 * visitor's language) with icons and a share target; the service worker
 * registers under the page's CSP and shows the offline page when the network
 * is gone; and "Share → Tải Video Nhanh" lands the shared link in the home
 * page, or, signed in, starts its analysis (with JavaScript off too).
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Origin } from "../fixtures/origin";
import type { RunningApp } from "../support/app";
import { screenshot, signUpInBrowser, startBrowserWorld, stopBrowserWorld } from "../support/browser";

type Manifest = {
  name: string;
  short_name: string;
  lang: string;
  start_url: string;
  display: string;
  theme_color: string;
  background_color: string;
  icons: Array<{ src: string; sizes: string; type: string }>;
  share_target: { action: string; method: string; params: Record<string, string> };
};

let app: RunningApp;
let origin: Origin;
let browser: Browser;

beforeAll(async () => {
  ({ app, origin, browser } = await startBrowserWorld({ redisDb: 6, env: { ANALYSIS_CACHE_TTL_SECONDS: "0" } }));
});

afterAll(() => stopBrowserWorld({ app, origin, browser }));

/** The manifest the page links, fetched from the page as the browser does (its language, its cookies: crossorigin="use-credentials"). */
async function linkedManifest(page: Page): Promise<Manifest> {
  expect(await page.getAttribute('link[rel="manifest"]', "crossorigin")).toBe("use-credentials");
  const { href, type, body } = await page.evaluate(async () => {
    const link = document.querySelector<HTMLLinkElement>('link[rel="manifest"]')!;
    const response = await fetch(link.href, { credentials: "include" });
    return { href: link.getAttribute("href"), type: response.headers.get("Content-Type"), body: await response.text() };
  });
  expect(href).toBe("/manifest.webmanifest");
  expect(type).toMatch(/^application\/manifest\+json/);
  return JSON.parse(body) as Manifest;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer) {
  expect(bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

const signUp = (page: Page) => signUpInBrowser(page, app.baseUrl, "e2e-share");

describe("the web manifest", () => {
  it("is linked from every page, with icons, standalone display, theme colours and a GET share target", async () => {
    const context = await browser.newContext({ locale: "en-US" });
    const page = await context.newPage();
    for (const path of ["/", "/login", "/signup"]) {
      await page.goto(`${app.baseUrl}${path}`);
      expect(await page.getAttribute('meta[name="theme-color"]', "content")).toBe("#be123c");
      const manifest = await linkedManifest(page);
      expect(manifest).toMatchObject({ lang: "en", start_url: "/", display: "standalone", theme_color: "#be123c" });
      expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/);
      expect(manifest.share_target).toEqual({ action: "/share", method: "GET", params: { title: "title", text: "text", url: "url" } });
      for (const size of ["192x192", "512x512"]) expect(manifest.icons.some((i) => i.sizes === size && i.type === "image/png")).toBe(true);
    }
    const manifest = await linkedManifest(page);
    for (const icon of manifest.icons) {
      const response = await page.request.get(new URL(icon.src, app.baseUrl).toString());
      expect(response.status()).toBe(200);
      expect(pngSize(await response.body())).toBe(icon.sizes);
    }
    await context.close();
  });

  it("names the app in the page's language: Accept-Language, or the language chosen on the site", async () => {
    const english = await browser.newContext({ locale: "en-US" });
    const vietnamese = await browser.newContext({ locale: "vi-VN" });
    const [en, vi] = await Promise.all(
      [english, vietnamese].map(async (context) => {
        const page = await context.newPage();
        await page.goto(app.baseUrl);
        return { lang: await page.getAttribute("html", "lang"), manifest: await linkedManifest(page), page };
      }),
    );
    expect([en.lang, en.manifest.lang]).toEqual(["en", "en"]);
    expect([vi.lang, vi.manifest.lang]).toEqual(["vi", "vi"]);
    expect(vi.manifest.name).toBe("Tải Video Nhanh");
    expect(en.manifest.name).not.toBe(vi.manifest.name);

    // Choosing Tiếng Việt on the site (a cookie) wins over the browser's English.
    await english.addCookies([{ name: "tvn_lang", value: encodeURIComponent(btoa(JSON.stringify("vi"))), url: app.baseUrl }]);
    await en.page.goto(app.baseUrl);
    expect(await en.page.getAttribute("html", "lang")).toBe("vi");
    expect((await linkedManifest(en.page)).name).toBe("Tải Video Nhanh");
    await Promise.all([english.close(), vietnamese.close()]);
  });
});

describe("the service worker", () => {
  it("registers for the whole site under the page's CSP, and shows the offline page without a network", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const refused: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy|service worker not registered/i.test(message.text())) refused.push(message.text());
    });
    await page.goto(app.baseUrl);
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(`${app.baseUrl}/`);
    expect(refused).toEqual([]);
    const worker = await page.request.get(`${app.baseUrl}/sw.js`);
    expect(worker.headers()["cache-control"]).toBe("no-cache");
    expect(worker.headers()["content-type"]).toMatch(/javascript/);

    // Once it controls the page, a navigation without a network gets the offline page.
    await page.reload();
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await context.setOffline(true);
    await page.goto(`${app.baseUrl}/login`);
    await page.waitForSelector('[data-testid="offline"]');
    expect(await page.textContent("body")).toContain("You are offline");
    await screenshot(page, "install-offline");
    await context.setOffline(false);
    await page.goto(`${app.baseUrl}/login`);
    expect(await page.$('[data-testid="offline"]')).toBeNull();
    await context.close();
  });
});

describe("the share target", () => {
  const shareUrl = (fields: Record<string, string>) => `${app.baseUrl}/share?${new URLSearchParams(fields)}`;
  const inputValue = (page: Page) => page.inputValue('[data-testid="analyze-form"] input[name="url"]');

  it("fills the home page's form with the shared link when signed out (from url, or a link inside text)", async () => {
    const context = await browser.newContext({ locale: "en-US" });
    const page = await context.newPage();
    const video = origin.pageUrl("video");
    await page.goto(shareUrl({ url: video, title: "A clip" }));
    expect(new URL(page.url()).pathname).toBe("/");
    expect(await inputValue(page)).toBe(video);

    await page.goto(shareUrl({ title: "A clip", text: `Look at this: ${video}. Great!` }));
    expect(await inputValue(page)).toBe(video);
    await screenshot(page, "share-signed-out");

    await page.goto(shareUrl({ text: "nothing to see" }));
    expect(new URL(page.url()).pathname).toBe("/");
    expect(await inputValue(page)).toBe("");
    expect(await page.textContent("body")).toContain("No link was found in what you shared");
    await context.close();
  });

  async function sharedWhileSignedIn(context: BrowserContext, signUpPage: Page) {
    await signUp(signUpPage);
    const page = await context.newPage();
    await page.goto(shareUrl({ text: `via an app ${origin.pageUrl("video")}` }));
    await page.waitForURL(/\/analyze\/[0-9a-f-]{36}$/);
    await page.waitForSelector('[data-testid="analysis"][data-status="completed"]', { timeout: 30_000 });
    return page;
  }

  it("starts the analysis at once when signed in", async () => {
    const context = await browser.newContext({ locale: "en-US" });
    const page = await sharedWhileSignedIn(context, await context.newPage());
    expect(await page.textContent('[data-testid="title"]')).toContain("Tải video nhanh – thử nghiệm");
    await screenshot(page, "share-signed-in");
    await context.close();
  });

  it("starts the analysis without JavaScript too", async () => {
    const context = await browser.newContext({ locale: "en-US", javaScriptEnabled: false });
    const page = await sharedWhileSignedIn(context, await context.newPage());
    expect(await page.$$('[data-testid="format"]')).not.toHaveLength(0);
    await context.close();
  });

  it("only fills the form in when another site links to it, even when signed in", async () => {
    const context = await browser.newContext({ locale: "en-US" });
    const page = await context.newPage();
    await signUp(page);
    const video = origin.pageUrl("video");
    // A link on a page of another origin: the browser sends Sec-Fetch-Site "same-site" (loopback, another port), not "same-origin" or "none".
    await page.goto(`${origin.baseUrl}/`, { waitUntil: "commit" }).catch(() => null);
    await page.setContent(`<a id="go" href="${shareUrl({ url: video })}">share</a>`);
    await page.click("#go");
    await page.waitForURL((url) => url.pathname === "/");
    expect(await inputValue(page)).toBe(video);
    await context.close();
  });
});
