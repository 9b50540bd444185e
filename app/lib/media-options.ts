import { z } from "zod";

/**
 * What a download link may ask for beyond a format (issue 15): playlist
 * entries as one ZIP, a time range, a subtitle file, or subtitles embedded.
 * The API sends them as JSON, the page's plain forms as fields; both end
 * here, and the link stores what was accepted.
 */

const language = z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, "A subtitle language is a language tag such as vi or en-US.");

export const MediaOptionsSchema = z.object({
  entries: z.array(z.number().int("Playlist entries are numbered 1, 2, 3…").min(1, "Playlist entries are numbered from 1.")).min(1).max(500).optional(),
  clip: z
    .object({
      start: z.number().finite().min(0, "A clip starts at 0 s or later."),
      end: z.number().finite().min(0),
    })
    .optional(),
  subtitles: z.object({ lang: language, format: z.enum(["srt", "vtt"]) }).optional(),
  embedSubtitles: z.array(language).min(1).max(4).optional(),
});

export type MediaOptions = z.infer<typeof MediaOptionsSchema>;

/** The ids a playlist ZIP accepts: each entry's best file, its sound as M4A, or its sound as MP3. */
export const PLAYLIST_FORMATS = ["best", "audio", "mp3"] as const;

/** The pseudo-format of a subtitle file. */
export const SUBTITLES_FORMAT = "subtitles";

/**
 * "1:05", "01:05", "1:02:03" or plain seconds ("65", "2.5") → seconds;
 * empty → null; anything else → NaN (the caller reports it).
 */
export function parseClock(text: string): number | null {
  const value = text.trim();
  if (!value) return null;
  if (!/^\d+(\.\d+)?$|^\d+(:[0-5]?\d){1,2}(\.\d+)?$/.test(value)) return Number.NaN;
  return value.split(":").reduce((total, part) => total * 60 + Number(part), 0);
}

/**
 * The page's plain forms → options (the same checks as the API's JSON):
 * `entries` checkboxes, `clipStart`/`clipEnd` as mm:ss, `subtitleLang` with
 * `subtitleFormat`, `embedSubtitles`. A field that cannot be read gives its
 * error code instead.
 */
export function mediaOptionsFromForm(form: FormData): { options: MediaOptions } | { error: string } {
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : "";
  };
  const raw: Record<string, unknown> = {};
  const entries = form.getAll("entries").map((v) => Number(v));
  if (entries.length) raw.entries = entries;
  const start = parseClock(text("clipStart"));
  const end = parseClock(text("clipEnd"));
  if (start !== null || end !== null) {
    if (end === null || Number.isNaN(end) || Number.isNaN(start)) return { error: "invalid_clip_time" };
    raw.clip = { start: start ?? 0, end };
  }
  if (text("subtitleLang")) raw.subtitles = { lang: text("subtitleLang"), format: text("subtitleFormat") };
  const embed = form.getAll("embedSubtitles").filter((v): v is string => typeof v === "string" && v !== "");
  if (embed.length) raw.embedSubtitles = embed;
  const parsed = MediaOptionsSchema.safeParse(raw);
  return parsed.success ? { options: parsed.data } : { error: "invalid_request" };
}
