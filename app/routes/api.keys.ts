import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { translate } from "~/lib/i18n";
import { API_KEY_NAME_MAX, ApiKeyCreateSchema } from "~/lib/api-schemas";
import { createApiKey, listApiKeys, requireSessionApiUser } from "~/accounts/index.server";
import { AppError } from "~/platform/index.server";
import { apiRoute, assertMethod, readBody } from "~/web/index.server";

/** GET → the caller's API keys: names and dates, never a key. */
export const loader = ({ request }: LoaderFunctionArgs) =>
  apiRoute(async () => {
    const user = await requireSessionApiUser(request);
    return Response.json({ keys: await listApiKeys(user.id) }, { headers: { "Cache-Control": "no-store" } });
  });

/** POST { name } → 201 { id, key, … }: the key in plaintext, this once. */
export const action = ({ request }: ActionFunctionArgs) =>
  apiRoute(async () => {
    assertMethod(request, "POST");
    const user = await requireSessionApiUser(request);
    const parsed = ApiKeyCreateSchema.safeParse(await readBody(request));
    if (!parsed.success) throw new AppError("invalid", "invalid_name", translate("en", parsed.error.issues[0].message, { max: API_KEY_NAME_MAX }));
    const created = await createApiKey({ user, name: parsed.data.name });
    return Response.json(created, { status: 201, headers: { "Cache-Control": "no-store", Location: `/api/keys/${created.id}` } });
  });
