import { useI18n } from "~/hooks/use-i18n";

const STYLES = {
  queued: "bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200",
  active: "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-200",
  completed: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200",
  failed: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200",
} as const;

export function StatusPill({ status }: { status: keyof typeof STYLES }) {
  const { t } = useI18n();
  return <span className={`shrink-0 rounded-full px-2.5 py-0.5 text-xs font-semibold ${STYLES[status]}`}>{t(`status.${status}`)}</span>;
}
