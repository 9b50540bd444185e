import type { ActionFunctionArgs } from "@remix-run/node";
import { requireApiUser } from "~/accounts/index.server";
import { findOwnedToken, revokeStreamToken } from "~/downloads/index.server";
import { apiRoute, assertMethod } from "~/web/index.server";

/** DELETE → 204: the token is revoked and a stream running on it stops. */
export const action = ({ request, params }: ActionFunctionArgs) =>
  apiRoute(async () => {
    assertMethod(request, "DELETE");
    const user = await requireApiUser(request);
    const row = await findOwnedToken(params.token ?? "", user.id);
    await revokeStreamToken({ tokenId: row.id, userId: user.id });
    return new Response(null, { status: 204 });
  });
