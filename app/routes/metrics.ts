import type { LoaderFunctionArgs } from "@remix-run/node";
import { metricsResponse } from "~/monitoring/index.server";

/** Prometheus' conventional path: the text format unless JSON is asked for. */
export const loader = ({ request }: LoaderFunctionArgs) => metricsResponse(request, "prometheus");
