/**
 * Turns yt-dlp's `-J` output into the formats users choose from. Pure code,
 * safe in the browser: the server normalises, the UI renders the same types.
 */

/** The fields of yt-dlp's format objects we read; everything may be missing. */
export type YtDlpFormat = {
  format_id?: string;
  format_note?: string | null;
  url?: string;
  ext?: string | null;
  protocol?: string | null;
  width?: number | null;
  height?: number | null;
  fps?: number | null;
  vcodec?: string | null;
  acodec?: string | null;
  filesize?: number | null;
  filesize_approx?: number | null;
  tbr?: number | null;
  vbr?: number | null;
  abr?: number | null;
  container?: string | null;
  video_ext?: string | null;
  audio_ext?: string | null;
  fragments?: unknown[] | null;
  has_drm?: boolean | null;
  http_headers?: Record<string, string> | null;
};

export type YtDlpInfo = YtDlpFormat & {
  id?: string;
  title?: string | null;
  fulltitle?: string | null;
  uploader?: string | null;
  channel?: string | null;
  duration?: number | null;
  thumbnail?: string | null;
  thumbnails?: Array<{ url?: string; width?: number | null; preference?: number | null }> | null;
  webpage_url?: string | null;
  extractor?: string | null;
  extractor_key?: string | null;
  formats?: YtDlpFormat[] | null;
  artist?: string | null;
  /** Subtitle tracks by language, e.g. a page's `<track kind="subtitles" srclang="vi">`. */
  subtitles?: Record<string, Array<{ url?: string; ext?: string | null; name?: string | null }>> | null;
  /** A playlist's entries (flat: `--flat-playlist` names them without resolving them). */
  entries?: Array<{ url?: string | null; title?: string | null; duration?: number | null }> | null;
  _type?: string;
};

export type QualityBadge = "4K" | "1440p" | "1080p" | "720p" | "480p" | "SD" | "Video" | "Audio" | "MP3" | "M4A" | "Opus";
/** Audio converted by ffmpeg, with the title, artist and thumbnail (cover art) written in. */
export const CONVERTED_AUDIO = ["mp3", "m4a", "opus"] as const;
export type ConvertedAudio = (typeof CONVERTED_AUDIO)[number];
export type FormatKind = "video+audio" | "video" | "audio";
export type Delivery = "direct" | "pipe";

export type MediaFormat = {
  /** yt-dlp's format id, or `best` / `audio` for the derived choices. */
  id: string;
  /** The yt-dlp `-f` selector that produces this choice. */
  selector: string;
  kind: FormatKind;
  ext: string;
  container: string;
  width: number | null;
  height: number | null;
  fps: number | null;
  vcodec: string | null;
  acodec: string | null;
  hasVideo: boolean;
  hasAudio: boolean;
  filesize: number | null;
  filesizeIsEstimate: boolean;
  bitrateKbps: number | null;
  protocol: string;
  delivery: Delivery;
  badge: QualityBadge;
  label: string;
  derived: "best" | "audio" | ConvertedAudio | null;
};

export type SubtitleTrack = { lang: string; label: string; ext: string };
export type PlaylistEntry = { index: number; title: string; url: string; durationSeconds?: number };

export type AnalysisResult = {
  kind: "video" | "playlist";
  id: string;
  title: string;
  uploader: string | null;
  durationSeconds: number | null;
  thumbnail: string | null;
  webpageUrl: string;
  extractor: string;
  formats: MediaFormat[];
  subtitles?: SubtitleTrack[];
  /** A playlist's entries, 1-based; resolved one by one when downloaded. */
  entries?: PlaylistEntry[];
  /** The one-click choice: the best video with sound, MP4 preferred (set when the result is read). */
  recommendedFormatId?: string | null;
};

/** Server-only: where each format's bytes come from (never sent to browsers). */
export type FormatSource = { url: string; headers: Record<string, string> };

const AUDIO_EXTS = new Set(["m4a", "mp3", "opus", "ogg", "oga", "aac", "flac", "wav", "weba", "mka"]);
/**
 * Extensions that hold media. A format with neither codec known and another
 * extension (a text file, an archive: yt-dlp offers any direct link as a
 * video) is media only when ffprobe found a stream in it.
 */
