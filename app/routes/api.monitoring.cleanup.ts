import type { ActionFunctionArgs } from "@remix-run/node";
import { requireApiAdmin } from "~/accounts/index.server";
import { runAllCleanups } from "~/monitoring/index.server";
import { apiRoute, assertMethod, methodNotAllowed } from "~/web/index.server";

/** POST (admins): every cleanup now; answers with what each removed. */
export const action = ({ request }: ActionFunctionArgs) =>
  apiRoute(async () => {
    assertMethod(request, "POST");
    await requireApiAdmin(request);
    return Response.json({ removed: await runAllCleanups() }, { headers: { "Cache-Control": "no-store" } });
  });

export const loader = () => apiRoute(() => Promise.reject(methodNotAllowed("POST")));
