import type { LoaderFunctionArgs } from "@remix-run/node";
import { apiDocsPage } from "~/web/index.server";

/** GET → the API documentation page (Swagger UI, from the app's own assets). */
export const loader = ({ context }: LoaderFunctionArgs) => apiDocsPage(context.cspNonce);
