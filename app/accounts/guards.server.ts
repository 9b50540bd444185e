import { createHash, timingSafeEqual } from "node:crypto";
import { config } from "~/config.server";
import { AppError } from "~/platform/index.server";
import { userForApiKey } from "./api-keys.server";
import { getUser } from "./session.server";
import type { PublicUser } from "./users.server";

const REALM = 'Bearer realm="TaiVideoNhanh"';

const bearerOf = (request: Request) => /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("Authorization") ?? "")?.[1];

/**
 * The API's guard: the owner of an API key (`Authorization: Bearer <key>`) or
 * a signed-in user, else an `unauthenticated` error (401 at the edge). A
 * request that sends credentials is judged on them alone: a bad key never
 * falls back to a cookie the browser may have attached.
 */
export async function requireApiUser(request: Request): Promise<PublicUser> {
  if (request.headers.has("Authorization")) {
    const key = bearerOf(request);
    const user = key ? await userForApiKey(key) : null;
    if (user) return user;
    throw new AppError(
      "unauthenticated",
      "invalid_api_key",
      key ? "This API key is unknown or was revoked." : "Send an API key as `Authorization: Bearer <key>`.",
      { headers: { "WWW-Authenticate": `${REALM}, error="invalid_token"` } },
    );
  }
  const user = await getUser(request);
  if (!user) {
    throw new AppError("unauthenticated", "unauthenticated", "Sign in first, or send an API key as `Authorization: Bearer <key>`.", {
      headers: { "WWW-Authenticate": REALM },
    });
  }
  return user;
}

/**
 * Managing keys needs the session itself: a key (perhaps leaked with a
 * script) cannot make or revoke keys.
 */
export async function requireSessionApiUser(request: Request): Promise<PublicUser> {
  const user = request.headers.has("Authorization") ? null : await getUser(request);
  if (!user) throw new AppError("unauthenticated", "unauthenticated", "Sign in first: API keys are managed with a session cookie.");
  return user;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Operators' endpoints: an admin's session, or (where `metricsToken` allows,
 * for scrapers and scripts) `Authorization: Bearer METRICS_TOKEN`.
 */
export async function requireApiAdmin(request: Request, { metricsToken = false } = {}): Promise<void> {
  const bearer = bearerOf(request);
  if (bearer && metricsToken) {
    if (config.METRICS_TOKEN && timingSafeEqual(digest(bearer), digest(config.METRICS_TOKEN))) return;
    throw new AppError("unauthenticated", "invalid_token", "The bearer token is not the metrics token.");
  }
  const user = await getUser(request);
  if (!user) {
    throw new AppError(
      "unauthenticated",
      "unauthenticated",
      metricsToken ? "Sign in as an administrator, or send the metrics token as a Bearer token." : "Sign in as an administrator.",
    );
  }
  if (user.role !== "admin") throw new AppError("forbidden", "forbidden", "Only administrators can use this endpoint.");
}
