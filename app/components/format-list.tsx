import { Form } from "@remix-run/react";
import { useI18n } from "~/hooks/use-i18n";
import { CONVERTED_AUDIO, labelFor, type FormatKind, type LabelWords, type MediaFormat, type SubtitleTrack } from "~/lib/formats";
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

function FormatRow({ format, highlighted }: { format: MediaFormat; highlighted: boolean }) {
  const { t, f } = useI18n();
  const size = format.filesize ? `${format.filesizeIsEstimate ? "≈ " : ""}${f.bytes(format.filesize)}` : t("formats.sizeUnknown");
  const name = formatName(format, t);
  return (
    <li
      className={`flex items-center gap-3 px-4 py-3 ${highlighted ? "bg-brand-50/60 dark:bg-slate-800/60" : ""}`}
      data-testid="format"
      data-format-id={format.id}
    >
      <span className={`${BADGE} ${BADGE_STYLES[format.badge] ?? "bg-slate-100 text-slate-800 dark:bg-slate-800 dark:text-slate-200"}`}>
        {format.badge === "Audio" ? t("formats.label.audio") : format.badge}
      </span>
      <span className="min-w-0 flex-1">
        <span className="block font-medium">{name}</span>
        <span className="block text-xs text-slate-600 dark:text-slate-400">
          {size} · {format.delivery === "direct" ? t("formats.resumable") : t("formats.converted")}
        </span>
      </span>
      <Form method="post" className="shrink-0">
        <input type="hidden" name="formatId" value={format.id} />
        <button type="submit" aria-label={t("formats.downloadAria", { label: name })} className={SMALL_BUTTON}>
          {t("formats.download")}
        </button>
      </Form>
    </li>
  );
}

/** One subtitle track: its file as SRT or WebVTT, or the video with it embedded (plain forms). */
function SubtitleRow({ track, videoFormatId }: { track: SubtitleTrack; videoFormatId: string | null }) {
  const { t } = useI18n();
  return (
    <li className="flex flex-wrap items-center gap-3 px-4 py-3" data-testid="subtitle" data-lang={track.lang}>
      <span className={`${BADGE} ${BADGE_STYLES.CC}`}>{t("formats.badge.subtitles")}</span>
      <span className="min-w-0 flex-1 font-medium">
        {track.label} <span className="text-xs text-slate-500">({track.lang})</span>
      </span>
      {(["srt", "vtt"] as const).map((format) => (
        <Form method="post" key={format} className="shrink-0">
          <input type="hidden" name="formatId" value="subtitles" />
          <input type="hidden" name="subtitleLang" value={track.lang} />
          <input type="hidden" name="subtitleFormat" value={format} />
          <button type="submit" aria-label={t("subtitles.fileAria", { label: track.label, format: format.toUpperCase() })} className={SMALL_BUTTON}>
            {t("subtitles.file", { format: format.toUpperCase() })}
          </button>
        </Form>
      ))}
      {videoFormatId ? (
        <Form method="post" className="shrink-0">
          <input type="hidden" name="formatId" value={videoFormatId} />
          <input type="hidden" name="embedSubtitles" value={track.lang} />
          <button type="submit" aria-label={t("subtitles.embedAria", { label: track.label })} className={SMALL_BUTTON}>
            {t("subtitles.embed")}
          </button>
        </Form>
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
  const recommended = formats.filter((f) => f.derived && !isConverted(f));
  const converted = formats.filter(isConverted);
  // Subtitles are embedded into the best picture with sound.
  const videoFormatId = formats.find((f) => f.hasVideo && f.hasAudio)?.id ?? null;
  return (
    <div className="space-y-6">
      {recommended.length ? <FormatGroup title="formats.group.recommended" formats={recommended} highlighted /> : null}
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

function FormatGroup({ title, formats, highlighted = false }: { title: MessageKey; formats: MediaFormat[]; highlighted?: boolean }) {
  const { t } = useI18n();
  return (
    <section className="space-y-2">
      <h2 className="text-sm font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">{t(title)}</h2>
      <ul
        className={`divide-y divide-slate-200 overflow-hidden rounded-xl border bg-white dark:divide-slate-800 dark:bg-slate-900 ${highlighted ? "border-brand-500/50" : "border-slate-200 dark:border-slate-800"}`}
      >
        {formats.map((format) => (
          <FormatRow key={format.id} format={format} highlighted={highlighted} />
        ))}
      </ul>
    </section>
  );
}