const MEDIA_EXTS = new Set([...AUDIO_EXTS, "mp4", "m4v", "webm", "mkv", "mov", "flv", "3gp", "ts", "m2ts", "avi", "wmv", "mpg", "mpeg", "ogv", "m3u8", "mpd"]);
const STREAMING_PROTOCOLS = /^(m3u8|http_dash|f4m|ism)/;
export const isMediaExtension = (ext: string | null | undefined) => MEDIA_EXTS.has((ext ?? "").toLowerCase());
const DIRECT_PROTOCOLS = new Set(["http", "https"]);

const CONTAINERS: Record<string, string> = {
  mp4: "MP4",
  m4a: "M4A",
  webm: "WebM",
  weba: "WebM",
  mkv: "Matroska",
  mka: "Matroska",
  mov: "QuickTime",
  flv: "FLV",
  "3gp": "3GP",
  ts: "MPEG-TS",
  mp3: "MP3",
  opus: "Ogg Opus",
  ogg: "Ogg",
  flac: "FLAC",
  wav: "WAV",
  aac: "AAC",
};

const CODEC_NAMES: Array<[RegExp, string]> = [
  [/^(avc1|avc3|h264)/i, "H.264"],
  [/^(hev1|hvc1|h265|hevc)/i, "H.265"],
  [/^(vp09|vp9)/i, "VP9"],
  [/^vp8/i, "VP8"],
  [/^(av01|av1)/i, "AV1"],
  [/^(mp4a|aac)/i, "AAC"],
  [/^opus/i, "Opus"],
  [/^vorbis/i, "Vorbis"],
  [/^(mp3|mp4a\.40\.34|mp4a\.6b)/i, "MP3"],
  [/^(ac-3|ac3)/i, "AC-3"],
  [/^(ec-3|eac3)/i, "E-AC-3"],
  [/^flac/i, "FLAC"],
  [/^mjpeg/i, "MJPEG"],
];

export function codecName(codec: string | null | undefined): string | null {
  if (!codec || codec === "none") return null;
  return CODEC_NAMES.find(([pattern]) => pattern.test(codec))?.[1] ?? codec.split(".")[0];
}

export function badgeFor(height: number | null, hasVideo: boolean): QualityBadge {
  if (!hasVideo) return "Audio";
  if (height == null) return "Video";
  if (height >= 2160) return "4K";
  if (height >= 1440) return "1440p";
  if (height >= 1080) return "1080p";
  if (height >= 720) return "720p";
  if (height >= 480) return "480p";
  return "SD";
}

export function formatBytes(bytes: number | null | undefined, locale = "en"): string | null {
  if (bytes == null || !Number.isFinite(bytes) || bytes < 0) return null;
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value)} ${units[unit]}`;
}

export function formatDuration(seconds: number | null | undefined): string | null {
  if (seconds == null || !Number.isFinite(seconds)) return null;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? `${h}:` : ""}${mm}:${String(s).padStart(2, "0")}`;
}

/** yt-dlp says "none" for an absent stream and null/undefined for "unknown". */
function streamPresence(codec: string | null | undefined, extSaysSo: boolean) {
  if (codec === "none") return false;
  if (codec) return true;
  return extSaysSo;
}

function positive(n: number | null | undefined): number | null {
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n : null;
}

/** The few words in a format's label; the UI passes them in the visitor's language. */
export type LabelWords = { video: string; audio: string; audioKbps: (kbps: number) => string; noSound: string };
const ENGLISH_WORDS: LabelWords = { video: "Video", audio: "Audio", audioKbps: (kbps) => `Audio ${kbps} kbps`, noSound: "no sound" };

export function labelFor(f: Omit<MediaFormat, "label">, words: LabelWords = ENGLISH_WORDS): string {
  const parts: string[] = [];
  if (f.hasVideo) {
    const resolution = f.height ? `${f.height}p${f.fps && f.fps > 30 ? Math.round(f.fps) : ""}` : words.video;
    parts.push(resolution);
  } else {
    parts.push(f.bitrateKbps ? words.audioKbps(Math.round(f.bitrateKbps)) : words.audio);
  }
  parts.push(f.container);
  const codecs = [f.hasVideo ? codecName(f.vcodec) : null, f.hasAudio ? codecName(f.acodec) : null].filter(Boolean);
  if (codecs.length) parts.push(codecs.join(" + "));
  if (f.kind === "video") parts.push(words.noSound);
  return parts.join(" · ");
}

