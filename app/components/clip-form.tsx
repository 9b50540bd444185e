import { useI18n } from "~/hooks/use-i18n";
import { formatDuration, type MediaFormat } from "~/lib/formats";
import { DownloadForm, formatName } from "./format-list";

const field = "w-24 rounded-md border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-950";

/** Start and end (mm:ss) of a clip and the format to cut it from: a plain form, so it works without JS too. */
export function ClipForm({ formats, durationSeconds }: { formats: MediaFormat[]; durationSeconds: number | null }) {
  const { t } = useI18n();
  // Pictures first (the usual clip), then the converted sound.
  const sources = [...formats.filter((f) => f.hasVideo), ...formats.filter((f) => f.derived === "mp3" || f.derived === "m4a" || f.derived === "opus")];
  if (!sources.length) return null;
  return (
    <DownloadForm className="space-y-2 rounded-xl border border-slate-200 p-3 dark:border-slate-800" testId="clip-form">
      <h2 className="text-sm font-semibold">{t("clip.title")}</h2>
      <div className="flex flex-wrap items-end gap-3 text-sm">
        <label className="flex flex-col gap-1">
          {t("clip.start")}
          <input name="clipStart" inputMode="numeric" placeholder="0:00" pattern="[0-9:.]*" className={field} />
        </label>
        <label className="flex flex-col gap-1">
          {t("clip.end")}
          <input name="clipEnd" inputMode="numeric" placeholder={formatDuration(durationSeconds) ?? "0:10"} pattern="[0-9:.]*" required className={field} />
        </label>
        <label className="flex min-w-0 flex-col gap-1">
          {t("clip.format")}
          <select name="formatId" className="max-w-xs rounded-md border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-950">
            {sources.map((format) => (
              <option key={format.id} value={format.id}>
                {formatName(format, t)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="rounded-md bg-brand-600 px-3 py-1.5 font-semibold text-white hover:bg-brand-700">
          {t("clip.submit")}
        </button>
      </div>
      {durationSeconds ? (
        <p className="text-xs text-slate-600 dark:text-slate-400">{t("clip.hint", { duration: formatDuration(durationSeconds) ?? "" })}</p>
      ) : null}
    </DownloadForm>
  );
}
