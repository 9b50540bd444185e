import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { DownloadPanel } from "~/components/download-panel";
import { formatBytes } from "~/lib/formats";
import { ApiError } from "~/services/api.server";
import { requireUser } from "~/services/session.server";
import { listActiveTokens, refreshStreamToken, revokeStreamToken } from "~/services/stream-tokens.server";

export const meta: MetaFunction = () => [{ title: "Download links · Tải Video Nhanh" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const tokens = await listActiveTokens(user.id);
  return {
    tokens: tokens.map((t) => ({ ...t, expiresAt: t.expiresAt.toISOString(), createdAt: t.createdAt.toISOString(), lastUsedAt: t.lastUsedAt?.toISOString() ?? null })),
  };
}

/** Refresh or revoke one of the user's links; a refreshed link is shown once, here. */
export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const form = await request.formData();
  const tokenId = String(form.get("tokenId") ?? "");
  try {
    if (form.get("intent") === "revoke") {
      await revokeStreamToken({ tokenId, userId: user.id });
      return { notice: "The link was revoked. A download running on it has stopped.", download: null };
    }
    const created = await refreshStreamToken({ tokenId, userId: user.id });
    const label = String(form.get("label") ?? "");
    return { notice: null, download: { tokenId: created.tokenId, streamUrl: created.streamUrl, expiresAt: created.expiresAt, label } };
  } catch (err) {
    if (err instanceof ApiError) return data({ notice: err.message, download: null }, { status: err.status });
    throw err;
  }
}

export default function TokensPage() {
  const { tokens } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <section className="space-y-6">
      <h1 className="text-2xl font-bold tracking-tight">Download links</h1>
      {result?.notice ? (
        <p role="status" className="rounded-xl border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900" data-testid="notice">
          {result.notice}
        </p>
      ) : null}
      {result?.download ? <DownloadPanel key={result.download.tokenId} download={result.download} /> : null}
      {tokens.length === 0 ? (
        <p className="rounded-xl border border-dashed border-slate-300 p-6 text-center text-slate-500 dark:border-slate-700 dark:text-slate-400">
          No active links. <Link to="/" className="font-semibold text-brand-700 underline dark:text-brand-500">Analyse a video</Link> and press Download.
        </p>
      ) : (
        <ul className="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900" data-testid="token-list">
          {tokens.map((t) => (
            <li key={t.tokenId} className="flex flex-col gap-3 px-4 py-3 sm:flex-row sm:items-center" data-testid="token" data-token-id={t.tokenId}>
              <div className="min-w-0 flex-1">
                <Link to={`/analyze/${t.analysisId}`} className="block truncate font-medium hover:underline">
                  {t.title}
                </Link>
                <p className="text-xs text-slate-500 dark:text-slate-400">
                  {[
                    `${t.ext.toUpperCase()} · format ${t.formatId}`,
                    `expires ${new Date(t.expiresAt).toISOString().slice(11, 16)} UTC`,
                    t.streamCount ? `${t.streamCount} download(s), ${formatBytes(t.bytesServed)}` : "not used yet",
                    t.refreshCount ? `refreshed ${t.refreshCount}×` : null,
                  ]
                    .filter(Boolean)
                    .join(" · ")}
                </p>
              </div>
              <div className="flex gap-2">
                <Form method="post">
                  <input type="hidden" name="tokenId" value={t.tokenId} />
                  <input type="hidden" name="label" value={t.title} />
                  <button type="submit" name="intent" value="refresh" className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
                    Refresh
                  </button>
                </Form>
                <Form method="post">
                  <input type="hidden" name="tokenId" value={t.tokenId} />
                  <button type="submit" name="intent" value="revoke" className="rounded-md border border-red-300 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950">
                    Revoke
                  </button>
                </Form>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
