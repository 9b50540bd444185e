import { useI18n } from "~/hooks/use-i18n";

export function SiteFooter({ wide }: { wide: boolean }) {
  const { t } = useI18n();
  return (
    <footer className="border-t border-slate-200 dark:border-slate-800">
      <p className={`mx-auto px-4 py-4 text-xs text-slate-600 dark:text-slate-400 ${wide ? "max-w-7xl" : "max-w-3xl"}`}>
        {t("app.name")} · {t("footer.noStorage")}
      </p>
    </footer>
  );
}
