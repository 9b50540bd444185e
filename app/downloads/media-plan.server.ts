import { config } from "~/config.server";
import { CONVERTED_AUDIO, type AnalysisResult, type Delivery, type FormatSource, type MediaFormat } from "~/lib/formats";
import { PLAYLIST_FORMATS, SUBTITLES_FORMAT, type MediaOptions } from "~/lib/media-options";
import { AppError } from "~/platform/index.server";

/** What a link will send: checked once when it is created, stored with it. */
export type MediaPlan = {
  formatId: string;
  ext: string;
  delivery: Delivery;
  title: string;
  /** Only what applies; null for a plain format. */
  options: MediaOptions | null;
  /** Downloads counted against the daily quota: one per playlist entry. */
  downloads: number;
};

const invalid = (code: string, message: string) => new AppError("invalid", code, message);

/** The inputs ffmpeg reads for a format (picture and sound apart for a merge), or null when only yt-dlp can fetch it. */
export function mediaInputs(format: MediaFormat, sources: Record<string, FormatSource>): FormatSource[] | null {
  if (format.derived === "best") {
    const [video, audio] = format.selector.split("+");
    return sources[video] && sources[audio] ? [sources[video], sources[audio]] : null;
  }
  const source = sources[format.derived ? format.selector : format.id];
  return source ? [source] : null;
}

export const isConvertedAudio = (format: MediaFormat) => (CONVERTED_AUDIO as readonly string[]).includes(format.derived ?? "");

/** The file a format becomes when ffmpeg cuts it or adds subtitles: MP4 for pictures, the same audio or M4A for sound. */
function mediaExt(format: MediaFormat) {
  if (isConvertedAudio(format)) return format.ext;
  return format.hasVideo ? "mp4" : "m4a";
}

/**
 * Every combination a link may ask for, or a 400 whose code says what is
 * wrong: entries only for playlists (and only there), a clip inside the
 * video, subtitle languages the page has.
 */
export function planMedia(result: AnalysisResult, sources: Record<string, FormatSource>, formatId: string, requested: MediaOptions = {}): MediaPlan {
  const { entries, clip, subtitles, embedSubtitles } = requested;
  if (result.kind === "playlist") {
    if (clip || subtitles || embedSubtitles) throw invalid("option_not_for_playlist", "Clips and subtitles apply to one video, not to a playlist.");
    if (!entries?.length) throw invalid("entries_required", "Choose the playlist entries to download.");
    if (!(PLAYLIST_FORMATS as readonly string[]).includes(formatId))
      throw invalid("format_not_for_playlist", `A playlist downloads as ${PLAYLIST_FORMATS.join(", ")}.`);
    const chosen = [...new Set(entries)].sort((a, b) => a - b);
    if (chosen.length > config.MAX_PLAYLIST_ENTRIES) throw invalid("too_many_entries", `A ZIP holds at most ${config.MAX_PLAYLIST_ENTRIES} entries.`);
    const known = new Set((result.entries ?? []).map((e) => e.index));
    const unknown = chosen.find((index) => !known.has(index));
    if (unknown !== undefined) throw invalid("unknown_entry", `This playlist has no entry ${unknown}.`);
    return { formatId, ext: "zip", delivery: "pipe", title: result.title, options: { entries: chosen }, downloads: chosen.length };
  }
  if (entries) throw invalid("entries_not_playlist", "Entries can only be chosen from a playlist; this is one video.");

  const languages = new Set((result.subtitles ?? []).map((track) => track.lang));
  if (formatId === SUBTITLES_FORMAT) {
    if (!subtitles) throw invalid("subtitles_required", "Say which subtitles to download: { lang, format }.");
    if (clip || embedSubtitles) throw invalid("option_not_for_subtitles", "A subtitle file cannot be cut or carry other subtitles.");
    if (!languages.has(subtitles.lang)) throw invalid("unknown_language", `This video has no subtitles in "${subtitles.lang}".`);
    return { formatId, ext: subtitles.format, delivery: "pipe", title: result.title, options: { subtitles }, downloads: 1 };
  }
  if (subtitles) throw invalid("subtitles_need_subtitles_format", 'Subtitle files use formatId "subtitles".');

  const format = result.formats.find((f) => f.id === formatId);
  if (!format) throw new AppError("not_found", "format_not_found", "This analysis has no such format.");
  if (clip) {
    if (clip.end <= clip.start) throw invalid("clip_end_before_start", "A clip must end after it starts.");
    if (result.durationSeconds && clip.end > result.durationSeconds + 0.5)
      throw invalid("clip_past_duration", `This video lasts ${Math.round(result.durationSeconds)} s; the clip must end within it.`);
  }
  if (embedSubtitles) {
    if (!format.hasVideo || isConvertedAudio(format)) throw invalid("embed_needs_video", "Subtitles can only be embedded in a video format.");
    const unknown = embedSubtitles.find((lang) => !languages.has(lang));
    if (unknown) throw invalid("unknown_language", `This video has no subtitles in "${unknown}".`);
  }
  const converted = isConvertedAudio(format);
  if (!clip && !embedSubtitles && !converted) return { formatId, ext: format.ext, delivery: format.delivery, title: result.title, options: null, downloads: 1 };
  if (!mediaInputs(format, sources)) throw invalid("operation_not_supported", "This format cannot be cut or converted; choose another one.");
  const options: MediaOptions = { ...(clip ? { clip } : {}), ...(embedSubtitles ? { embedSubtitles: [...new Set(embedSubtitles)] } : {}) };
  return { formatId, ext: mediaExt(format), delivery: "pipe", title: result.title, options: clip || embedSubtitles ? options : null, downloads: 1 };
}