function withLabel(format: Omit<MediaFormat, "label">): MediaFormat {
  return { ...format, label: labelFor(format) };
}

export function normaliseFormat(raw: YtDlpFormat, durationSeconds: number | null): MediaFormat | null {
  if (!raw.format_id || raw.has_drm) return null;
  const ext = (raw.ext || "").toLowerCase() || "mp4";
  const protocol = (raw.protocol || "https").toLowerCase();
  // Storyboards and other image-only "formats" are not downloads.
  if (ext === "mhtml" || protocol === "mhtml") return null;
  if (raw.vcodec == null && raw.acodec == null && !MEDIA_EXTS.has(ext) && !STREAMING_PROTOCOLS.test(protocol)) return null;

  const audioByExt = AUDIO_EXTS.has(ext) || (raw.video_ext === "none" && raw.audio_ext != null && raw.audio_ext !== "none");
  const hasVideo = streamPresence(raw.vcodec, !audioByExt);
  const hasAudio = streamPresence(raw.acodec, true);
  if (!hasVideo && !hasAudio) return null;

  const bitrateKbps = positive(raw.tbr) ?? positive((positive(raw.vbr) ?? 0) + (positive(raw.abr) ?? 0));
  const exact = positive(raw.filesize);
  const approx = positive(raw.filesize_approx);
  const estimated = !exact && !approx && bitrateKbps && durationSeconds ? Math.round((bitrateKbps * 1000 * durationSeconds) / 8) : null;
  const height = positive(raw.height);
  const single = DIRECT_PROTOCOLS.has(protocol) && !raw.fragments?.length;

  return withLabel({
    id: raw.format_id,
    selector: raw.format_id,
    kind: hasVideo && hasAudio ? "video+audio" : hasVideo ? "video" : "audio",
    ext,
    container: CONTAINERS[ext] ?? ext.toUpperCase(),
    width: positive(raw.width),
    height,
    fps: positive(raw.fps),
    vcodec: hasVideo ? (raw.vcodec ?? null) : null,
    acodec: hasAudio ? (raw.acodec ?? null) : null,
    hasVideo,
    hasAudio,
    filesize: exact ?? approx ?? estimated,
    filesizeIsEstimate: !exact,
    bitrateKbps,
    protocol,
    delivery: single ? "direct" : "pipe",
    badge: badgeFor(height, hasVideo),
    derived: null,
  });
}

const AUDIO_CODECS: Record<ConvertedAudio, string> = { mp3: "mp3", m4a: "mp4a.40.2", opus: "opus" };
const AUDIO_KBPS: Record<ConvertedAudio, number> = { mp3: 192, m4a: 192, opus: 128 };
const AUDIO_BADGES: Record<ConvertedAudio, QualityBadge> = { mp3: "MP3", m4a: "M4A", opus: "Opus" };

/** A sound-only choice made by converting `source` on the pipe path. */
function audioChoice(
  source: MediaFormat,
  choice: Pick<MediaFormat, "id" | "selector" | "ext" | "container" | "acodec" | "bitrateKbps" | "badge" | "derived">,
): MediaFormat {
  return withLabel({
    ...source,
    kind: "audio",
    width: null,
    height: null,
    fps: null,
    vcodec: null,
    hasVideo: false,
    hasAudio: true,
    filesize: null,
    filesizeIsEstimate: true,
    protocol: "convert",
    delivery: "pipe",
    ...choice,
  });
}

const KIND_ORDER: Record<FormatKind, number> = { "video+audio": 0, video: 1, audio: 2 };

function byQuality(a: MediaFormat, b: MediaFormat) {
  return (
    KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
    (b.height ?? 0) - (a.height ?? 0) ||
    (b.fps ?? 0) - (a.fps ?? 0) ||
    (b.bitrateKbps ?? 0) - (a.bitrateKbps ?? 0) ||
    (b.filesize ?? 0) - (a.filesize ?? 0)
  );
}

