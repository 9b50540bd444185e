import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { safeRedirect } from "~/lib/safe-redirect";
import { isSecureRequest } from "~/accounts/index.server";
import { preferenceCookies } from "~/web/index.server";

/** POST lang and/or theme (a plain form, so it works without JS), then back to where the visitor was. */
export async function action({ request }: ActionFunctionArgs) {
  const form = Object.fromEntries(await request.formData());
  const response = redirect(safeRedirect(form.redirectTo));
  for (const cookie of await preferenceCookies(form, isSecureRequest(request))) response.headers.append("Set-Cookie", cookie);
  return response;
}

export const loader = () => redirect("/");
