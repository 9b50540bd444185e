import { json } from "@remix-run/node";
import { apiRoute } from "~/services/api.server";
import { checkHealth } from "~/services/health.server";

/** Public and cheap: 200 for ok/degraded, 503 for down (load balancers, Docker HEALTHCHECK). */
export const loader = () =>
  apiRoute(async () => {
    const report = await checkHealth();
    return json(report, { status: report.status === "down" ? 503 : 200, headers: { "Cache-Control": "no-store" } });
  });
