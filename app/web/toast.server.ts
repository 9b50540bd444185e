import { createCookie, redirect } from "@remix-run/node";
import { config } from "~/config.server";
import { isMessageKey, type MessageKey, type Params } from "~/lib/i18n";

/**
 * One-time messages that survive a redirect (so people without JS see them
 * too): a short-lived signed cookie the next page's root loader reads and clears.
 */
export type Toast = { kind: "success" | "error" | "info"; key: MessageKey; params?: Params };

const toastCookie = createCookie("tvn_toast", { path: "/", sameSite: "lax", httpOnly: true, maxAge: 60, secrets: config.SESSION_SECRET });

async function toastCookieHeader(toast: Toast, secure: boolean) {
  return toastCookie.serialize(toast, { secure });
}

export async function redirectWithToast(url: string, toast: Toast, { secure, headers = [] }: { secure: boolean; headers?: string[] }) {
  const response = redirect(url);
  for (const cookie of [...headers, await toastCookieHeader(toast, secure)]) response.headers.append("Set-Cookie", cookie);
  return response;
}

/** The pending toast, if any, and the Set-Cookie that clears it. */
export async function takeToast(request: Request): Promise<{ toast: Toast | null; clear: string | null }> {
  const value = (await toastCookie.parse(request.headers.get("Cookie"))) as Partial<Toast> | null;
  if (!value) return { toast: null, clear: null };
  const clear = await toastCookie.serialize("", { maxAge: 0 });
  const valid = typeof value.key === "string" && isMessageKey(value.key) && ["success", "error", "info"].includes(value.kind ?? "");
  return { toast: valid ? (value as Toast) : null, clear };
}