/**
 * The choices users want on top of yt-dlp's list: the best video merged with
 * the best audio (when they only exist apart, or are better apart), and the
 * sound alone as an audio file.
 */
function derivedChoices(formats: MediaFormat[]): MediaFormat[] {
  const choices: MediaFormat[] = [];
  const bestMuxed = formats.find((f) => f.kind === "video+audio");
  const bestVideo = formats.find((f) => f.kind === "video");
  const bestAudio = formats.find((f) => f.kind === "audio");
  if (bestVideo && bestAudio && (!bestMuxed || (bestVideo.height ?? 0) > (bestMuxed.height ?? 0))) {
    const filesize = bestVideo.filesize && bestAudio.filesize ? bestVideo.filesize + bestAudio.filesize : null;
    // MP4 when both streams fit it (plays everywhere); Matroska holds any pair.
    const mp4 = /^(avc|h264|hev|hvc|h265)/i.test(bestVideo.vcodec ?? "") && /^(mp4a|aac)/i.test(bestAudio.acodec ?? "");
    choices.push(
      withLabel({
        ...bestVideo,
        id: "best",
        selector: `${bestVideo.id}+${bestAudio.id}`,
        kind: "video+audio",
        ext: mp4 ? "mp4" : "mkv",
        container: mp4 ? "MP4" : "Matroska",
        acodec: bestAudio.acodec,
        hasAudio: true,
        filesize,
        filesizeIsEstimate: true,
        bitrateKbps: bestVideo.bitrateKbps && bestAudio.bitrateKbps ? bestVideo.bitrateKbps + bestAudio.bitrateKbps : null,
        protocol: "merge",
        delivery: "pipe",
        derived: "best",
      }),
    );
  }
  const audioSource = bestAudio ?? bestMuxed;
  if (audioSource) {
    const converted = CONVERTED_AUDIO.map((id) =>
      audioChoice(audioSource, {
        id,
        selector: audioSource.id,
        ext: id,
        container: CONTAINERS[id],
        acodec: AUDIO_CODECS[id],
        bitrateKbps: AUDIO_KBPS[id],
        badge: AUDIO_BADGES[id],
        derived: id,
      }),
    );
    choices.push(
      audioChoice(audioSource, {
        id: "audio",
        selector: bestAudio ? bestAudio.id : `${audioSource.id}`,
        ext: "m4a",
        container: "M4A",
        acodec: "mp4a.40.2",
        // A muxed source's bit rate is mostly picture: say nothing rather than something wrong.
        bitrateKbps: bestAudio ? bestAudio.bitrateKbps : null,
        badge: "Audio",
        derived: "audio",
      }),
      ...converted,
    );
  }
  return choices;
}

/**
 * The choice a one-click Download takes: the best video with sound (a merge
 * included), MP4 when one is as good; a page without sound and picture
 * together gets its best single file.
 */
export function recommendedFormat(formats: MediaFormat[]): MediaFormat | null {
  const withSound = formats.filter((f) => f.kind === "video+audio");
  const plain = formats.filter((f) => !f.derived);
  const pool = withSound.length ? withSound : plain.length ? plain : formats;
  const top = Math.max(0, ...pool.map((f) => f.height ?? 0));
  const best = pool.filter((f) => (f.height ?? 0) === top);
  return best.find((f) => f.ext === "mp4") ?? best[0] ?? null;
}

/** yt-dlp numbers the media of an HTML5 page ("Title (1)"); a page's only video needs no number. */
function cleanTitle(info: YtDlpInfo) {
  const title = (info.title || info.fulltitle || info.id || "Untitled video").trim();
  return info.extractor_key === "HTML5MediaEmbed" && /-1$/.test(info.id ?? "") ? title.replace(/ \(1\)$/, "") : title;
}

/** Where a subtitle track's text comes from, among a result's sources. */
export const subtitleSourceKey = (lang: string) => `subtitles:${lang}`;

const LANGUAGE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;

/** A language tag's name in `locale` ("vi" → "Vietnamese", or "Tiếng Việt" in vi); null for a tag Intl does not know. */
export function languageName(lang: string, locale = "en"): string | null {
  try {
    return new Intl.DisplayNames([locale], { type: "language" }).of(lang) ?? null;
  } catch {
    // Not a tag Intl knows (yt-dlp also lists "live_chat" and the like): no name.
    return null;
  }
}

