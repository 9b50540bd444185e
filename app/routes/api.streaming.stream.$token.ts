import type { LoaderFunctionArgs } from "@remix-run/node";
import { apiRoute } from "~/services/api.server";
import { openStream } from "~/services/streaming.server";

/**
 * The download URL. The token is the credential (no session needed), so a
 * link works in any download manager, curl, or another device.
 */
export const loader = ({ request, params, context }: LoaderFunctionArgs) =>
  apiRoute(() => openStream({ token: params.token ?? "", request, clientIp: context.clientIp, emit: context.emitToUser }));
