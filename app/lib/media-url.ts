import { z } from "zod";

export const MAX_URL_LENGTH = 2048;

/**
 * The shape of an acceptable video page URL, shared by the form (client and
 * server) and the API. Where it points to is checked on the server only
 * (see services/url-guard.server.ts).
 */
export const MediaUrlSchema = z
  .string({ required_error: "Paste the address of a video page." })
  .trim()
  .min(1, "Paste the address of a video page.")
  .max(MAX_URL_LENGTH, `That address is longer than ${MAX_URL_LENGTH} characters.`)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "That is not a web address. It should start with https://" });
      return;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "Only http:// and https:// addresses can be analysed." });
    } else if (!url.hostname || (!url.hostname.includes(".") && !url.hostname.startsWith("["))) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "That address has no real host name." });
    } else if (url.username || url.password) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "Addresses with a user name or password are not accepted." });
    }
  });

export const AnalyzeFormSchema = z.object({ url: MediaUrlSchema });

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
