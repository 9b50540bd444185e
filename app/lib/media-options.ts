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

