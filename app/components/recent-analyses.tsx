import { Link } from "@remix-run/react";
import { useI18n } from "~/hooks/use-i18n";
import { DownloadForm } from "./format-list";
import { StatusPill } from "./status-pill";

type Recent = {
  requestId: string;
  url: string;
  status: "queued" | "active" | "completed" | "failed";
  title: string | null;
  hasPicture: boolean;
  quickFormatId: string | null;
  createdAt: string;
};

export function RecentAnalyses({ items }: { items: Recent[] }) {
  const { t } = useI18n();
  return (
    <section aria-labelledby="recent-heading" className="space-y-3">
      <h2 id="recent-heading" className="text-lg font-semibold">
        {t("recent.heading")}
      </h2>
      {items.length === 0 ? (
        <p className="rounded-xl border border-dashed border-slate-300 p-6 text-center text-slate-500 dark:border-slate-700 dark:text-slate-400">
          {t("recent.empty")}
        </p>
      ) : (
        <ul
          className="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900"
          data-testid="recent-list"
        >
          {items.map((item) => (
            <li key={item.requestId} className="flex items-center hover:bg-slate-50 dark:hover:bg-slate-800">
              <Link to={`/analyze/${item.requestId}`} className="flex min-w-0 flex-1 items-center gap-3 px-4 py-3">
                {item.hasPicture && item.status === "completed" ? (
                  <img
                    src={`/thumbnails/${item.requestId}`}
                    alt=""
                    className="h-10 w-16 shrink-0 rounded bg-slate-100 object-cover dark:bg-slate-800"
                    loading="lazy"
                  />
                ) : (
                  <span aria-hidden className="grid h-10 w-16 shrink-0 place-items-center rounded bg-slate-100 text-slate-400 dark:bg-slate-800">
                    ▶
                  </span>
                )}
                <span className="min-w-0 flex-1">
                  {/* Two lines of title on a phone rather than one word and an ellipsis. */}
                  <span className="line-clamp-2 break-words font-medium sm:line-clamp-1">{item.title ?? item.url}</span>
                  <span className="hidden truncate text-xs text-slate-600 sm:block dark:text-slate-400">{item.url}</span>
                </span>
                {/* On a phone the Download button says "ready"; the title gets the room. */}
                <span className={item.status === "completed" ? "hidden sm:inline-flex" : "inline-flex"}>
                  <StatusPill status={item.status} />
                </span>
              </Link>
              {item.status === "completed" && item.quickFormatId ? (
                // One click: a fresh link for the recommended format, and the download starts.
                <DownloadForm formatId={item.quickFormatId} action={`/analyze/${item.requestId}`} className="pr-3">
                  <button
                    type="submit"
                    className="rounded-md bg-brand-600 px-2.5 py-1.5 text-xs font-semibold text-white hover:bg-brand-700"
                    aria-label={t("formats.downloadAria", { label: item.title ?? item.url })}
                    data-testid="quick-download"
                  >
                    {t("formats.download")}
                  </button>
                </DownloadForm>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
