import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { sharedUrl } from "~/lib/web-app";
import { getUser, isSecureRequest } from "~/accounts/index.server";
import { requestAnalysis } from "~/analysis/index.server";
import { AppError } from "~/platform/index.server";
import { errorToast, redirectWithToast } from "~/web/index.server";

/**
 * The web manifest's share target (GET, so no JS or service worker is
 * needed): the shared link lands in the home page's form, and for a signed-in
 * user its analysis starts at once. Only a share the browser itself opens
 * (the share sheet: Sec-Fetch-Site "none") or one from this site starts work;
 * a link from another site to /share only fills the form in.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const url = sharedUrl(new URL(request.url).searchParams);
  const secure = isSecureRequest(request);
  if (!url) return redirectWithToast("/", { kind: "info", key: "toast.shareNoUrl" }, { secure });
  const home = `/?${new URLSearchParams({ url })}`;
  const user = await getUser(request);
  const site = request.headers.get("Sec-Fetch-Site");
  if (!user || (site !== "none" && site !== "same-origin")) return redirect(home);
  try {
    const analysis = await requestAnalysis({ user, url });
    return redirect(`/analyze/${analysis.requestId}`);
  } catch (err) {
    if (err instanceof AppError) return redirectWithToast(home, errorToast(err), { secure });
    throw err;
  }
}
