import { useCallback, useState } from "react";
import { useHydrated } from "~/hooks/use-hydrated";
import { useI18n } from "~/hooks/use-i18n";
import { useSocketEvent } from "~/hooks/use-socket";
import { formatDuration, type PlaylistEntry } from "~/lib/formats";
import { PLAYLIST_FORMATS } from "~/lib/media-options";
import type { StreamEntry } from "~/lib/socket-events";
import { DownloadForm } from "./format-list";

const button = "rounded-md px-3 py-1.5 text-sm font-semibold";

/**
 * A playlist's entries as checkboxes (all chosen at first) and one "Download
 * ZIP" button: a plain form that works without JS (`name="entries"`, the ZIP
 * downloads at once); with JS, select all / none and each entry's progress
 * while the ZIP streams.
 */
export function PlaylistForm({ entries, tokenId }: { entries: PlaylistEntry[]; tokenId: string | null }) {
  const { t } = useI18n();
  const hydrated = useHydrated();
  const [chosen, setChosen] = useState(() => new Set(entries.map((e) => e.index)));
  const [progress, setProgress] = useState<{ byIndex: Record<number, StreamEntry["status"]>; current: StreamEntry | null }>({ byIndex: {}, current: null });

  const onEntry = useCallback(
    (entry: StreamEntry) => {
      if (entry.tokenId !== tokenId) return;
      setProgress((p) => ({ byIndex: { ...p.byIndex, [entry.index]: entry.status }, current: entry }));
    },
    [tokenId],
  );
  useSocketEvent("stream:entry", onEntry);

  const toggle = (index: number, on: boolean) =>
    setChosen((previous) => {
      const next = new Set(previous);
      if (on) next.add(index);
      else next.delete(index);
      return next;
    });

  return (
    <DownloadForm className="space-y-4" testId="playlist">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-sm font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">{t("playlist.count", { count: entries.length })}</h2>
        {hydrated ? (
          <div className="flex gap-2">
            <button
              type="button"
              className={`${button} border border-slate-300 dark:border-slate-700`}
              onClick={() => setChosen(new Set(entries.map((e) => e.index)))}
            >
              {t("playlist.selectAll")}
            </button>
            <button type="button" className={`${button} border border-slate-300 dark:border-slate-700`} onClick={() => setChosen(new Set())}>
              {t("playlist.selectNone")}
            </button>
          </div>
        ) : null}
      </div>
      {progress.current ? (
        <p aria-live="polite" className="text-sm font-medium" data-testid="playlist-progress">
          {t("playlist.progress", { position: progress.current.position, count: progress.current.count })}
        </p>
      ) : null}
      <ul className="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
        {entries.map((entry) => {
          const status = progress.byIndex[entry.index];
          return (
            <li key={entry.index} className="flex items-center gap-3 px-4 py-3" data-testid="playlist-entry" data-status={status ?? ""}>
              <input
                id={`entry-${entry.index}`}
                type="checkbox"
                name="entries"
                value={entry.index}
                checked={chosen.has(entry.index)}
                onChange={(e) => toggle(entry.index, e.target.checked)}
                className="h-4 w-4"
              />
              <label htmlFor={`entry-${entry.index}`} className="min-w-0 flex-1">
                <span className="mr-2 text-slate-600 dark:text-slate-400">{entry.index}.</span>
                <span className="font-medium">{entry.title}</span>
                {entry.durationSeconds ? (
                  <span className="ml-2 text-xs text-slate-600 dark:text-slate-400">{formatDuration(entry.durationSeconds)}</span>
                ) : null}
              </label>
              {status ? <span className="shrink-0 text-xs text-slate-600 dark:text-slate-300">{t(`playlist.entry.${status}`)}</span> : null}
            </li>
          );
        })}
      </ul>
      <fieldset className="flex flex-wrap items-center gap-4">
        <legend className="mb-1 text-sm font-medium">{t("playlist.format")}</legend>
        {PLAYLIST_FORMATS.map((id) => (
          <label key={id} className="flex items-center gap-2 text-sm">
            <input type="radio" name="formatId" value={id} defaultChecked={id === "best"} />
            {t(`playlist.format.${id}`)}
          </label>
        ))}
      </fieldset>
      <button
        type="submit"
        disabled={hydrated && chosen.size === 0}
        className={`${button} bg-brand-600 px-4 py-2 text-white hover:bg-brand-700 disabled:opacity-50`}
      >
        {t("playlist.download")}
      </button>
    </DownloadForm>
  );
}
