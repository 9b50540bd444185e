import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { apiRoute, assertMethod, methodNotAllowed, requireApiAdmin } from "~/services/api.server";
import { runAllCleanups } from "~/services/maintenance.server";

/** POST (admins): every cleanup now; answers with what each removed. */
export const action = ({ request }: ActionFunctionArgs) =>
  apiRoute(async () => {
    assertMethod(request, "POST");
    await requireApiAdmin(request);
    return json({ removed: await runAllCleanups() }, { headers: { "Cache-Control": "no-store" } });
  });

export const loader = () =>
  apiRoute(async () => {
    throw methodNotAllowed("POST");
  });