/** Subtitle tracks with a usable URL, WebVTT preferred (what `<track>` carries), keyed for the sources. */
function normaliseSubtitles(info: YtDlpInfo, sources: Record<string, FormatSource>): SubtitleTrack[] {
  const tracks: SubtitleTrack[] = [];
  for (const [lang, variants] of Object.entries(info.subtitles ?? {})) {
    if (!LANGUAGE_TAG.test(lang)) continue;
    const usable = (variants ?? []).filter((v) => webUrl(v.url) && /^(vtt|srt)$/i.test(v.ext ?? ""));
    const chosen = usable.find((v) => /^vtt$/i.test(v.ext ?? "")) ?? usable[0];
    if (!chosen?.url) continue;
    sources[subtitleSourceKey(lang)] = { url: chosen.url, headers: info.http_headers ?? {} };
    tracks.push({ lang, label: chosen.name || (languageName(lang) ?? lang), ext: (chosen.ext ?? "vtt").toLowerCase() });
  }
  return tracks;
}

/**
 * Only http(s) reaches the tools: ffmpeg's protocol list must allow tcp and
 * tls under http, and a bare tcp:// or tls:// input would skip the egress
 * proxy. Any other scheme yt-dlp reports (rtmp, file…) is not offered.
 */
const webUrl = (url: string | null | undefined) => (url && /^https?:\/\//i.test(url) ? url : null);

/** yt-dlp smuggles data into flat entries' URLs after a `#__youtubedl_smuggle` fragment; the URL is what comes before. */
const unsmuggled = (url: string) => url.replace(/#__youtubedl_smuggle=.*$/, "");

/** A playlist as `--flat-playlist` lists it: titles and URLs, at most `max` entries, each downloaded later by its URL. */
export function normalisePlaylist(info: YtDlpInfo, max: number): AnalysisResult {
  const entries: PlaylistEntry[] = [];
  for (const entry of info.entries ?? []) {
    if (entries.length >= max) break;
    if (!entry.url || !/^https?:\/\//i.test(entry.url)) continue;
    const index = entries.length + 1;
    const duration = positive(entry.duration);
    entries.push({
      index,
      title: (entry.title || `${index}`).trim(),
      url: unsmuggled(entry.url),
      ...(duration ? { durationSeconds: duration } : {}),
    });
  }
  return {
    kind: "playlist",
    id: info.id ?? "playlist",
    title: (info.title || "Playlist").trim(),
    uploader: info.uploader ?? info.channel ?? null,
    durationSeconds: null,
    thumbnail: webUrl(info.thumbnail),
    webpageUrl: info.webpage_url ?? "",
    extractor: info.extractor_key ?? info.extractor ?? "generic",
    formats: [],
    entries,
  };
}

export function normaliseInfo(info: YtDlpInfo): { result: AnalysisResult; sources: Record<string, FormatSource> } {
  const durationSeconds = positive(info.duration);
  const rawFormats = info.formats?.length ? info.formats : info.url ? [info] : [];
  const sources: Record<string, FormatSource> = {};
  const formats: MediaFormat[] = [];
  for (const raw of rawFormats) {
    const format = normaliseFormat(raw, durationSeconds);
    if (!format || sources[format.id]) continue;
    formats.push(format);
    const url = webUrl(raw.url);
    if (url) sources[format.id] = { url, headers: raw.http_headers ?? {} };
  }
  formats.sort(byQuality);
  const thumbnail = webUrl(
    info.thumbnail ?? [...(info.thumbnails ?? [])].sort((a, b) => (b.preference ?? 0) - (a.preference ?? 0) || (b.width ?? 0) - (a.width ?? 0))[0]?.url,
  );
  const subtitles = normaliseSubtitles(info, sources);
  return {
    result: {
      kind: "video",
      id: info.id ?? "video",
      title: cleanTitle(info),
      uploader: info.uploader ?? info.channel ?? null,
      durationSeconds,
      thumbnail,
      webpageUrl: info.webpage_url ?? "",
      extractor: info.extractor_key ?? info.extractor ?? "generic",
      formats: [...derivedChoices(formats), ...formats],
      subtitles,
    },
    sources,
  };
}
