import { useCallback, useEffect, useRef, useState } from "react";
import { useHydrated } from "~/hooks/use-hydrated";
import { useI18n } from "~/hooks/use-i18n";
import { useSocketEvent } from "~/hooks/use-socket";
import { createDownload, type DownloadJob, type DownloadSnapshot } from "~/lib/download-manager";
import { errorMessage } from "~/lib/i18n";
import type { StreamEnd, StreamProgress } from "~/lib/socket-events";

export type ReadyDownload = {
  tokenId: string;
  token: string;
  streamUrl: string;
  expiresAt: string;
  label: string;
  delivery: "direct" | "pipe";
  fileName: string;
};

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
const button = "rounded-md px-4 py-2 font-semibold disabled:opacity-50";
const primary = `${button} bg-emerald-700 text-white hover:bg-emerald-800`;
const secondary = `${button} border border-emerald-700 text-emerald-900 hover:bg-emerald-100 dark:border-emerald-500 dark:text-emerald-100 dark:hover:bg-emerald-900`;

function ProgressBar({ percent, label }: { percent: number | null; label: string }) {
  return (
    <div
      className="h-2 overflow-hidden rounded-full bg-emerald-200 dark:bg-emerald-900"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent ?? undefined}
    >
      <div className={`h-full rounded-full bg-emerald-600 transition-all ${percent === null ? "animate-pulse" : ""}`} style={{ width: `${percent ?? 100}%` }} />
    </div>
  );
}

/**
 * The in-page download manager (with JS): progress, speed and ETA, pause and
 * resume with Range for direct formats, cancel (revokes the link, which
 * stops the server's stream) and retry; the finished file is handed to the
 * browser's own save.
 */
