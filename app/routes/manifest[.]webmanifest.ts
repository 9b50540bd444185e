import type { LoaderFunctionArgs } from "@remix-run/node";
import { translator } from "~/lib/i18n";
import { webAppManifest } from "~/lib/web-app";
import { getPreferences } from "~/web/index.server";

/** The web manifest in the visitor's language (the page links it with credentials, so the language cookie comes along). */
export async function loader({ request }: LoaderFunctionArgs) {
  const { locale } = await getPreferences(request);
  return new Response(JSON.stringify(webAppManifest(locale, translator(locale))), {
    headers: {
      "Content-Type": "application/manifest+json; charset=utf-8",
      "Cache-Control": "private, max-age=3600",
      Vary: "Cookie, Accept-Language",
    },
  });
}
