import { AppError, type ErrorKind, isOutage, logger } from "~/platform/index.server";
import { getPreferences } from "./preferences.server";

/**
 * The route edge of the JSON API. Capabilities throw AppErrors in domain
 * terms; this is the one place their kinds become HTTP statuses, and every
 * API answer has one error shape: `{ "error": { "code", "message" } }`.
 */
const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  gone: 410,
  unprocessable: 422,
  limited: 429,
  client_closed: 499,
  internal: 500,
  upstream: 502,
  unavailable: 503,
};

export const statusOf = (err: AppError) => STATUS[err.kind];

function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return Response.json({ error: { code, message } }, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

const appErrorResponse = (err: AppError) => errorResponse(statusOf(err), err.code, err.message, err.headers);

/** Runs an API handler; an AppError becomes its status, anything else a logged 500 — never an HTML page. */
export async function apiRoute(handler: () => Promise<Response>): Promise<Response> {
  try {
    return await handler();
  } catch (err) {
    if (err instanceof AppError) return appErrorResponse(err);
    if (isOutage(err)) {
      logger.warn({ err }, "a dependency is unavailable");
      return errorResponse(503, "service_unavailable", "This service cannot answer right now. Please try again in a few seconds.", { "Retry-After": "5" });
    }
    logger.error({ err }, "unexpected error in an API route");
    return errorResponse(500, "internal_error", "Something went wrong on our side. Please try again.");
  }
}

/**
 * For page loaders and actions: an outage (Postgres or Redis unreachable)
 * becomes a 503 error page with Retry-After, anything else is rethrown.
 */
export async function rethrowAsPageOutage(err: unknown, request: Request): Promise<never> {
  if (!isOutage(err)) throw err;
  logger.warn({ err }, "a dependency is unavailable");
  // The error page renders without the root loader's data: it is told the visitor's language here.
  const { locale } = await getPreferences(request);
  throw new Response(JSON.stringify({ code: "service_unavailable", locale }), {
    status: 503,
    headers: { "Content-Type": "application/json", "Retry-After": "5", "Cache-Control": "no-store" },
  });
}

/** A 405 in the API's error shape, naming the method to use. */
export function methodNotAllowed(allow: string, message = `Use ${allow}.`) {
  return new AppError("method_not_allowed", "method_not_allowed", message, { headers: { Allow: allow } });
}

export function assertMethod(request: Request, allow: string) {
  if (request.method !== allow) throw methodNotAllowed(allow);
}

/** Reads a JSON or form body into a plain object; a malformed body is a 400, not a crash. */
export async function readBody(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get("Content-Type") ?? "";
  const invalid = (cause: unknown) => new AppError("invalid", "invalid_body", "The request body must be a JSON object or a form.", { cause });
  if (type.includes("application/json")) {
    const body: unknown = await request.json().catch((err: unknown) => {
      throw invalid(err);
    });
    if (body && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
    throw invalid(new Error("not an object"));
  }
  const form = await request.formData().catch((err: unknown) => {
    throw invalid(err);
  });
  return Object.fromEntries(form);
}

/** Requests that change state from another site are refused: the browser says where they came from. */
export function isCrossSite(headers: { secFetchSite?: string; origin?: string; host?: string; authorization?: string }) {
  // API clients authenticate with a bearer token, which a browser never attaches by itself.
  if (headers.authorization) return false;
  if (headers.secFetchSite) return headers.secFetchSite !== "same-origin" && headers.secFetchSite !== "none";
  if (!headers.origin) return false;
  if (headers.origin === "null") return true;
  return !URL.canParse(headers.origin) || new URL(headers.origin).host !== headers.host;
}

/** A text field of a submitted form ("" when absent or a file). */
export function formText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}
