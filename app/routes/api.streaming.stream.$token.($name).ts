import type { LoaderFunctionArgs } from "@remix-run/node";
import { openStream, refusedDownload } from "~/downloads/index.server";
import { AppError, isOutage, UnavailableError } from "~/platform/index.server";

/**
 * The download URL: /api/streaming/stream/<token>[/<file name>]. The token is
 * the credential (no session needed), so a link works in any download
 * manager, curl, or another device; the optional last segment is only there
 * for tools that name the file from the URL (the response's
 * Content-Disposition names it from the link's own record). A refusal
 * sends no body bytes to download clients (a saved "file" of JSON would look
 * like a download); browsers opening the link get a short page instead.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  try {
    return await openStream({ token: params.token ?? "", request, clientIp: context.clientIp, emit: context.emitToUser });
  } catch (err) {
    if (err instanceof AppError) return refusedDownload(request, err);
    if (isOutage(err))
      return refusedDownload(
        request,
        new UnavailableError("service_unavailable", "Downloads are unavailable for a moment. Please try again shortly.", { cause: err }),
      );
    throw err;
  }
}
