import { checkHealth } from "~/monitoring/index.server";
import { apiRoute } from "~/web/index.server";

/** Public and cheap: 200 for ok/degraded, 503 for down (load balancers, Docker HEALTHCHECK). */
export const loader = () =>
  apiRoute(async () => {
    const report = await checkHealth();
    return Response.json(report, { status: report.status === "down" ? 503 : 200, headers: { "Cache-Control": "no-store" } });
  });
