/**
 * The app's OpenAPI document as a contract for tests: answers are checked
 * against the response schema the document gives for their path, method and
 * status (ajv, JSON Schema 2020-12, which OpenAPI 3.1 schemas are).
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { expect } from "vitest";

type Document = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };

const DOCUMENT_ID = "https://taivideonhanh.invalid/openapi.json";

const pointer = (...parts: string[]) => parts.map((part) => part.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

export async function openApiContract(baseUrl: string) {
  const response = await fetch(`${baseUrl}/api/openapi.json`);
  expect(response.status).toBe(200);
  const document = (await response.json()) as Document;
  // The document's own keywords (openapi, info, paths…) are not JSON Schema: only its schemas are compiled.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });

  /** Asserts that `body` is what the document promises for this answer. */
  function expectConforms(method: string, path: string, status: number, body: unknown) {
    const operation = document.paths[path]?.[method.toLowerCase()];
    expect(operation, `${method} ${path} is in the document`).toBeDefined();
    const answer = operation.responses[String(status)];
    expect(answer?.content?.["application/json"], `${method} ${path} documents a JSON ${status}`).toBeDefined();
    const ref = `${DOCUMENT_ID}#/${pointer("paths", path, method.toLowerCase(), "responses", String(status), "content", "application/json", "schema")}`;
    const validate = ajv.getSchema(ref);
    expect(validate, ref).toBeDefined();
    const valid = validate!(body);
    expect(valid, `${method} ${path} ${status}: ${ajv.errorsText(validate!.errors)}\n${JSON.stringify(body).slice(0, 500)}`).toBe(true);
  }

  return { document, expectConforms };
}
