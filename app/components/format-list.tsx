import { Form } from "@remix-run/react";
import type { ReactNode } from "react";
import { useHydrated } from "~/hooks/use-hydrated";
import { useI18n } from "~/hooks/use-i18n";
import { CONVERTED_AUDIO, labelFor, languageName, type FormatKind, type LabelWords, type MediaFormat, type SubtitleTrack } from "~/lib/formats";
import type { MessageKey, Translate } from "~/lib/i18n";

const GROUPS: Array<{ kind: FormatKind; title: MessageKey }> = [
  { kind: "video+audio", title: "formats.group.videoAudio" },
  { kind: "video", title: "formats.group.video" },
  { kind: "audio", title: "formats.group.audio" },
];

const BADGE_STYLES: Record<string, string> = {
  "4K": "bg-violet-100 text-violet-900 dark:bg-violet-950 dark:text-violet-200",
  "1440p": "bg-indigo-100 text-indigo-900 dark:bg-indigo-950 dark:text-indigo-200",
  "1080p": "bg-sky-100 text-sky-900 dark:bg-sky-950 dark:text-sky-200",
  "720p": "bg-teal-100 text-teal-900 dark:bg-teal-950 dark:text-teal-200",
  Audio: "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200",
  MP3: "bg-orange-100 text-orange-900 dark:bg-orange-950 dark:text-orange-200",
  M4A: "bg-orange-100 text-orange-900 dark:bg-orange-950 dark:text-orange-200",
  Opus: "bg-orange-100 text-orange-900 dark:bg-orange-950 dark:text-orange-200",
  CC: "bg-emerald-100 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200",
};
const BADGE = "w-16 shrink-0 rounded-md px-2 py-1 text-center text-xs font-bold";
const SMALL_BUTTON = "rounded-md bg-brand-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-brand-700";
const isConverted = (f: MediaFormat) => (CONVERTED_AUDIO as readonly string[]).includes(f.derived ?? "");

/** A format's name in the visitor's language: "Best quality · 720p · MP4 · H.264 + AAC". */
export function formatName(format: MediaFormat, t: Translate) {
  const words: LabelWords = {
    video: t("formats.label.video"),
    audio: t("formats.label.audio"),
    audioKbps: (kbps) => t("formats.label.audioKbps", { kbps }),
    noSound: t("formats.label.noSound"),
  };
  // A derived audio choice is already labelled "Audio · M4A…": only the best merge needs naming.
  const prefix = format.derived === "best" ? `${t("formats.best")} · ` : "";
  return `${prefix}${labelFor(format, words)}`;
}

/**
 * One click makes the link and starts the bytes: with JS the action answers
 * the link and the page's download manager starts at once; without JS (no
 * `js` field) the action answers 303 to the stream URL and the browser saves it.
 * Without `formatId`, a field of the form's own chooses it (a playlist's radios, a clip's select).
 */
export function DownloadForm({
  formatId,
  action,
  className,
  children,
  testId,
}: {
  formatId?: string;
  action?: string;
  className?: string;
  children: ReactNode;
  testId?: string;
}) {
  const hydrated = useHydrated();
  return (
    <Form method="post" action={action} className={className} data-testid={testId}>
      {formatId ? <input type="hidden" name="formatId" value={formatId} /> : null}
      {hydrated ? <input type="hidden" name="js" value="1" /> : null}
      {children}
    </Form>
  );
}

function sizeText(format: MediaFormat, t: Translate, bytes: (n: number) => string) {
  return format.filesize ? `${format.filesizeIsEstimate ? "≈ " : ""}${bytes(format.filesize)}` : t("formats.sizeUnknown");
}

/** The big button: the recommended format (best video with sound, MP4 preferred) in one click. */
export function RecommendedDownload({ format }: { format: MediaFormat }) {
  const { t, f } = useI18n();
  const name = formatName(format, t);
  return (
    <DownloadForm
      formatId={format.id}
      className="flex flex-col gap-3 rounded-xl border border-brand-500/50 bg-brand-50/60 p-4 sm:flex-row sm:items-center dark:bg-slate-800/60"
    >
      <span className="min-w-0 flex-1">
        <span className="block text-sm font-semibold uppercase tracking-wide text-brand-800 dark:text-brand-300">{t("formats.recommended")}</span>
        <span className="block font-medium" data-testid="recommended-label">
          {name}
        </span>
        <span className="block text-xs text-slate-600 dark:text-slate-400">{sizeText(format, t, f.bytes)}</span>
      </span>
      <button
        type="submit"
        data-testid="download-best"
        data-format-id={format.id}
        aria-label={t("formats.downloadAria", { label: name })}
        className="rounded-lg bg-brand-600 px-6 py-3 text-lg font-bold text-white shadow hover:bg-brand-700"
      >
        {t("formats.downloadBest")}
      </button>
    </DownloadForm>
  );
}

