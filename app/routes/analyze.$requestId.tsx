import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useRevalidator } from "@remix-run/react";
import { DownloadPanel } from "~/components/download-panel";
import { useCallback, useEffect, useState } from "react";
import { FormatList } from "~/components/format-list";
import { StatusPill } from "~/components/status-pill";
import { useSocketEvent } from "~/hooks/use-socket";
import { formatDuration } from "~/lib/formats";
import type { AnalysisUpdate } from "~/lib/socket-events";
import { getAnalysis, toView } from "~/services/analysis.server";
import { ApiError } from "~/services/api.server";
import { requireUser } from "~/services/session.server";
import { createStreamToken } from "~/services/stream-tokens.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.result?.title ?? "Analysing…"} · Tải Video Nhanh` },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const row = await getAnalysis({ requestId: params.requestId ?? "", userId: user.id });
  if (!row) throw new Response("Not found", { status: 404 });
  return toView(row);
}

/** Download button: a token for the chosen format; the page then shows its link, shown this once. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const form = await request.formData();
  const formatId = String(form.get("formatId") ?? "");
  try {
    const created = await createStreamToken({ user, requestId: params.requestId ?? "", formatId, ip: context.clientIp, userAgent: request.headers.get("User-Agent") });
    const row = await getAnalysis({ requestId: params.requestId ?? "", userId: user.id });
    const label = row?.result?.formats.find((f) => f.id === formatId)?.label ?? formatId;
    return { download: { tokenId: created.tokenId, streamUrl: created.streamUrl, expiresAt: created.expiresAt, label }, error: null };
  } catch (err) {
    if (err instanceof ApiError) return data({ download: null, error: err.message }, { status: err.status });
    throw err;
  }
}

const STAGES: Record<string, string> = {
  queued: "Waiting for a free worker…",
  retrying: "The site did not answer; trying again…",
  fetching: "Fetching the page…",
  probing: "Reading the formats…",
  parsing: "Sorting the formats…",
  done: "Done",
};

export default function AnalyzePage() {
  const analysis = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { revalidate } = useRevalidator();
  const [live, setLive] = useState<AnalysisUpdate | null>(null);
  const pending = analysis.status === "queued" || analysis.status === "active";

  const onUpdate = useCallback(
    (update: AnalysisUpdate) => {
      if (update.requestId !== analysis.requestId) return;
      setLive(update);
      if (update.status === "completed" || update.status === "failed") revalidate();
    },
    [analysis.requestId, revalidate],
  );
  const connected = useSocketEvent("analysis:update", onUpdate);

  // Without a socket (blocked, reconnecting), fall back to asking now and then.
  useEffect(() => {
    if (!pending || connected) return;
    const timer = setInterval(revalidate, 3_000);
    return () => clearInterval(timer);
  }, [pending, connected, revalidate]);

  const stage = pending && live ? live.stage : analysis.stage;
  const progress = pending && live ? Math.max(live.progress, analysis.progress) : analysis.progress;

  return (
    <section className="space-y-6" data-testid="analysis" data-status={analysis.status}>
      {pending ? (
        // JS off: the page reloads itself every 2 s until the analysis is done.
        <noscript>
          <meta httpEquiv="refresh" content="2" />
        </noscript>
      ) : null}
      <div className="flex items-center justify-between gap-3">
        <p className="min-w-0 truncate text-sm text-slate-500 dark:text-slate-400" title={analysis.url}>
          {analysis.url}
        </p>
        <StatusPill status={analysis.status} />
      </div>

      {pending ? (
        <div className="rounded-xl border border-slate-200 bg-white p-6 dark:border-slate-800 dark:bg-slate-900" aria-live="polite">
          <p className="font-medium" data-testid="stage">
            {STAGES[stage] ?? stage}
          </p>
          <div className="mt-4 h-2 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={progress} aria-label="Analysis progress">
            <div className="h-full rounded-full bg-brand-600 transition-all duration-500" style={{ width: `${Math.max(progress, 5)}%` }} />
          </div>
        </div>
      ) : null}

      {analysis.status === "failed" ? (
        <div role="alert" className="rounded-xl border border-red-200 bg-red-50 p-6 text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-100" data-testid="analysis-error">
          <h1 className="text-lg font-semibold">We could not analyse this page</h1>
          <p className="mt-1">{analysis.error?.message ?? "Something went wrong."}</p>
          <Form method="post" action="/?index" className="mt-4">
            <input type="hidden" name="url" value={analysis.url} />
            <button type="submit" className="rounded-md bg-red-700 px-4 py-2 font-semibold text-white hover:bg-red-800">
              Try again
            </button>
          </Form>
        </div>
      ) : null}

      {analysis.status === "completed" && analysis.result ? (
        <>
          <header className="flex flex-col gap-4 sm:flex-row">
            {analysis.result.thumbnail ? (
              <img src={analysis.result.thumbnail} alt="" className="aspect-video w-full rounded-xl object-cover sm:w-64" />
            ) : null}
            <div className="min-w-0 space-y-1">
              <h1 className="text-2xl font-bold tracking-tight" data-testid="title">
                {analysis.result.title}
              </h1>
              <p className="text-slate-600 dark:text-slate-300">
                {[analysis.result.uploader, formatDuration(analysis.result.durationSeconds), analysis.cached ? "from cache" : null]
                  .filter(Boolean)
                  .join(" · ")}
              </p>
            </div>
          </header>
          {actionData?.download ? <DownloadPanel key={actionData.download.tokenId} download={actionData.download} /> : null}
          {actionData?.error ? (
            <p role="alert" className="rounded-xl border border-amber-300 bg-amber-50 p-4 text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100" data-testid="download-error">
              {actionData.error}
            </p>
          ) : null}
          <FormatList formats={analysis.result.formats} />
        </>
      ) : null}

      <Link to="/" className="inline-block text-sm font-medium text-brand-700 underline dark:text-brand-500">
        ← Analyse another link
      </Link>
    </section>
  );
}
