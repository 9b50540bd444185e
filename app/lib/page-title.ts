import { translate, type Locale, type MessageKey } from "./i18n";

type Match = { id: string; data: unknown };

/** "Page · Tải Video Nhanh" in the language the root loader chose. */
export function pageTitle(matches: Match[], key: MessageKey | null, override?: string) {
  const locale = (matches.find((m) => m.id === "root")?.data as { locale?: Locale } | undefined)?.locale ?? "en";
  const name = translate(locale, "app.name");
  const page = override ?? (key ? translate(locale, key) : null);
  return [{ title: page ? `${page} · ${name}` : name }];
}
