import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { apiRoute, requireApiAdmin } from "~/services/api.server";
import { statusReport } from "~/services/monitoring.server";

/** Version, uptime, tool versions and the effective configuration without its secrets. */
export const loader = ({ request }: LoaderFunctionArgs) =>
  apiRoute(async () => {
    await requireApiAdmin(request, { metricsToken: true });
    return json(await statusReport(), { headers: { "Cache-Control": "no-store" } });
  });
