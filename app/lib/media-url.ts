import { z } from "zod";

export const MAX_URL_LENGTH = 2048;

/**
 * The shape of an acceptable video page URL, shared by the form (client and
 * server) and the API. Where it points to is checked on the server only
 * (see services/url-guard.server.ts). Messages are catalogue keys (app/lib/i18n).
 */
export const MediaUrlSchema = z
  .string({ required_error: "validation.url.required" })
  .trim()
  .min(1, "validation.url.required")
  .max(MAX_URL_LENGTH, "validation.url.tooLong")
  .superRefine((value, ctx) => {
    if (!URL.canParse(value)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "validation.url.notUrl" });
      return;
    }
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "validation.url.protocol" });
    } else if (!url.hostname || (!url.hostname.includes(".") && !url.hostname.startsWith("["))) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "validation.url.host" });
    } else if (url.username || url.password) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "validation.url.credentials" });
    }
  });

export const AnalyzeFormSchema = z.object({ url: MediaUrlSchema, then: z.enum(["best"]).optional() });

/** Analysis failures that another try of the same address cannot fix: the page offers no "Try again" for them. */
const PERMANENT_FAILURES = new Set(["no_video", "not_found", "forbidden", "unavailable", "drm", "blocked_address", "playlist", "tool_missing"]);
export const isPermanentFailure = (code: string | undefined) => code !== undefined && PERMANENT_FAILURES.has(code);

const TRACKING_PARAMS = /^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|igshid|mc_[a-z]+|si)$/i;

/**
 * One canonical spelling per address, so equal pages share a cache entry:
 * lower-case scheme and host, no default port, no fragment, no tracking
 * parameters, the remaining parameters sorted.
 */
export function normaliseMediaUrl(value: string): string {
  const url = new URL(value.trim());
  url.hash = "";
  const kept = [...url.searchParams].filter(([key]) => !TRACKING_PARAMS.test(key));
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  url.search = new URLSearchParams(kept).toString();
  return url.toString();
}
