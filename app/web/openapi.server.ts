import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import {
  AnalysisAcceptedSchema,
  AnalysisCompletedSchema,
  AnalysisSchema,
  AnalyzeRequestSchema,
  ApiKeyCreatedSchema,
  ApiKeyCreateSchema,
  ApiKeySchema,
  CleanupSchema,
  ErrorResponseSchema,
  HealthSchema,
  MetricsSchema,
  QueuesSchema,
  StatusSchema,
  TokenCreatedSchema,
  TokenListSchema,
  TokenRequestSchema,
} from "~/lib/api-schemas";

/**
 * GET /api/openapi.json: the API described from the zod schemas the routes
 * validate with (app/lib/api-schemas.ts), so the document cannot drift from
 * the code that checks requests. Built once per process.
 */

type Responses = NonNullable<RouteConfig["responses"]>;

const ERROR_STATUSES: Record<number, string> = {
  400: "The request is malformed (the message says what to fix).",
  401: "No valid credentials: sign in, or send a live API key.",
  403: "Not allowed (an administrator's endpoint, or a cross-site request).",
  404: "Not found, or not yours.",
  405: "Wrong method; `Allow` names the right one.",
  409: "The resource is not in a state that allows this yet.",
  410: "Gone: the link expired or was revoked.",
  413: "The request body is larger than the server accepts.",
  422: "The address cannot be analysed (a private network, or a host that does not resolve).",
  429: "A limit was reached; `Retry-After` and `RateLimit-*` say when to try again.",
  503: "A dependency is unavailable for a moment; `Retry-After` says when to try again.",
};

