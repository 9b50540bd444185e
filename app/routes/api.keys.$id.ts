import type { ActionFunctionArgs } from "@remix-run/node";
import { requireSessionApiUser, revokeApiKey } from "~/accounts/index.server";
import { apiRoute, assertMethod, methodNotAllowed } from "~/web/index.server";

/** DELETE → 204: the key stops working at once. Another user's key is a 404. */
export const action = ({ request, params }: ActionFunctionArgs) =>
  apiRoute(async () => {
    assertMethod(request, "DELETE");
    const user = await requireSessionApiUser(request);
    await revokeApiKey({ userId: user.id, keyId: params.id ?? "" });
    return new Response(null, { status: 204 });
  });

export const loader = () => apiRoute(() => Promise.reject(methodNotAllowed("DELETE")));
