import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { ApiKeysSection, type ApiKeyOutcome } from "~/components/api-keys-section";
import { LogoutButton } from "~/components/logout-button";
import { useI18n } from "~/hooks/use-i18n";
import { API_KEY_NAME_MAX, ApiKeyCreateSchema } from "~/lib/api-schemas";
import { pageTitle } from "~/lib/page-title";
import { createApiKey, listApiKeys, requireUser, revokeApiKey } from "~/accounts/index.server";
import { activeStreamCount, dailyQuota, listActiveTokens } from "~/downloads/index.server";
import { AppError, logger } from "~/platform/index.server";
import { formText, requestTranslator, statusOf } from "~/web/index.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "meta.account");

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  // A guest has no account to show yet: signing up makes one, keeping what the guest did.
  if (user.tier === "guest") throw redirect("/signup?redirectTo=/account");
  const [quota, tokens, keys, streams] = await Promise.all([
    dailyQuota(user),
    listActiveTokens(user.id),
    listApiKeys(user.id),
    activeStreamCount(user.id).catch((err: unknown) => {
      logger.warn({ err }, "could not count running downloads");
      return 0;
    }),
  ]);
  return {
    email: user.email,
    tier: user.tier,
    role: user.role,
    memberSince: user.createdAt.toISOString(),
    quota,
    activeLinks: tokens.length,
    activeStreams: streams,
    apiKeys: keys.map((key) => ({ ...key, createdAt: key.createdAt.toISOString(), lastUsedAt: key.lastUsedAt?.toISOString() ?? null })),
  };
}

/** Creates or revokes an API key; a new key is in this answer only, never in the loader's. */
export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const form = await request.formData();
  const { t, explain } = await requestTranslator(request);
  try {
    if (form.get("intent") === "revoke-key") {
      await revokeApiKey({ userId: user.id, keyId: formText(form, "keyId") });
      return data<ApiKeyOutcome>({ notice: t("account.keys.revoked") }, { headers: { "Cache-Control": "no-store" } });
    }
    const parsed = ApiKeyCreateSchema.safeParse({ name: formText(form, "name") });
    if (!parsed.success) return data<ApiKeyOutcome>({ error: t(parsed.error.issues[0].message, { max: API_KEY_NAME_MAX }) }, { status: 400 });
    const { name, key } = await createApiKey({ user, name: parsed.data.name });
    return data<ApiKeyOutcome>({ created: { name, key } }, { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    if (err instanceof AppError) return data<ApiKeyOutcome>({ error: explain(err) }, { status: statusOf(err), headers: err.headers });
    throw err;
  }
}

export default function AccountPage() {
  const account = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  const { t, f } = useI18n();
  const usedShare = account.quota.limit ? Math.min(100, Math.round((account.quota.used / account.quota.limit) * 100)) : 100;
  return (
    <section className="space-y-6">
      <h1 className="text-2xl font-bold tracking-tight">{t("account.heading")}</h1>
      <dl className="divide-y divide-slate-200 rounded-xl border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
        <Row label={t("account.email")} value={account.email} />
        <Row
          label={t("account.plan")}
          value={
            <span
              data-testid="tier"
              className={
                account.tier === "pro"
                  ? "rounded-full bg-amber-100 px-2.5 py-0.5 text-sm font-semibold text-amber-900"
                  : "rounded-full bg-slate-100 px-2.5 py-0.5 text-sm font-semibold text-slate-700 dark:bg-slate-800 dark:text-slate-200"
              }
            >
              {t(`account.plan.${account.tier}`)}
            </span>
          }
        />
        <div className="grid grid-cols-[1fr_auto] items-center gap-x-4 gap-y-2 px-4 py-3">
          <dt className="text-sm text-slate-600 dark:text-slate-400">{t("account.quota")}</dt>
          <dd className="text-right font-medium tabular-nums" data-testid="quota">
            {t("account.quotaValue", { used: account.quota.used, limit: account.quota.limit, left: account.quota.left })}
          </dd>
          <dd className="col-span-2">
            <div
              className="h-2 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800"
              role="progressbar"
              aria-label={t("account.quota")}
              aria-valuemin={0}
              aria-valuemax={account.quota.limit}
              aria-valuenow={account.quota.used}
            >
              <div className={`h-full rounded-full ${account.quota.left ? "bg-brand-600" : "bg-red-600"}`} style={{ width: `${usedShare}%` }} />
            </div>
            <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">{t("account.quotaReset")}</p>
          </dd>
        </div>
        <Row
          label={t("account.activeLinks")}
          value={
            <span className="flex items-center gap-3">
              <span data-testid="active-links">{f.number(account.activeLinks)}</span>
              <Link to="/tokens" className="text-sm text-brand-700 underline dark:text-brand-400">
                {t("account.manageLinks")}
              </Link>
            </span>
          }
        />
        <Row label={t("account.activeStreams")} value={<span data-testid="active-streams">{f.number(account.activeStreams)}</span>} />
        {account.role === "admin" ? <Row label={t("account.role")} value={t("account.admin")} /> : null}
        <Row label={t("account.memberSince")} value={f.date(account.memberSince)} />
      </dl>
      <ApiKeysSection keys={account.apiKeys} outcome={outcome} />
      <LogoutButton className="px-4 py-2" />
    </section>
  );
}

function Row({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div className="flex items-center justify-between gap-4 px-4 py-3">
      <dt className="text-sm text-slate-600 dark:text-slate-400">{label}</dt>
      <dd className="min-w-0 truncate font-medium">{value}</dd>
    </div>
  );
}
