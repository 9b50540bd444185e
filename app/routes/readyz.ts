import { checkReadiness } from "~/monitoring/index.server";
import { apiRoute } from "~/web/index.server";

/** Readiness for load balancers: 200 while Postgres and Redis answer (slowly counts), 503 with Retry-After when either is down. */
export const loader = () =>
  apiRoute(async () => {
    const { ready, checks } = await checkReadiness();
    return Response.json(
      { status: ready ? "ready" : "unavailable", checks },
      { status: ready ? 200 : 503, headers: { "Cache-Control": "no-store", ...(ready ? {} : { "Retry-After": "5" }) } },
    );
  });