function Manager({ download, onActive }: { download: ReadyDownload; onActive: (active: boolean) => void }) {
  const { t, f } = useI18n();
  const job = useRef<DownloadJob | null>(null);
  const [snapshot, setSnapshot] = useState<DownloadSnapshot | null>(null);
  const resumable = download.delivery === "direct";

  useEffect(() => () => void job.current?.cancel(), []);

  const start = () => {
    job.current = createDownload({
      url: download.streamUrl,
      fileName: download.fileName,
      resumable,
      onChange: (s) => {
        setSnapshot(s);
        if (s.state === "done") void job.current?.save();
      },
    });
    onActive(true);
    void job.current.start();
  };
  // The Download click that made this link is the one that starts it.
  useEffect(() => {
    if (!job.current) start();
    // Once, when the panel appears: start() reads only the download this panel was made for.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const cancel = async () => {
    // Revoking the link is what stops the server; the job then drops what it stored.
    // Offline: the link expires by itself; the local download is cancelled either way.
    await fetch(`/api/streaming/token/${encodeURIComponent(download.token)}`, { method: "DELETE" }).catch((err: unknown) =>
      console.warn("could not revoke the link", err),
    );
    await job.current?.cancel();
    // The browser's own save is still offered; its progress comes from the server.
    onActive(false);
  };

  const state = snapshot?.state ?? "ready";
  const percent = snapshot?.total ? Math.min(100, Math.floor((snapshot.received / snapshot.total) * 100)) : null;
  const running = state === "starting" || state === "downloading";
  const details = snapshot
    ? [
        snapshot.total ? t("download.of", { received: f.bytes(snapshot.received), total: f.bytes(snapshot.total) }) : f.bytes(snapshot.received),
        percent !== null ? `${percent}%` : null,
        state === "downloading" && snapshot.speed ? `${f.bytes(snapshot.speed)}/s` : null,
        state === "downloading" && snapshot.eta !== null ? t("download.left", { time: clock(snapshot.eta) }) : null,
      ]
        .filter(Boolean)
        .join(" · ")
    : null;

  return (
    <div className="mt-4 space-y-3" data-testid="manager" data-state={state}>
      <div className="flex flex-wrap items-center gap-2">
        {running && resumable ? (
          <button type="button" className={secondary} onClick={() => job.current?.pause()} data-testid="manager-pause">
            {t("download.pause")}
          </button>
        ) : null}
        {state === "paused" ? (
          <button type="button" className={primary} onClick={() => void job.current?.resume()} data-testid="manager-resume">
            {t("download.resume")}
          </button>
        ) : null}
        {state === "failed" ? (
          <button type="button" className={primary} onClick={() => void job.current?.retry()} data-testid="manager-retry">
            {t("download.retry")}
          </button>
        ) : null}
        {state === "done" ? (
          <button type="button" className={secondary} onClick={() => void job.current?.save()} data-testid="manager-save">
            {t("download.saveAgain")}
          </button>
        ) : null}
        {running || state === "paused" || state === "failed" ? (
          <button type="button" className={secondary} onClick={() => void cancel()} data-testid="manager-cancel">
            {t("download.cancel")}
          </button>
        ) : null}
        {state !== "ready" ? (
          <span className="text-sm font-semibold text-emerald-900 dark:text-emerald-100" data-testid="manager-state">
            {t(`download.state.${state}`)}
          </span>
        ) : null}
      </div>
      {snapshot && state !== "cancelled" ? (
        <div className="space-y-1">
          <ProgressBar percent={state === "done" ? 100 : percent} label={t("download.progress")} />
          <p className="text-sm tabular-nums text-emerald-900 dark:text-emerald-100" data-testid="manager-progress">
            {details}
          </p>
        </div>
      ) : null}
      <p className="text-sm text-emerald-900 dark:text-emerald-100" aria-live="polite">
        {state === "failed" && snapshot?.error ? errorMessage(t, snapshot.error) : null}
        {state === "done" ? t("download.doneHint") : null}
        {state === "cancelled" ? t("download.cancelled") : null}
        {!resumable && (state === "ready" || running) ? t("download.pauseUnavailable") : null}
      </p>
    </div>
  );
}

/** Server-side progress of a download the browser itself makes (the plain link), from the socket. */
function ServerProgress({ tokenId }: { tokenId: string }) {
  const { t, f } = useI18n();
  const [progress, setProgress] = useState<StreamProgress | null>(null);
  const [end, setEnd] = useState<StreamEnd | null>(null);
  const onProgress = useCallback(
    (p: StreamProgress) => {
      if (p.tokenId !== tokenId) return;
      setEnd(null);
      setProgress(p);
    },
    [tokenId],
  );
  const onEnd = useCallback((e: StreamEnd) => e.tokenId === tokenId && setEnd(e), [tokenId]);
  useSocketEvent("stream:progress", onProgress);
  useSocketEvent("stream:end", onEnd);
  if (!progress && !end) return null;

  const percent = progress?.total ? Math.min(100, Math.round((progress.bytes / progress.total) * 100)) : null;
  const text = end?.handedOff
    ? t("download.handedOff")
    : end?.status === "completed"
      ? t("download.serverDone", { bytes: f.bytes(end.bytes) })
      : end
        ? t("download.serverEnded", { status: t(`download.serverStatus.${end.status}`), bytes: f.bytes(end.bytes) })
        : [
            progress!.total ? t("download.of", { received: f.bytes(progress!.bytes), total: f.bytes(progress!.total) }) : f.bytes(progress!.bytes),
            percent !== null ? `${percent}%` : null,
            progress!.speed ? `${f.bytes(progress!.speed)}/s` : null,
            progress!.eta !== null ? t("download.left", { time: clock(progress!.eta) }) : null,
          ]
            .filter(Boolean)
            .join(" · ");
  return (
    <div className="mt-4 space-y-1" data-testid="progress" data-status={end?.status ?? "downloading"}>
      <ProgressBar percent={end?.handedOff ? null : end?.status === "completed" ? 100 : percent} label={t("download.progress")} />
      <p className="text-sm text-emerald-900 dark:text-emerald-100" data-testid="progress-text">
        {text}
      </p>
    </div>
  );
}

/** The link for a new download token: the in-page manager with JS, the browser's own download without. */
export function DownloadPanel({ download }: { download: ReadyDownload }) {
  const { t, f } = useI18n();
  const hydrated = useHydrated();
  const left = useCountdown(download.expiresAt);
  const [managed, setManaged] = useState(false);

  return (
    <section
      className="rounded-xl border border-emerald-200 bg-emerald-50 p-5 dark:border-emerald-900 dark:bg-emerald-950"
      aria-live="polite"
      data-testid="download-panel"
    >
      <h2 className="font-semibold text-emerald-900 dark:text-emerald-100">{t("download.ready")}</h2>
      <p className="mt-1 text-sm text-emerald-800 dark:text-emerald-200">{download.label}</p>
      <p className="mt-1 text-sm text-emerald-900 dark:text-emerald-100" data-testid="expiry">
        {left === null
          ? t("download.validUntil", { time: f.time(download.expiresAt) })
          : left > 0
            ? t("download.expiresIn", { time: clock(left) })
            : t("download.expired")}
      </p>
      {hydrated ? <Manager download={download} onActive={setManaged} /> : null}
      <div className="mt-4 flex flex-wrap items-center gap-3 border-t border-emerald-200 pt-3 text-sm dark:border-emerald-900">
        <a
          href={download.streamUrl}
          download
          className={hydrated ? "font-semibold text-emerald-900 underline dark:text-emerald-100" : primary}
          data-testid="save-link"
        >
          {hydrated ? t("download.browserSave") : t("download.start")}
        </a>
        <span className="text-emerald-900 dark:text-emerald-100">
          {download.delivery === "direct" ? t("download.browserHint") : t("download.browserHintPipe")}
        </span>
      </div>
      {managed ? null : <ServerProgress tokenId={download.tokenId} />}
    </section>
  );
}
