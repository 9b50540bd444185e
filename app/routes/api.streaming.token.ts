import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { z } from "zod";
import { ApiError, apiRoute, assertMethod, readBody, requireApiUser } from "~/services/api.server";
import { createStreamToken } from "~/services/stream-tokens.server";

const Body = z.object({ requestId: z.string().uuid("requestId must be an analysis id."), formatId: z.string().min(1).max(200) });

/** POST { requestId, formatId } → 201 { token, streamUrl, expiresAt }: the plaintext token, this once. */
export const action = ({ request, context }: ActionFunctionArgs) =>
  apiRoute(async () => {
    assertMethod(request, "POST");
    const user = await requireApiUser(request);
    const parsed = Body.safeParse(await readBody(request));
    if (!parsed.success) throw new ApiError(400, "invalid_request", parsed.error.issues[0].message);
    const created = await createStreamToken({ user, ...parsed.data, ip: context.clientIp, userAgent: request.headers.get("User-Agent") });
    return json(created, { status: 201, headers: { "Cache-Control": "no-store" } });
  });