function FormatRow({ format }: { format: MediaFormat }) {
  const { t, f } = useI18n();
  const size = sizeText(format, t, f.bytes);
  const name = formatName(format, t);
  return (
    <li className="flex items-center gap-3 px-4 py-3" data-testid="format" data-format-id={format.id}>
      <span className={`${BADGE} ${BADGE_STYLES[format.badge] ?? "bg-slate-100 text-slate-800 dark:bg-slate-800 dark:text-slate-200"}`}>
        {format.badge === "Audio" ? t("formats.label.audio") : format.badge}
      </span>
      <span className="min-w-0 flex-1">
        <span className="block font-medium">{name}</span>
        <span className="block text-xs text-slate-600 dark:text-slate-400">
          {size} · {format.delivery === "direct" ? t("formats.resumable") : t("formats.converted")}
        </span>
      </span>
      <DownloadForm formatId={format.id} className="shrink-0">
        <button type="submit" aria-label={t("formats.downloadAria", { label: name })} className={SMALL_BUTTON}>
          {t("formats.download")}
        </button>
      </DownloadForm>
    </li>
  );
}

/** One subtitle track: its file as SRT or WebVTT, or the video with it embedded (plain forms). */
function SubtitleRow({ track, videoFormatId }: { track: SubtitleTrack; videoFormatId: string | null }) {
  const { t, locale } = useI18n();
  // The language's name in the visitor's language ("Tiếng Việt" / "Vietnamese"); the server's English label otherwise.
  const label = languageName(track.lang, locale) ?? track.label;
  return (
    <li className="flex flex-wrap items-center gap-3 px-4 py-3" data-testid="subtitle" data-lang={track.lang}>
      <span className={`${BADGE} ${BADGE_STYLES.CC}`}>{t("formats.badge.subtitles")}</span>
      <span className="min-w-0 flex-1 font-medium">
        {label} <span className="text-xs text-slate-600 dark:text-slate-400">({track.lang})</span>
      </span>
      {(["srt", "vtt"] as const).map((format) => (
        <DownloadForm key={format} formatId="subtitles" className="shrink-0">
          <input type="hidden" name="subtitleLang" value={track.lang} />
          <input type="hidden" name="subtitleFormat" value={format} />
          <button type="submit" aria-label={t("subtitles.fileAria", { label, format: format.toUpperCase() })} className={SMALL_BUTTON}>
            {t("subtitles.file", { format: format.toUpperCase() })}
          </button>
        </DownloadForm>
      ))}
      {videoFormatId ? (
        <DownloadForm formatId={videoFormatId} className="shrink-0">
          <input type="hidden" name="embedSubtitles" value={track.lang} />
          <button type="submit" aria-label={t("subtitles.embedAria", { label })} className={SMALL_BUTTON}>
            {t("subtitles.embed")}
          </button>
        </DownloadForm>
      ) : null}
    </li>
  );
}

/**
 * Formats grouped the way people choose: the recommended (derived) choices
 * first, then with sound, picture only, sound only, converted audio, and the
 * page's subtitles.
 */
export function FormatList({ formats, subtitles = [] }: { formats: MediaFormat[]; subtitles?: SubtitleTrack[] }) {
  const { t } = useI18n();
  const derived = formats.filter((f) => f.derived && !isConverted(f));
  const converted = formats.filter(isConverted);
  // Subtitles are embedded into the best picture with sound.
  const videoFormatId = formats.find((f) => f.hasVideo && f.hasAudio)?.id ?? null;
  return (
    <div className="space-y-6">
      {derived.length ? <FormatGroup title="formats.group.derived" formats={derived} /> : null}
      {GROUPS.map(({ kind, title }) => {
        const inGroup = formats.filter((f) => !f.derived && f.kind === kind);
        return inGroup.length ? <FormatGroup key={kind} title={title} formats={inGroup} /> : null;
      })}
      {converted.length ? <FormatGroup title="formats.group.converted" formats={converted} /> : null}
      {subtitles.length ? (
        <section className="space-y-2">
          <h2 className="text-sm font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">{t("formats.group.subtitles")}</h2>
          <ul className="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
            {subtitles.map((track) => (
              <SubtitleRow key={track.lang} track={track} videoFormatId={videoFormatId} />
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}

function FormatGroup({ title, formats }: { title: MessageKey; formats: MediaFormat[] }) {
  const { t } = useI18n();
  return (
    <section className="space-y-2">
      <h2 className="text-sm font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">{t(title)}</h2>
      <ul className="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
        {formats.map((format) => (
          <FormatRow key={format.id} format={format} />
        ))}
      </ul>
    </section>
  );
}
