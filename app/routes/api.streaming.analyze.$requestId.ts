import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { getAnalysis, toView } from "~/services/analysis.server";
import { apiRoute, ApiError, requireApiUser } from "~/services/api.server";

/** GET → { requestId, status, progress, result?, error? }; only the owner sees it. */
export const loader = ({ request, params }: LoaderFunctionArgs) =>
  apiRoute(async () => {
    const user = await requireApiUser(request);
    const row = await getAnalysis({ requestId: params.requestId ?? "", userId: user.id });
    if (!row) throw new ApiError(404, "not_found", "No analysis with this id.");
    return json(toView(row), { headers: { "Cache-Control": "no-store" } });
  });
