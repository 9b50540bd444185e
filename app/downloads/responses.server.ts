import { create as contentDisposition } from "content-disposition";
import { asciiFallback } from "~/lib/file-name";
import type { AppError } from "~/platform/index.server";
import { getPreferences, requestTranslator, statusOf } from "~/web/index.server";

/** What a download answers with: its content type, its file name, or why it was refused. */
export const CONTENT_TYPES: Record<string, string> = {
  mp4: "video/mp4",
  m4v: "video/mp4",
  webm: "video/webm",
  mkv: "video/x-matroska",
  mov: "video/quicktime",
  flv: "video/x-flv",
  ts: "video/mp2t",
  "3gp": "video/3gpp",
  m4a: "audio/mp4",
  mp3: "audio/mpeg",
  opus: "audio/ogg",
  ogg: "audio/ogg",
  weba: "audio/webm",
  aac: "audio/aac",
  flac: "audio/flac",
  wav: "audio/wav",
  zip: "application/zip",
  srt: "application/x-subrip; charset=utf-8",
  vtt: "text/vtt; charset=utf-8",
};

/**
 * `attachment` with an ASCII fallback and an RFC 5987 `filename*` (browsers
 * use the latter). curl -J and Wget ignore `filename*`, so for them the plain
 * `filename` carries the UTF-8 bytes of the real name instead of the fallback.
 */
export function dispositionFor(name: string, userAgent: string | null) {
  const standard = contentDisposition(name, { fallback: asciiFallback(name) });
  if (!/^(curl|Wget)\//i.test(userAgent ?? "")) return standard;
  const utf8 = Buffer.from(name.replace(/["\\]/g, "_"), "utf8").toString("latin1");
  return standard.replace(/filename="(?:[^"\\]|\\.)*"|filename=[^;]+/, `filename="${utf8}"`);
}

/**
 * A refused download: the code in headers and no body, or a short page for a
 * browser tab, in the visitor's language.
 */
export async function refusedDownload(request: Request, err: AppError): Promise<Response> {
  const headers = new Headers({ ...err.headers, "Cache-Control": "no-store", "X-Error-Code": err.code, "X-Error-Message": asciiFallback(err.message) });
  if (!(request.headers.get("Accept") ?? "").includes("text/html")) return new Response(null, { status: statusOf(err), headers });
  headers.set("Content-Type", "text/html; charset=utf-8");
  const [{ t, explain }, { locale }] = await Promise.all([requestTranslator(request), getPreferences(request)]);
  const escape = (text: string) => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const title = escape(t("refused.title"));
  return new Response(
    `<!doctype html><html lang="${locale}"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title><body style="font-family:system-ui;max-width:32rem;margin:4rem auto;padding:0 1rem"><h1>${title}</h1><p>${escape(explain(err))}</p><p><a href="/">${escape(t("refused.back"))}</a></p>`,
    { status: statusOf(err), headers },
  );
}
