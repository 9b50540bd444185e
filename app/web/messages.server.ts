import { config } from "~/config.server";
import { errorMessage, isMessageKey, translator, type Translate } from "~/lib/i18n";
import { getPreferences } from "./preferences.server";
import type { Toast } from "./toast.server";

/** The values some error messages name (limits come from config). */
const ERROR_PARAMS: Record<string, Record<string, number>> = {
  too_many_active_tokens: { max: config.MAX_TOKENS_PER_USER },
  hourly_limit: { max: config.MAX_TOKENS_PER_HOUR },
  too_many_analyses: { max: config.MAX_PENDING_ANALYSES },
  too_many_entries: { max: config.MAX_PLAYLIST_ENTRIES },
  too_many_api_keys: { max: config.MAX_API_KEYS_PER_USER },
  guest_quota_exceeded: { guest: config.GUEST_DAILY, free: config.FREE_TIER_DAILY, pro: config.PRO_TIER_DAILY },
};

/** `t` in the request's language, and error codes in it too: for actions that answer a page with a sentence. */
export async function requestTranslator(request: Request): Promise<{ t: Translate; explain: (error: { code: string; message?: string }) => string }> {
  const t = translator((await getPreferences(request)).locale);
  return { t, explain: (error) => errorMessage(t, error, ERROR_PARAMS[error.code]) };
}

/** An error code as a toast for the page a redirect lands on (the code's own message when the catalogue has one). */
export function errorToast(error: { code: string }): Toast {
  const key = `error.${error.code}`;
  return isMessageKey(key) ? { kind: "error", key, params: ERROR_PARAMS[error.code] } : { kind: "error", key: "error.generic" };
}
