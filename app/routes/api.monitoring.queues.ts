import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { apiRoute, requireApiAdmin } from "~/services/api.server";
import { queueReports } from "~/services/monitoring.server";

export const loader = ({ request }: LoaderFunctionArgs) =>
  apiRoute(async () => {
    await requireApiAdmin(request, { metricsToken: true });
    return json({ queues: await queueReports() }, { headers: { "Cache-Control": "no-store" } });
  });
