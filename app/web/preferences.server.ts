import { createCookie } from "@remix-run/node";
import { isLocale, negotiateLocale, type Locale } from "~/lib/i18n";

/**
 * The visitor's language and theme: a cookie each once chosen (a year),
 * otherwise the browser's Accept-Language and the system's colour scheme.
 */
const THEMES = ["system", "light", "dark"] as const;
export type Theme = (typeof THEMES)[number];
const isTheme = (value: unknown): value is Theme => THEMES.includes(value as Theme);

const options = { path: "/", sameSite: "lax" as const, httpOnly: true, maxAge: 365 * 24 * 60 * 60 };
const languageCookie = createCookie("tvn_lang", options);
const themeCookie = createCookie("tvn_theme", options);

export async function getPreferences(request: Request): Promise<{ locale: Locale; theme: Theme }> {
  const cookies = request.headers.get("Cookie");
  const [lang, theme] = (await Promise.all([languageCookie.parse(cookies), themeCookie.parse(cookies)])) as unknown[];
  return {
    locale: isLocale(lang) ? lang : negotiateLocale(request.headers.get("Accept-Language")),
    theme: isTheme(theme) ? theme : "system",
  };
}

/** Set-Cookie values for the choices a form sent; unknown values are ignored. */
export async function preferenceCookies(form: { lang?: unknown; theme?: unknown }, secure: boolean): Promise<string[]> {
  const cookies: string[] = [];
  if (isLocale(form.lang)) cookies.push(await languageCookie.serialize(form.lang, { secure }));
  if (isTheme(form.theme)) cookies.push(await themeCookie.serialize(form.theme, { secure }));
  return cookies;
}
