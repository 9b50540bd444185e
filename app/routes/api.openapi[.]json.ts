import { apiRoute, openApiDocument } from "~/web/index.server";

/** GET → the OpenAPI 3.1 document, generated from the schemas the routes validate with. */
export const loader = () => apiRoute(() => Promise.resolve(Response.json(openApiDocument(), { headers: { "Cache-Control": "public, max-age=300" } })));
