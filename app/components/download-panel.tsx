import { useCallback, useEffect, useState } from "react";
import { useSocketEvent } from "~/hooks/use-socket";
import { formatBytes } from "~/lib/formats";
import type { StreamEnd, StreamProgress } from "~/lib/socket-events";

export type ReadyDownload = { tokenId: string; streamUrl: string; expiresAt: string; label: string };

function useCountdown(until: string) {
  const [left, setLeft] = useState<number | null>(null);
  useEffect(() => {
    const tick = () => setLeft(Math.max(0, Math.round((new Date(until).getTime() - Date.now()) / 1000)));
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [until]);
  return left;
}

const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;

/** The link for a new download token, its expiry, and live progress of the download it serves. */
export function DownloadPanel({ download }: { download: ReadyDownload }) {
  const left = useCountdown(download.expiresAt);
  const [progress, setProgress] = useState<StreamProgress | null>(null);
  const [end, setEnd] = useState<StreamEnd | null>(null);

  const onProgress = useCallback((p: StreamProgress) => {
    if (p.tokenId !== download.tokenId) return;
    setEnd(null);
    setProgress(p);
  }, [download.tokenId]);
  const onEnd = useCallback((e: StreamEnd) => e.tokenId === download.tokenId && setEnd(e), [download.tokenId]);
  useSocketEvent("stream:progress", onProgress);
  useSocketEvent("stream:end", onEnd);

  const percent = progress?.total ? Math.min(100, Math.round((progress.bytes / progress.total) * 100)) : null;
  const status = end?.status ?? (progress ? "downloading" : "ready");
  const shownPercent = end?.status === "completed" ? 100 : percent;

  return (
    <section className="rounded-xl border border-emerald-200 bg-emerald-50 p-5 dark:border-emerald-900 dark:bg-emerald-950" aria-live="polite" data-testid="download-panel" data-status={status}>
      <h2 className="font-semibold text-emerald-900 dark:text-emerald-100">Your download link is ready</h2>
      <p className="mt-1 text-sm text-emerald-800 dark:text-emerald-200">{download.label}</p>
      <div className="mt-4 flex flex-wrap items-center gap-3">
        <a href={download.streamUrl} download className="rounded-md bg-emerald-700 px-4 py-2 font-semibold text-white hover:bg-emerald-800" data-testid="save-link">
          Save file
        </a>
        <span className="text-sm text-emerald-900 dark:text-emerald-100" data-testid="expiry">
          {left === null
            ? `Link valid until ${new Date(download.expiresAt).toISOString().slice(11, 16)} UTC`
            : left > 0
              ? `Link expires in ${clock(left)}`
              : "Link expired: create a new one"}
        </span>
      </div>
      {progress || end ? (
        <div className="mt-4 space-y-1" data-testid="progress">
          <div className="h-2 overflow-hidden rounded-full bg-emerald-200 dark:bg-emerald-900" role="progressbar" aria-label="Download progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={shownPercent ?? undefined}>
            <div className="h-full rounded-full bg-emerald-600 transition-all" style={{ width: `${shownPercent ?? 100}%` }} />
          </div>
          <p className="text-sm text-emerald-900 dark:text-emerald-100" data-testid="progress-text">
            {end?.status === "completed"
              ? `Done · ${formatBytes(end.bytes)} · 100%`
              : end
                ? `Download ${end.status} after ${formatBytes(end.bytes)}`
                : [
                    `${formatBytes(progress!.bytes)}${progress!.total ? ` of ${formatBytes(progress!.total)}` : ""}`,
                    percent !== null ? `${percent}%` : null,
                    progress!.speed ? `${formatBytes(progress!.speed)}/s` : null,
                    progress!.eta !== null ? `${clock(progress!.eta)} left` : null,
                  ]
                    .filter(Boolean)
                    .join(" · ")}
          </p>
        </div>
      ) : null}
    </section>
  );
}
