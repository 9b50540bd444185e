import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  isRouteErrorResponse,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useMatches,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { SiteHeader } from "~/components/site-header";
import { useNonce } from "~/lib/nonce";
import { getUser } from "~/services/session.server";
import stylesheet from "~/tailwind.css";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [
  { title: "Tải Video Nhanh" },
  { name: "description", content: "Paste a video link, pick a format, download it fast." },
];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await getUser(request);
  return { user: user && { email: user.email, tier: user.tier, role: user.role } };
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  const data = useRouteLoaderData<typeof loader>("root");
  // Pages with `handle.wide` (the dashboard) use the whole screen width.
  const wide = useMatches().some((m) => (m.handle as { wide?: boolean } | undefined)?.wide);
  return (
    <html lang="en" className="h-full">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body className="flex min-h-full flex-col bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
        <SiteHeader user={data?.user ?? null} wide={wide} />
        <main className={`mx-auto w-full flex-1 px-4 py-8 sm:py-12 ${wide ? "max-w-7xl" : "max-w-3xl"}`}>{children}</main>
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
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const message =
    status === 404
      ? "We could not find that page."
      : status === 403
        ? "You do not have access to this page."
        : "Something went wrong on our side. Please try again.";
  return (
    <div className="rounded-xl border border-red-200 bg-red-50 p-6 text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-100" role="alert">
      <h1 className="text-xl font-semibold">{status === 404 ? "Not found" : `Error ${status}`}</h1>
      <p className="mt-2">{message}</p>
      <a href="/" className="mt-4 inline-block font-medium underline">
        Back to the home page
      </a>
    </div>
  );
}
