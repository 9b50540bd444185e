import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireApiUser } from "~/accounts/index.server";
import { listActiveTokens } from "~/downloads/index.server";
import { apiRoute } from "~/web/index.server";

/** GET → the caller's active tokens: metadata only, never a token or its hash. */
export const loader = ({ request }: LoaderFunctionArgs) =>
  apiRoute(async () => {
    const user = await requireApiUser(request);
    const tokens = await listActiveTokens(user.id);
    return Response.json({ tokens }, { headers: { "Cache-Control": "no-store" } });
  });
