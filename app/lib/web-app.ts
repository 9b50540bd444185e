import type { Locale, Translate } from "~/lib/i18n";
import { MAX_URL_LENGTH, MediaUrlSchema } from "~/lib/media-url";

/**
 * The installable app: its web manifest (in the visitor's language) and what
 * a phone's share sheet hands to its share target.
 */

/** The brand colour (favicon and icons) and the light page background. */
export const THEME_COLOR = "#be123c";
const BACKGROUND_COLOR = "#f8fafc";

export const SHARE_PATH = "/share";

export function webAppManifest(locale: Locale, t: Translate) {
  return {
    id: "/",
    lang: locale,
    dir: "ltr",
    name: t("app.installName"),
    short_name: t("app.shortName"),
    description: t("meta.home.description"),
    start_url: "/",
    scope: "/",
    display: "standalone",
    theme_color: THEME_COLOR,
    background_color: BACKGROUND_COLOR,
    icons: [
      { src: "/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
      { src: "/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
      { src: "/icon-maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
    ],
    // GET: the shared fields arrive as query parameters, so the target works without JS or a service worker.
    share_target: { action: SHARE_PATH, method: "GET", params: { title: "title", text: "text", url: "url" } },
  };
}

const isMediaUrl = (value: string) => MediaUrlSchema.safeParse(value).success;

/** Punctuation that ends a sentence around a link rather than belonging to it. */
const TRAILING = /[).,;:!?'"»”’\]]+$/;

/**
 * The link a share carries: the `url` field when it is one, else the first
 * http(s) link in `text` (apps often share "Look at this https://…"), then in
 * `title`. Null when there is none.
 */
export function sharedUrl(params: URLSearchParams): string | null {
  const direct = params.get("url")?.trim() ?? "";
  if (isMediaUrl(direct)) return direct;
  for (const field of ["text", "title"]) {
    const value = (params.get(field) ?? "").slice(0, 4 * MAX_URL_LENGTH);
    for (const [found] of value.matchAll(/https?:\/\/[^\s<>"]+/gi)) {
      const candidate = found.replace(TRAILING, "");
      if (isMediaUrl(candidate)) return candidate;
    }
  }
  return null;
}
