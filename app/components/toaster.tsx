import { useEffect, useState } from "react";
import { useI18n } from "~/hooks/use-i18n";
import type { MessageKey, Params } from "~/lib/i18n";

type Toast = { kind: "success" | "error" | "info"; key: MessageKey; params?: Params };

const STYLES: Record<Toast["kind"], string> = {
  success: "border-emerald-300 bg-emerald-50 text-emerald-950 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-50",
  error: "border-red-300 bg-red-50 text-red-950 dark:border-red-800 dark:bg-red-950 dark:text-red-50",
  info: "border-slate-300 bg-white text-slate-900 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-50",
};

/**
 * The message a redirect carried (rendered by the server, so it shows
 * without JS too); with JS it can be dismissed and goes away by itself.
 */
export function Toaster({ toast }: { toast: Toast | null }) {
  const { t } = useI18n();
  // Each toast is a new object (from the next page's loader): dismissing one leaves the next alone.
  const [dismissed, setDismissed] = useState<Toast | null>(null);
  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setDismissed(toast), 6_000);
    return () => clearTimeout(timer);
  }, [toast]);
  const shown = toast === dismissed ? null : toast;
  if (!shown) return null;
  return (
    <div className="pointer-events-none fixed inset-x-0 bottom-4 z-40 flex justify-center px-4">
      <div
        role={shown.kind === "error" ? "alert" : "status"}
        data-testid="toast"
        className={`pointer-events-auto flex max-w-md items-start gap-3 rounded-xl border px-4 py-3 shadow-lg ${STYLES[shown.kind]}`}
      >
        <p className="text-sm font-medium">{t(shown.key, shown.params)}</p>
        <button
          type="button"
          onClick={() => setDismissed(toast)}
          className="-my-1 rounded px-1.5 text-lg leading-none opacity-70 hover:opacity-100"
          aria-label={t("toast.dismiss")}
        >
          ×
        </button>
      </div>
    </div>
  );
}
