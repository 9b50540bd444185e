import type { LoaderFunctionArgs } from "@remix-run/node";
import { metricsResponse } from "~/monitoring/index.server";

/** JSON snapshot, or Prometheus text when the client asks for it (Accept: text/plain, or ?format=prometheus). */
export const loader = ({ request }: LoaderFunctionArgs) => metricsResponse(request);
