import { useRouteLoaderData } from "@remix-run/react";
import { useMemo } from "react";
import { formatters, translator, type Locale } from "~/lib/i18n";
import type { loader as rootLoader } from "~/root";

export function useLocale(): Locale {
  return useRouteLoaderData<typeof rootLoader>("root")?.locale ?? "en";
}

/** `t` and the locale's formatters for the page's language. */
export function useI18n() {
  const locale = useLocale();
  return useMemo(() => ({ locale, t: translator(locale), f: formatters(locale) }), [locale]);
}
