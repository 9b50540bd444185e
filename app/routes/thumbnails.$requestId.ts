import type { LoaderFunctionArgs } from "@remix-run/node";
import { getUser } from "~/accounts/index.server";
import { thumbnailFor } from "~/analysis/index.server";

/** An analysis's picture from the app's own origin (see analysis/thumbnails.server.ts); only its owner sees it. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await getUser(request);
  const image = user ? await thumbnailFor({ requestId: params.requestId ?? "", userId: user.id }) : null;
  if (!image) return new Response("No picture for this analysis.", { status: 404, headers: { "Cache-Control": "private, max-age=300" } });
  return new Response(new Uint8Array(image), {
    headers: { "Content-Type": "image/jpeg", "Content-Length": String(image.length), "Cache-Control": "private, max-age=86400" },
  });
}
