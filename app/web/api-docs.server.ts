import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { AppError } from "~/platform/index.server";

/**
 * GET /api/docs: Swagger UI, served from the swagger-ui-dist package in
 * node_modules (no CDN), rendering /api/openapi.json. Its scripts carry the
 * request's CSP nonce; the styles it sets inline are allowed by the CSP's
 * style-src, so the policy stays as it is.
 */
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

const distDir = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

export async function apiDocsAsset(name: string): Promise<Response> {
  const type = ASSETS[name];
  if (!type) throw new AppError("not_found", "not_found", "No such documentation asset.");
  const body = await readFile(path.join(distDir, name));
  // The package's version is in the page's asset URLs, so an upgrade is fetched anew.
  return new Response(body, { headers: { "Content-Type": type, "Cache-Control": "public, max-age=86400" } });
}

const version = (createRequire(import.meta.url)("swagger-ui-dist/package.json") as { version: string }).version;

export function apiDocsPage(nonce: string): Response {
  const asset = (name: string) => `/api/docs/${name}?v=${encodeURIComponent(version)}`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tải Video Nhanh API</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${asset("swagger-ui.css")}">
</head>
<body>
<div id="docs"></div>
<script nonce="${nonce}" src="${asset("swagger-ui-bundle.js")}"></script>
<script nonce="${nonce}">
window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#docs", validatorUrl: null, deepLinking: true });
</script>
</body>
</html>`;
  return new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } });
}
