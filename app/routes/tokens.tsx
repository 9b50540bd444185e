import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { DownloadPanel } from "~/components/download-panel";
import { RevokeForm } from "~/components/revoke-form";
import { useI18n } from "~/hooks/use-i18n";
import { downloadFileName } from "~/lib/file-name";
import { pageTitle } from "~/lib/page-title";
import { requireUser } from "~/accounts/index.server";
import { listActiveTokens, refreshStreamToken, revokeStreamToken } from "~/downloads/index.server";
import { AppError } from "~/platform/index.server";
import { formText, requestTranslator, statusOf } from "~/web/index.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "meta.tokens");

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const tokens = await listActiveTokens(user.id);
  return {
    tokens: tokens.map((t) => ({
      ...t,
      expiresAt: t.expiresAt.toISOString(),
      createdAt: t.createdAt.toISOString(),
      lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    })),
  };
}

/** Refresh or revoke one of the user's links; a refreshed link is shown once, here. */
export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const form = await request.formData();
  const tokenId = formText(form, "tokenId");
  const { t, explain } = await requestTranslator(request);
  try {
    if (form.get("intent") === "revoke") {
      await revokeStreamToken({ tokenId, userId: user.id });
      return { notice: t("tokens.revoked"), download: null };
    }
    const created = await refreshStreamToken({ tokenId, userId: user.id });
    const [title, ext, delivery] = ["title", "ext", "delivery"].map((name) => formText(form, name));
    return {
      notice: t("tokens.refreshed"),
      download: {
        ...created,
        label: title,
        delivery: delivery === "direct" ? ("direct" as const) : ("pipe" as const),
        fileName: downloadFileName(title, ext || "bin"),
      },
    };
  } catch (err) {
    if (err instanceof AppError) return data({ notice: explain(err), download: null }, { status: statusOf(err), headers: err.headers });
    throw err;
  }
}

export default function TokensPage() {
  const { tokens } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t, f } = useI18n();
  const button = "rounded-md border px-3 py-1.5 text-sm font-medium";
  return (
    <section className="space-y-6">
      <h1 className="text-2xl font-bold tracking-tight">{t("tokens.heading")}</h1>
      {result?.notice ? (
        <p role="status" className="rounded-xl border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900" data-testid="notice">
          {result.notice}
        </p>
      ) : null}
      {result?.download ? <DownloadPanel key={result.download.tokenId} download={result.download} /> : null}
      {tokens.length === 0 ? (
        <p className="rounded-xl border border-dashed border-slate-300 p-6 text-center text-slate-600 dark:border-slate-700 dark:text-slate-400">
          {t("tokens.empty")}{" "}
          <Link to="/" className="font-semibold text-brand-700 underline dark:text-brand-400">
            {t("tokens.emptyAction")}
          </Link>{" "}
          {t("tokens.emptyRest")}
        </p>
      ) : (
        <ul
          className="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900"
          data-testid="token-list"
        >
          {tokens.map((token) => (
            <li key={token.tokenId} className="flex flex-col gap-3 px-4 py-3 sm:flex-row sm:items-center" data-testid="token" data-token-id={token.tokenId}>
              <div className="min-w-0 flex-1">
                <Link to={`/analyze/${token.analysisId}`} className="block truncate font-medium hover:underline">
                  {token.title}
                </Link>
                <p className="text-xs text-slate-600 dark:text-slate-400">
                  {[
                    t("tokens.format", { ext: token.ext.toUpperCase(), format: token.formatId }),
                    t("tokens.expires", { time: f.time(token.expiresAt) }),
                    token.streamCount ? t("tokens.used", { count: token.streamCount, bytes: f.bytes(token.bytesServed) }) : t("tokens.notUsed"),
                  ].join(" · ")}
                </p>
              </div>
              <div className="flex gap-2">
                <Form method="post">
                  <input type="hidden" name="tokenId" value={token.tokenId} />
                  <input type="hidden" name="title" value={token.title} />
                  <input type="hidden" name="ext" value={token.ext} />
                  <input type="hidden" name="delivery" value={token.delivery} />
                  <button
                    type="submit"
                    name="intent"
                    value="refresh"
                    className={`${button} border-slate-300 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800`}
                  >
                    {t("tokens.refresh")}
                  </button>
                </Form>
                <RevokeForm field="tokenId" id={token.tokenId} intent="revoke" label={t("tokens.revoke")} />
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
