const DEFAULT_REDIRECT = "/";

/**
 * Only same-origin paths are allowed as redirect targets, so a crafted
 * `redirectTo` cannot send a freshly signed-in user to another site.
 */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = DEFAULT_REDIRECT) {
  if (!to || typeof to !== "string") return fallback;
  const target = to.trim();
  if (!target.startsWith("/") || target.startsWith("//") || target.startsWith("/\\")) return fallback;
  // eslint-disable-next-line no-control-regex -- control characters (CR/LF, tab) make browsers read another URL
  if (/[\u0000-\u001f\\]/.test(target)) return fallback;
  return target;
}
