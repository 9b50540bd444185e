/**
 * The route edge: what routes and the custom server share to turn requests
 * into calls and domain errors into HTTP — error shapes and statuses, bodies,
 * Node-stream responses, toasts, the visitor's language and theme, and the
 * per-address API budget, and the API's own description (OpenAPI document
 * and docs page). It knows no capability.
 */
export { apiDocsAsset, apiDocsPage } from "./api-docs.server";
export { API_BUDGET_REFUSED, consumeApiRequest, deferApiBudget, withApiBudget, type ApiBudgetTicket } from "./api-limit.server";
export { apiRoute, formText, isCrossSite, rethrowAsPageOutage, assertMethod, methodNotAllowed, readBody, statusOf } from "./http.server";
export { maskTokens } from "./mask-tokens.server";
export { errorToast, requestTranslator } from "./messages.server";
export { nodeBodyOf, responseFromNodeStream } from "./node-body.server";
export { openApiDocument } from "./openapi.server";
export { getPreferences, preferenceCookies, type Theme } from "./preferences.server";
export { redirectWithToast, takeToast, type Toast } from "./toast.server";