function build() {
  extendZodWithOpenApi(z);
  const registry = new OpenAPIRegistry();
  const error = registry.register("Error", ErrorResponseSchema);
  const analysis = registry.register("Analysis", AnalysisSchema);
  const tokenCreated = registry.register("TokenCreated", TokenCreatedSchema);
  const apiKeySchema = registry.register("ApiKey", ApiKeySchema);
  const json = (schema: z.ZodTypeAny, description: string) => ({ description, content: { "application/json": { schema } } });
  const errors = (...statuses: number[]): Responses =>
    Object.fromEntries(
      statuses.map((status) => [
        status,
        {
          ...json(error, ERROR_STATUSES[status]),
          ...(status === 401 ? { headers: { "WWW-Authenticate": { description: "The scheme to authenticate with.", schema: { type: "string" } } } } : {}),
        },
      ]),
    );
  const body = (schema: z.ZodTypeAny) => ({
    required: true,
    content: { "application/json": { schema }, "application/x-www-form-urlencoded": { schema } },
  });

  const session = registry.registerComponent("securitySchemes", "session", {
    type: "apiKey",
    in: "cookie",
    name: "tvn_session",
    description: "The session cookie set by signing in on the site.",
  });
  const apiKey = registry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "An API key made on /account, sent as `Authorization: Bearer <key>`; it acts with its owner's limits and plan.",
  });
  const metricsToken = registry.registerComponent("securitySchemes", "metricsToken", {
    type: "http",
    scheme: "bearer",
    description: "The operator's METRICS_TOKEN (for scrapers), on the monitoring reads.",
  });
  const user = [{ [apiKey.name]: [] }, { [session.name]: [] }];
  const sessionOnly = [{ [session.name]: [] }];
  const admin = [{ [session.name]: [] }, { [metricsToken.name]: [] }];

  const requestId = z.object({ requestId: z.string().uuid().openapi({ description: "The analysis id from POST /api/streaming/analyze." }) });
  const token = z.object({ token: z.string().openapi({ description: "The download token (the credential itself)." }) });
  const keyId = z.object({ id: z.string().uuid() });

  const paths: RouteConfig[] = [
    {
      method: "post",
      path: "/api/streaming/analyze",
      tags: ["analysis"],
      summary: "Analyse a video page",
      description: "Queues an analysis and answers at once with an id to poll; a cached result answers 200 with the formats.",
      security: user,
      request: { body: body(AnalyzeRequestSchema) },
      responses: {
        200: json(AnalysisCompletedSchema, "Answered from the cache: the analysis with its formats."),
        202: { ...json(AnalysisAcceptedSchema, "Queued; poll `statusUrl` (also in `Location`)."), headers: { Location: { schema: { type: "string" } } } },
        ...errors(400, 401, 413, 422, 429, 503),
      },
    },
    {
      method: "get",
      path: "/api/streaming/analyze/{requestId}",
      tags: ["analysis"],
      summary: "An analysis: status, progress, result or error",
      security: user,
      request: { params: requestId },
      responses: { 200: json(analysis, "The analysis (the owner's only)."), ...errors(401, 404, 503) },
    },
    {
      method: "post",
      path: "/api/streaming/token",
      tags: ["downloads"],
      summary: "Make a download link for a format",
      description: "The token is returned this once; only its hash is stored. Counts against the active-link, hourly and daily limits.",
      security: user,
      request: { body: body(TokenRequestSchema) },
      responses: { 201: json(tokenCreated, "The new link."), ...errors(400, 401, 404, 409, 413, 429, 503) },
    },
    // The download URL, bare and with the file name (for tools that name files from the URL).
    ...[
      { path: "/api/streaming/stream/{token}", summary: "Download the bytes", params: token },
      {
        path: "/api/streaming/stream/{token}/{name}",
        summary: "Download the bytes, with the file name in the URL",
        params: token.extend({
          name: z
            .string()
            .openapi({ description: "The file name (URL-encoded): tools that name files from the URL save it under this name. Any name is accepted." }),
        }),
      },
    ].map(({ path, summary, params }) => ({
      method: "get" as const,
      path,
      tags: ["downloads"],
      summary,
      description: "The token is the credential: no session or key is needed, so the link works in download managers. `Range` is honoured on direct formats.",
      security: [],
      request: { params, headers: z.object({ Range: z.string().optional() }) },
      responses: {
        200: { description: "The media, streamed.", content: { "application/octet-stream": { schema: { type: "string" as const, format: "binary" } } } },
        206: { description: "The requested range.", content: { "application/octet-stream": { schema: { type: "string" as const, format: "binary" } } } },
        ...errors(401, 404, 410, 429, 503),
      },
    })),
    {
      method: "post",
      path: "/api/streaming/token/{token}/refresh",
      tags: ["downloads"],
      summary: "Replace a link with a fresh one",
      description: "The old token is revoked; the new one is returned this once.",
      security: user,
      request: { params: token },
      responses: { 201: json(tokenCreated, "The new link."), ...errors(401, 404, 410, 429, 503) },
    },
    {
      method: "delete",
      path: "/api/streaming/token/{token}",
      tags: ["downloads"],
      summary: "Revoke a link",
      description: "A download running on it stops.",
      security: user,
      request: { params: token },
      responses: { 204: { description: "Revoked." }, ...errors(401, 404, 503) },
    },
    {
      method: "get",
      path: "/api/streaming/tokens",
      tags: ["downloads"],
      summary: "The caller's active links (metadata, never a token)",
      security: user,
      responses: { 200: json(TokenListSchema, "Active links, newest first."), ...errors(401, 503) },
    },
    {
      method: "get",
      path: "/api/keys",
      tags: ["keys"],
      summary: "The caller's API keys (never a key itself)",
      security: sessionOnly,
      responses: { 200: json(z.object({ keys: z.array(apiKeySchema) }), "The keys, oldest first."), ...errors(401, 503) },
    },
    {
      method: "post",
      path: "/api/keys",
      tags: ["keys"],
      summary: "Make an API key",
      description: "Needs the session: a key cannot make keys. The key is in this answer only; it is stored hashed.",
      security: sessionOnly,
      request: { body: body(ApiKeyCreateSchema) },
      responses: { 201: json(ApiKeyCreatedSchema, "The new key, shown this once."), ...errors(400, 401, 403, 413, 429, 503) },
    },
    {
      method: "delete",
      path: "/api/keys/{id}",
      tags: ["keys"],
      summary: "Revoke an API key",
      security: sessionOnly,
      request: { params: keyId },
      responses: { 204: { description: "Revoked: the key stops working at once." }, ...errors(401, 403, 404, 503) },
    },
    {
      method: "get",
      path: "/api/monitoring/health",
      tags: ["monitoring"],
      summary: "Health of the service and its dependencies",
      security: [],
      responses: { 200: json(HealthSchema, "ok or degraded."), 503: json(HealthSchema, "down.") },
    },
    {
      method: "get",
      path: "/api/monitoring/metrics",
      tags: ["monitoring"],
      summary: "Metrics: a JSON snapshot, or Prometheus text",
      description: "Prometheus text when `format=prometheus` or `Accept` names text/plain or OpenMetrics.",
      security: admin,
      request: { query: z.object({ format: z.enum(["json", "prometheus"]).optional() }) },
      responses: {
        200: {
          description: "The figures.",
          content: { "application/json": { schema: MetricsSchema }, "text/plain": { schema: { type: "string" } } },
        },
        ...errors(400, 401, 403, 503),
      },
    },
    {
      method: "get",
      path: "/api/monitoring/queues",
      tags: ["monitoring"],
      summary: "Queue depths, workers and throughput",
      security: admin,
      responses: { 200: json(QueuesSchema, "One entry per queue."), ...errors(401, 403, 503) },
    },
    {
      method: "get",
      path: "/api/monitoring/status",
      tags: ["monitoring"],
      summary: "Version, uptime, tools and the configuration without its secrets",
      security: admin,
      responses: { 200: json(StatusSchema, "The status."), ...errors(401, 403, 503) },
    },
    {
      method: "post",
      path: "/api/monitoring/cleanup",
      tags: ["monitoring"],
      summary: "Run every cleanup now",
      security: sessionOnly,
      responses: { 200: json(CleanupSchema, "What each cleanup removed."), ...errors(401, 403, 503) },
    },
  ];
  for (const path of paths) registry.registerPath(path);

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Tải Video Nhanh API",
      version: "1",
      description: 'Analyse a video page, pick a format, get a short-lived download link. Errors always have the shape `{ "error": { "code", "message" } }`.',
    },
    security: user,
  });
}

let document: ReturnType<typeof build> | undefined;

export function openApiDocument() {
  document ??= build();
  return document;
}
