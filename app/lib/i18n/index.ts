import { formatBytes } from "~/lib/formats";
import { en, type MessageKey } from "./en";
import { vi } from "./vi";

/**
 * Two languages, typed catalogues, and the formatting that goes with each.
 * Strings that are message keys are translated; anything else (a server's
 * sentence, a title) passes through unchanged, so schema messages can be keys.
 */
export const LOCALES = ["en", "vi"] as const;
export type Locale = (typeof LOCALES)[number];
export type { MessageKey };

export const catalogues: Record<Locale, Record<MessageKey, string>> = { en, vi };
export const LANGUAGE_NAMES: Record<Locale, string> = { en: "English", vi: "Tiếng Việt" };

export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey | (string & {}), params?: Params) => string;

export const isLocale = (value: unknown): value is Locale => LOCALES.includes(value as Locale);
export const isMessageKey = (value: string): value is MessageKey => Object.hasOwn(en, value);

export function translate(locale: Locale, key: string, params?: Params): string {
  const template = isMessageKey(key) ? catalogues[locale][key] : key;
  if (!params) return template;
  const number = new Intl.NumberFormat(locale);
  return template.replace(/\{(\w+)\}/g, (match, name: string) => {
    const value = params[name];
    return value === undefined ? match : typeof value === "number" ? number.format(value) : value;
  });
}

export const translator =
  (locale: Locale): Translate =>
  (key, params) =>
    translate(locale, key, params);

/** The best of our languages for an Accept-Language header (q-values honoured); English otherwise. */
export function negotiateLocale(acceptLanguage: string | null | undefined): Locale {
  const ranked = (acceptLanguage ?? "")
    .split(",")
    .map((part, index) => {
      const [tag, ...attributes] = part.trim().split(";");
      const q = attributes.map((a) => /^\s*q=([\d.]+)\s*$/.exec(a)?.[1]).find(Boolean);
      return { language: tag.toLowerCase().split("-")[0], q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.language && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.map((entry) => entry.language).find(isLocale) ?? "en";
}

/** Messages for error codes: the code's own message when the catalogue has one, else the server's sentence. */
const ERROR_KEY_ALIASES: Record<string, MessageKey> = { forbidden: "error.forbidden_page" };
export function errorMessage(t: Translate, error: { code: string; message?: string }, params?: Params): string {
  const key = ERROR_KEY_ALIASES[error.code] ?? `error.${error.code}`;
  return isMessageKey(key) ? t(key, params) : (error.message ?? t("error.generic"));
}

/** Numbers, sizes and times as people of that language write them. Times are UTC, the same on server and client. */
export function formatters(locale: Locale) {
  const number = new Intl.NumberFormat(locale);
  const time = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone: "UTC", timeZoneName: "short" });
  const clock = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: "UTC", timeZoneName: "short" });
  const date = new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" });
  const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  const oneDecimal = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return {
    number: (value: number) => number.format(value),
    bytes: (value: number | null | undefined) => formatBytes(value, locale) ?? formatBytes(0, locale)!,
    percent: (value: number | null) => (value === null ? "—" : percent.format(value)),
    /** A duration in milliseconds: "850 ms", or seconds past one ("1,5 s" in Vietnamese). */
    milliseconds: (value: number | null) =>
      value === null ? "—" : value >= 1000 ? `${oneDecimal.format(value / 1000)} s` : `${number.format(Math.round(value))} ms`,
    time: (iso: string | Date) => time.format(new Date(iso)),
    clock: (iso: string | Date) => clock.format(new Date(iso)),
    date: (iso: string | Date) => date.format(new Date(iso)),
  };
}
export type Formatters = ReturnType<typeof formatters>;
