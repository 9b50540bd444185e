import type { ActionFunctionArgs } from "@remix-run/node";
import { requireApiUser } from "~/accounts/index.server";
import { findOwnedToken, refreshStreamToken } from "~/downloads/index.server";
import { apiRoute, assertMethod } from "~/web/index.server";

/** POST → 201 with a new token and expiry; the old token is revoked. */
export const action = ({ request, params }: ActionFunctionArgs) =>
  apiRoute(async () => {
    assertMethod(request, "POST");
    const user = await requireApiUser(request);
    const row = await findOwnedToken(params.token ?? "", user.id);
    const created = await refreshStreamToken({ tokenId: row.id, userId: user.id });
    return Response.json(created, { status: 201, headers: { "Cache-Control": "no-store" } });
  });
