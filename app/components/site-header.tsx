import { Form, Link, useLocation } from "@remix-run/react";
import { useI18n } from "~/hooks/use-i18n";
import { LANGUAGE_NAMES, type Locale } from "~/lib/i18n";
import { LogoutButton } from "./logout-button";

type HeaderUser = { email: string | null; tier: "free" | "pro" | "guest"; role: "user" | "admin" } | null;
type Theme = "system" | "light" | "dark";

const NEXT_THEME: Record<Theme, Theme> = { system: "dark", dark: "light", light: "system" };
const THEME_ICON: Record<Theme, string> = { system: "◐", dark: "☾", light: "☀" };
const link = "rounded-md px-1.5 py-1 font-medium hover:underline focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600";
const pill = "rounded-md border border-slate-300 px-2 py-1 text-xs font-semibold hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";

/** Language and theme: plain POST forms (they work without JS), back to the same page. */
function Preferences({ theme }: { theme: Theme }) {
  const { t, locale } = useI18n();
  const location = useLocation();
  const back = `${location.pathname}${location.search}`;
  const other: Locale = locale === "vi" ? "en" : "vi";
  return (
    <div className="flex items-center gap-1">
      <Form method="post" action="/preferences" reloadDocument>
        <input type="hidden" name="redirectTo" value={back} />
        <button
          type="submit"
          name="lang"
          value={other}
          lang={other}
          className={pill}
          aria-label={`${other.toUpperCase()} – ${LANGUAGE_NAMES[other]}`}
          title={`${t("prefs.language")}: ${LANGUAGE_NAMES[other]}`}
          data-testid="language-switch"
        >
          {other.toUpperCase()}
        </button>
      </Form>
      <Form method="post" action="/preferences" reloadDocument>
        <input type="hidden" name="redirectTo" value={back} />
        <button
          type="submit"
          name="theme"
          value={NEXT_THEME[theme]}
          className={pill}
          aria-label={`${t("prefs.theme")}: ${t(`prefs.theme.${theme}`)} → ${t(`prefs.theme.${NEXT_THEME[theme]}`)}`}
          title={`${t("prefs.theme")}: ${t(`prefs.theme.${theme}`)}`}
          data-testid="theme-switch"
          data-theme={theme}
        >
          <span aria-hidden>{THEME_ICON[theme]}</span>
        </button>
      </Form>
    </div>
  );
}

export function SiteHeader({ user, wide = false, theme }: { user: HeaderUser; wide?: boolean; theme: Theme }) {
  const { t } = useI18n();
  return (
    <header className="border-b border-slate-200 bg-white/80 backdrop-blur dark:border-slate-800 dark:bg-slate-900/80">
      <nav
        className={`mx-auto flex items-center ${wide ? "max-w-7xl" : "max-w-3xl"} flex-wrap justify-between gap-2 px-3 py-3 sm:gap-4 sm:px-4`}
        aria-label={t("nav.main")}
      >
        <Link
          to="/"
          className="flex items-center gap-2 whitespace-nowrap rounded-md text-lg font-bold tracking-tight focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600"
        >
          <span aria-hidden data-testid="logo-mark" className="grid h-8 w-8 shrink-0 place-items-center rounded-lg bg-brand-600 text-white">
            ↓
          </span>
          {t("app.name")}
        </Link>
        <div className="flex min-w-0 flex-wrap items-center justify-end gap-x-1.5 gap-y-1 text-sm sm:gap-x-2">
          {user ? (
            <Link to="/tokens" className={link}>
              {t("nav.links")}
            </Link>
          ) : null}
          {user && user.tier !== "guest" ? (
            <>
              {user.role === "admin" ? (
                <Link to="/dashboard" className={link}>
                  {t("nav.dashboard")}
                </Link>
              ) : null}
              <Link to="/account" className={link} data-testid="account-link" title={user.email ?? undefined}>
                {t("nav.account")}
              </Link>
              <LogoutButton className="px-3 py-1.5" />
            </>
          ) : (
            <>
              {user ? (
                <span className="rounded-md bg-slate-100 px-2 py-1 text-xs font-semibold dark:bg-slate-800" data-testid="guest-badge">
                  {t("nav.guest")}
                </span>
              ) : null}
              <Link to="/login" className="rounded-md px-3 py-1.5 font-medium hover:bg-slate-100 dark:hover:bg-slate-800">
                {t("nav.login")}
              </Link>
              <Link to="/signup" className="rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700">
                {t("nav.signup")}
              </Link>
            </>
          )}
          <Preferences theme={theme} />
        </div>
      </nav>
    </header>
  );
}
