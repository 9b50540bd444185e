import type { ActionFunctionArgs } from "@remix-run/node";
import { TokenRequestSchema } from "~/lib/api-schemas";
import { requireApiUser } from "~/accounts/index.server";
import { createStreamToken } from "~/downloads/index.server";
import { AppError } from "~/platform/index.server";
import { apiRoute, assertMethod, readBody, withApiBudget } from "~/web/index.server";

/**
 * POST { requestId, formatId, entries?, clip?, subtitles?, embedSubtitles? }
 * → 201 { token, tokenId, streamUrl, fileName, expiresAt }: the plaintext token, this once.
 */
export const action = ({ request, context }: ActionFunctionArgs) =>
  apiRoute(async () => {
    assertMethod(request, "POST");
    // The address' API budget is spent with the link limits, in one round trip (server/app.ts leaves it to this route).
    return withApiBudget(context.clientIp, context.apiBudget, async (shared) => {
      const user = await requireApiUser(request);
      const parsed = TokenRequestSchema.safeParse(await readBody(request));
      if (!parsed.success) throw new AppError("invalid", "invalid_request", parsed.error.issues[0].message);
      const { requestId, formatId, ...options } = parsed.data;
      const { created } = await createStreamToken({
        user,
        requestId,
        formatId,
        options,
        ip: context.clientIp,
        userAgent: request.headers.get("User-Agent"),
        shared,
      });
      return Response.json(created, { status: 201, headers: { "Cache-Control": "no-store" } });
    });
  });
