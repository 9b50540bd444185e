import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { isRouteErrorResponse, Links, Meta, Outlet, Scripts, ScrollRestoration, useMatches, useRouteError, useRouteLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { SiteFooter } from "~/components/site-footer";
import { SiteHeader } from "~/components/site-header";
import { Toaster } from "~/components/toaster";
import { useI18n } from "~/hooks/use-i18n";
import { isLocale, translate, translator } from "~/lib/i18n";
import { useNonce } from "~/lib/nonce";
import { THEME_COLOR } from "~/lib/web-app";
import { getUser } from "~/accounts/index.server";
import { getPreferences, rethrowAsPageOutage, takeToast } from "~/web/index.server";
import stylesheet from "~/tailwind.css";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
  // With credentials, so the manifest comes in the language the visitor chose (a cookie).
  { rel: "manifest", href: "/manifest.webmanifest", crossOrigin: "use-credentials" },
  { rel: "apple-touch-icon", href: "/icon-192.png" },
];

export const meta: MetaFunction<typeof loader> = ({ data }) => {
  const locale = data?.locale ?? "en";
  return [{ title: translate(locale, "meta.home.title") }, { name: "description", content: translate(locale, "meta.home.description") }];
};

export async function loader({ request }: LoaderFunctionArgs) {
  const [user, preferences, { toast, clear }] = await Promise.all([
    getUser(request).catch((err: unknown) => rethrowAsPageOutage(err, request)),
    getPreferences(request),
    takeToast(request),
  ]);
  return data(
    { user: user && { email: user.email, tier: user.tier, role: user.role }, ...preferences, toast },
    { headers: clear ? { "Set-Cookie": clear } : {} },
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  const root = useRouteLoaderData<typeof loader>("root");
  const { t, locale } = useI18n();
  // Pages with `handle.wide` (the dashboard) use the whole screen width.
  const wide = useMatches().some((m) => (m.handle as { wide?: boolean } | undefined)?.wide);
  const theme = root?.theme ?? "system";
  return (
    <html lang={locale} className={`h-full ${theme === "system" ? "" : theme}`}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content={theme === "system" ? "light dark" : theme} />
        <meta name="theme-color" content={THEME_COLOR} />
        <Meta />
        <Links />
      </head>
      <body className="flex min-h-full flex-col bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
        <a
          href="#main"
          className="sr-only rounded-md bg-brand-600 px-4 py-2 font-semibold text-white focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50"
        >
          {t("a11y.skip")}
        </a>
        <SiteHeader user={root?.user ?? null} wide={wide} theme={theme} />
        <main id="main" tabIndex={-1} className={`mx-auto w-full flex-1 px-4 py-8 outline-none sm:py-12 ${wide ? "max-w-7xl" : "max-w-3xl"}`}>
          {children}
        </main>
        <SiteFooter wide={wide} />
        <Toaster toast={root?.toast ?? null} />
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  const i18n = useI18n();
  // Without the root loader's data (an outage), the error says the visitor's language itself.
  const told = isRouteErrorResponse(error) ? (error.data as { locale?: unknown } | null)?.locale : undefined;
  const t = isLocale(told) ? translator(told) : i18n.t;
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const message =
    status === 404 ? t("error.notFound") : status === 403 ? t("error.forbidden") : status === 503 ? t("error.service_unavailable") : t("error.generic");
  return (
    <div className="rounded-xl border border-red-200 bg-red-50 p-6 text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-100" role="alert">
      <h1 className="text-xl font-semibold">{status === 404 ? t("error.notFoundTitle") : t("error.title", { status: String(status) })}</h1>
      <p className="mt-2">{message}</p>
      <a href="/" className="mt-4 inline-block font-medium underline">
        {t("error.backHome")}
      </a>
    </div>
  );
}
