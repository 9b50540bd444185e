import { Form, useNavigation } from "@remix-run/react";
import { CopyButton } from "~/components/copy-button";
import { RevokeForm } from "./revoke-form";
import { useI18n } from "~/hooks/use-i18n";
import { API_KEY_NAME_MAX } from "~/lib/api-schemas";

export type ApiKeyRow = { id: string; name: string; prefix: string; createdAt: string; lastUsedAt: string | null };
export type ApiKeyOutcome = { notice?: string; error?: string; created?: { name: string; key: string } };

/** The /account section for API keys: plain forms posting to the page, so it works without JS; a new key is shown once. */
export function ApiKeysSection({ keys, outcome }: { keys: ApiKeyRow[]; outcome: ApiKeyOutcome | undefined }) {
  const { t, f } = useI18n();
  const busy = useNavigation().state === "submitting";
  const button = "rounded-md border px-3 py-1.5 text-sm font-medium disabled:opacity-60";
  return (
    <section aria-labelledby="api-keys-heading" className="space-y-3" data-testid="api-keys">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="api-keys-heading" className="text-lg font-semibold">
          {t("account.keys.heading")}
        </h2>
        <a href="/api/docs" className="text-sm text-brand-700 underline dark:text-brand-400">
          {t("account.keys.docs")}
        </a>
      </div>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t("account.keys.lead")}</p>
      {outcome?.created ? (
        <div
          role="status"
          className="space-y-2 rounded-xl border border-amber-300 bg-amber-50 p-4 dark:border-amber-700 dark:bg-amber-950"
          data-testid="new-key"
        >
          <p className="text-sm">{t("account.keys.created", { name: outcome.created.name })}</p>
          <div className="flex flex-wrap items-center gap-2">
            <code className="break-all rounded bg-white px-2 py-1 font-mono text-sm dark:bg-slate-900" data-testid="new-key-value">
              {outcome.created.key}
            </code>
            <CopyButton text={outcome.created.key} label={t("account.keys.copy")} done={t("account.keys.copied")} />
          </div>
        </div>
      ) : null}
      {outcome?.notice ? (
        <p role="status" className="text-sm" data-testid="keys-notice">
          {outcome.notice}
        </p>
      ) : null}
      <Form method="post" className="flex flex-wrap items-end gap-2">
        <label className="flex min-w-0 flex-1 flex-col gap-1 text-sm">
          <span>{t("account.keys.name")}</span>
          <input
            name="name"
            required
            maxLength={API_KEY_NAME_MAX}
            aria-invalid={outcome?.error ? true : undefined}
            aria-describedby={outcome?.error ? "api-key-error" : undefined}
            className="rounded-md border border-slate-300 px-3 py-1.5 dark:border-slate-700 dark:bg-slate-900"
          />
        </label>
        <button
          type="submit"
          name="intent"
          value="create-key"
          disabled={busy}
          className={`${button} border-brand-600 bg-brand-600 text-white hover:bg-brand-700`}
        >
          {t("account.keys.create")}
        </button>
      </Form>
      {outcome?.error ? (
        <p id="api-key-error" role="alert" className="text-sm text-red-700 dark:text-red-300" data-testid="keys-error">
          {outcome.error}
        </p>
      ) : null}
      {keys.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">{t("account.keys.empty")}</p>
      ) : (
        <ul
          className="divide-y divide-slate-200 rounded-xl border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900"
          data-testid="key-list"
        >
          {keys.map((key) => (
            <li key={key.id} className="flex items-center gap-3 px-4 py-3" data-testid="key" data-key-id={key.id}>
              <div className="min-w-0 flex-1">
                <p className="truncate font-medium">{key.name}</p>
                <p className="text-xs text-slate-600 dark:text-slate-400">
                  {t("account.keys.meta", {
                    prefix: key.prefix,
                    created: f.date(key.createdAt),
                    used: key.lastUsedAt ? t("account.keys.lastUsed", { time: f.time(key.lastUsedAt) }) : t("account.keys.neverUsed"),
                  })}
                </p>
              </div>
              <RevokeForm field="keyId" id={key.id} intent="revoke-key" label={t("account.keys.revoke")} disabled={busy} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
