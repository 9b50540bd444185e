import type { ActionFunctionArgs } from "@remix-run/node";
import { translate } from "~/lib/i18n";
import { AnalyzeFormSchema, MAX_URL_LENGTH } from "~/lib/media-url";
import { requireApiUser } from "~/accounts/index.server";
import { requestAnalysis } from "~/analysis/index.server";
import { AppError } from "~/platform/index.server";
import { apiRoute, assertMethod, methodNotAllowed, readBody } from "~/web/index.server";

/** POST { url } (JSON or form) → 202 with a requestId to poll, or 200 with the cached result. */
export const action = ({ request }: ActionFunctionArgs) =>
  apiRoute(async () => {
    assertMethod(request, "POST");
    const user = await requireApiUser(request);
    const parsed = AnalyzeFormSchema.safeParse(await readBody(request));
    if (!parsed.success) throw new AppError("invalid", "invalid_url", translate("en", parsed.error.issues[0].message, { max: MAX_URL_LENGTH }));
    const analysis = await requestAnalysis({ user, url: parsed.data.url });
    const statusUrl = `/api/streaming/analyze/${analysis.requestId}`;
    if (analysis.status === "completed") return Response.json({ ...analysis, statusUrl }, { status: 200 });
    return Response.json({ requestId: analysis.requestId, status: analysis.status, statusUrl }, { status: 202, headers: { Location: statusUrl } });
  });

export const loader = () => apiRoute(() => Promise.reject(methodNotAllowed("POST", "Use POST with { url }.")));
