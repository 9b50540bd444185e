import type { LoaderFunctionArgs } from "@remix-run/node";
import { apiDocsAsset, apiRoute } from "~/web/index.server";

export const loader = ({ params }: LoaderFunctionArgs) => apiRoute(() => apiDocsAsset(params.asset ?? ""));
