import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { apiRoute, requireApiUser } from "~/services/api.server";
import { listActiveTokens } from "~/services/stream-tokens.server";

/** GET → the caller's active tokens: metadata only, never a token or its hash. */
export const loader = ({ request }: LoaderFunctionArgs) =>
  apiRoute(async () => {
    const user = await requireApiUser(request);
    const tokens = await listActiveTokens(user.id);
    return json({ tokens }, { headers: { "Cache-Control": "no-store" } });
  });
