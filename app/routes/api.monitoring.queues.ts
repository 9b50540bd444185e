import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireApiAdmin } from "~/accounts/index.server";
import { queueReports } from "~/monitoring/index.server";
import { apiRoute } from "~/web/index.server";

export const loader = ({ request }: LoaderFunctionArgs) =>
  apiRoute(async () => {
    await requireApiAdmin(request, { metricsToken: true });
    return Response.json({ queues: await queueReports() }, { headers: { "Cache-Control": "no-store" } });
  });
