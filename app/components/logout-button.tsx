import { Form } from "@remix-run/react";
import { useI18n } from "~/hooks/use-i18n";

/** Logging out is a POST (a link could be triggered by another site). */
export function LogoutButton({ className = "" }: { className?: string }) {
  const { t } = useI18n();
  return (
    <Form method="post" action="/logout">
      <button
        type="submit"
        className={`whitespace-nowrap rounded-md border border-slate-300 font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800 ${className}`}
      >
        {t("nav.logout")}
      </button>
    </Form>
  );
}
