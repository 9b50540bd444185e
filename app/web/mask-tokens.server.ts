import { createHash } from "node:crypto";

/**
 * Download tokens travel in paths: logs show `#` and the first characters of
 * the token's SHA-256 instead — the start of the row's token_hash, enough to
 * find the link, useless as a credential. The file name after a stream token
 * (a video's title) stays out of the logs too.
 */
export function maskTokens(url: string) {
  return url.replace(
    /(\/api\/streaming\/(stream|token)\/)([^/?#]{16,})(\/[^?#]*)?/g,
    (_match, prefix: string, route: string, token: string, rest = "") =>
      `${prefix}#${createHash("sha256").update(token).digest("hex").slice(0, 12)}${route === "stream" ? "" : rest}`,
  );
}
