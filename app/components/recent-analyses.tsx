import { Link } from "@remix-run/react";
import { useI18n } from "~/hooks/use-i18n";
import { StatusPill } from "./status-pill";

type Recent = {
  requestId: string;
  url: string;
  status: "queued" | "active" | "completed" | "failed";
  title: string | null;
  thumbnail: string | null;
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
        <ul className="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900" data-testid="recent-list">
          {items.map((item) => (
            <li key={item.requestId}>
              <Link to={`/analyze/${item.requestId}`} className="flex items-center gap-3 px-4 py-3 hover:bg-slate-50 dark:hover:bg-slate-800">
                {item.thumbnail ? (
                  <img src={item.thumbnail} alt="" className="h-10 w-16 shrink-0 rounded object-cover" loading="lazy" />
                ) : (
                  <span aria-hidden className="grid h-10 w-16 shrink-0 place-items-center rounded bg-slate-100 text-slate-400 dark:bg-slate-800">
                    ▶
                  </span>
                )}
                <span className="min-w-0 flex-1">
                  <span className="block truncate font-medium">{item.title ?? item.url}</span>
                  <span className="block truncate text-xs text-slate-500 dark:text-slate-400">{item.url}</span>
                </span>
                <StatusPill status={item.status} />
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
