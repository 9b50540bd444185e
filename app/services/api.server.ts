import { createHash, timingSafeEqual } from "node:crypto";
import { json } from "@remix-run/node";
import { config } from "~/config.server";
import { logger } from "./logger.server";
import type { PublicUser } from "./users.server";
import { getUser } from "./session.server";

/**
 * The one error shape of the JSON API: `{ "error": { "code", "message" } }`.
 * Services throw ApiError; `apiRoute` turns it (and anything unexpected) into
 * that shape, so a resource route never answers with an HTML error page.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return json({ error: { code, message } }, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

export async function apiRoute(handler: () => Promise<Response>): Promise<Response> {
  try {
    return await handler();
  } catch (err) {
    if (err instanceof ApiError) return errorResponse(err.status, err.code, err.message, err.headers);
    logger.error({ err }, "unexpected error in an API route");
    return errorResponse(500, "internal_error", "Something went wrong on our side. Please try again.");
  }
}

export async function requireApiUser(request: Request): Promise<PublicUser> {
  const user = await getUser(request);
  if (!user) throw new ApiError(401, "unauthenticated", "Sign in first: this endpoint needs a session cookie.");
  return user;
}

/** A 405 in the API's error shape, naming the method to use. */
export function methodNotAllowed(allow: string, message = `Use ${allow}.`) {
  return new ApiError(405, "method_not_allowed", message, { Allow: allow });
}

export function assertMethod(request: Request, allow: string) {
  if (request.method !== allow) throw methodNotAllowed(allow);
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
    throw new ApiError(401, "invalid_token", "The bearer token is not the metrics token.");
  }
  const user = await getUser(request);
  if (!user) {
    throw new ApiError(401, "unauthenticated", metricsToken ? "Sign in as an administrator, or send the metrics token as a Bearer token." : "Sign in as an administrator.");
  }
  if (user.role !== "admin") throw new ApiError(403, "forbidden", "Only administrators can use this endpoint.");
}

/** Reads a JSON or form body into a plain object; a malformed body is a 400, not a crash. */
export async function readBody(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get("Content-Type") ?? "";
  try {
    if (type.includes("application/json")) {
      const body = (await request.json()) as unknown;
      if (body && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
      throw new Error("not an object");
    }
    return Object.fromEntries(await request.formData());
  } catch {
    throw new ApiError(400, "invalid_body", "The request body must be a JSON object or a form.");
  }
}
