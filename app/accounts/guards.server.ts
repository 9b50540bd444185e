import { createHash, timingSafeEqual } from "node:crypto";
import { config } from "~/config.server";
import { AppError } from "~/platform/index.server";
import { getUser } from "./session.server";
import type { PublicUser } from "./users.server";

/** The API's guard: a signed-in user, or an `unauthenticated` error (401 at the edge). */
export async function requireApiUser(request: Request): Promise<PublicUser> {
  const user = await getUser(request);
  if (!user) throw new AppError("unauthenticated", "unauthenticated", "Sign in first: this endpoint needs a session cookie.");
  return user;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Operators' endpoints: an admin's session, or (where `metricsToken` allows,
 * for scrapers and scripts) `Authorization: Bearer METRICS_TOKEN`.
 */
export async function requireApiAdmin(request: Request, { metricsToken = false } = {}): Promise<void> {
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.get("Authorization") ?? "")?.[1];
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
