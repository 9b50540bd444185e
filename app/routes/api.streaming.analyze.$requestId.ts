import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireApiUser } from "~/accounts/index.server";
import { getAnalysis, toView } from "~/analysis/index.server";
import { AppError } from "~/platform/index.server";
import { apiRoute } from "~/web/index.server";

/** GET → { requestId, status, progress, result?, error? }; only the owner sees it. */
export const loader = ({ request, params }: LoaderFunctionArgs) =>
  apiRoute(async () => {
    const user = await requireApiUser(request);
    const row = await getAnalysis({ requestId: params.requestId ?? "", userId: user.id });
    if (!row) throw new AppError("not_found", "not_found", "No analysis with this id.");
    return Response.json(toView(row), { headers: { "Cache-Control": "no-store" } });
  });
