import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireApiAdmin } from "~/accounts/index.server";
import { statusReport } from "~/monitoring/index.server";
import { apiRoute } from "~/web/index.server";

/** Version, uptime, tool versions and the effective configuration without its secrets. */
export const loader = ({ request }: LoaderFunctionArgs) =>
  apiRoute(async () => {
    await requireApiAdmin(request, { metricsToken: true });
    return Response.json(await statusReport(), { headers: { "Cache-Control": "no-store" } });
  });
