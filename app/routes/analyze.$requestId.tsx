import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useRevalidator, useSearchParams, useSubmit } from "@remix-run/react";
import { useCallback, useEffect, useRef, useState } from "react";
import { ClipForm } from "~/components/clip-form";
import { CopyButton } from "~/components/copy-button";
import { DownloadPanel } from "~/components/download-panel";
import { FormatList, formatName, RecommendedDownload } from "~/components/format-list";
import { PlaylistForm } from "~/components/playlist-form";
import { StatusPill } from "~/components/status-pill";
import { useI18n } from "~/hooks/use-i18n";
import { useSocketEvent } from "~/hooks/use-socket";
import { formatDuration } from "~/lib/formats";
import { errorMessage, isMessageKey } from "~/lib/i18n";
import { mediaOptionsFromForm } from "~/lib/media-options";
import { isPermanentFailure } from "~/lib/media-url";
import { pageTitle } from "~/lib/page-title";
import type { AnalysisUpdate } from "~/lib/socket-events";
import { requireUser } from "~/accounts/index.server";
import { getAnalysis, toView } from "~/analysis/index.server";
import { createStreamToken } from "~/downloads/index.server";
import { AppError } from "~/platform/index.server";
import { formText, requestTranslator, statusOf } from "~/web/index.server";

export const meta: MetaFunction<typeof loader> = ({ data, matches }) => pageTitle(matches, "meta.analyzing", data?.result?.title);

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const row = await getAnalysis({ requestId: params.requestId ?? "", userId: user.id });
  if (!row) throw new Response("Not found", { status: 404 });
  return toView(row);
}

/**
 * Download buttons: a token for the chosen format (with playlist entries, a
 * clip or subtitles when the form sends them). With JS (the form's `js`
 * field) the page gets the link and its download manager starts at once;
 * without JS the answer is a 303 to the stream URL, so the same click downloads.
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const form = await request.formData();
  const formatId = formText(form, "formatId");
  const { t, explain } = await requestTranslator(request);
  const read = mediaOptionsFromForm(form);
  if ("error" in read) return data({ download: null, error: explain({ code: read.error }) }, { status: 400 });
  const { options } = read;
  try {
    const { created, format, link } = await createStreamToken({
      user,
      requestId: params.requestId ?? "",
      formatId,
      options,
      ip: context.clientIp,
      userAgent: request.headers.get("User-Agent"),
    });
    if (form.get("js") !== "1") throw redirect(created.streamUrl, 303);
    // The link's own record says what it sends (a ZIP, a clip, a subtitle file…).
    const label = options.entries
      ? t("playlist.zipLabel", { count: link.options?.entries?.length ?? options.entries.length })
      : format
        ? formatName(format, t)
        : `${link.options?.subtitles?.lang ?? ""} · ${link.ext.toUpperCase()}`;
    return {
      download: { ...created, label, delivery: link.delivery },
      error: null,
    };
  } catch (err) {
    if (err instanceof AppError) return data({ download: null, error: explain(err) }, { status: statusOf(err), headers: err.headers });
    throw err;
  }
}

/**
 * "Analyse and download the best" from the home form (`?then=best`): once the
 * analysis is ready, the recommended format is downloaded without another
 * click. The submission goes to the bare path, so a reload does not repeat it.
 */
function useDownloadBestWhenReady(formatId: string | null) {
  const [params] = useSearchParams();
  const submit = useSubmit();
  const done = useRef(false);
  const wanted = params.get("then") === "best";
  useEffect(() => {
    if (!wanted || !formatId || done.current) return;
    done.current = true;
    submit({ formatId, js: "1" }, { method: "post", action: window.location.pathname });
  }, [wanted, formatId, submit]);
}

export default function AnalyzePage() {
  const analysis = useLoaderData<typeof loader>();
  const { t } = useI18n();
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

  const recommended = analysis.result?.formats.find((f) => f.id === analysis.result?.recommendedFormatId) ?? null;
  useDownloadBestWhenReady(analysis.status === "completed" ? (recommended?.id ?? null) : null);

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
            {isMessageKey(`analysis.stage.${stage}`) ? t(`analysis.stage.${stage}`) : stage}
          </p>
          <div
            className="mt-4 h-2 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800"
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={progress}
            aria-label={t("analysis.progress")}
          >
            <div className="h-full rounded-full bg-brand-600 transition-all duration-500" style={{ width: `${Math.max(progress, 5)}%` }} />
          </div>
        </div>
      ) : null}

      {analysis.status === "failed" ? (
        <div
          role="alert"
          className="rounded-xl border border-red-200 bg-red-50 p-6 text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-100"
          data-testid="analysis-error"
        >
          <h1 className="text-lg font-semibold">{t("analysis.failedTitle")}</h1>
          <p className="mt-1">{errorMessage(t, analysis.error ?? { code: "internal_error" })}</p>
          {isPermanentFailure(analysis.error?.code) ? null : (
            <Form method="post" action="/?index" className="mt-4">
              <input type="hidden" name="url" value={analysis.url} />
              <button type="submit" className="rounded-md bg-red-700 px-4 py-2 font-semibold text-white hover:bg-red-800">
                {t("analysis.retry")}
              </button>
            </Form>
          )}
        </div>
      ) : null}

      {analysis.status === "completed" && analysis.result ? (
        <>
          <header className="flex flex-col gap-4 sm:flex-row">
            {analysis.result.thumbnail || analysis.result.formats.some((f) => f.hasVideo) ? (
              <img
                src={`/thumbnails/${analysis.requestId}`}
                alt=""
                data-testid="thumbnail"
                className="aspect-video w-full self-start rounded-xl bg-slate-200 object-cover sm:w-64 dark:bg-slate-800"
              />
            ) : null}
            <div className="min-w-0 space-y-1">
              <h1 className="text-2xl font-bold tracking-tight" data-testid="title">
                {analysis.result.title}
              </h1>
              <p className="text-slate-600 dark:text-slate-300">
                {[analysis.result.uploader, formatDuration(analysis.result.durationSeconds), analysis.cached ? t("analysis.fromCache") : null]
                  .filter(Boolean)
                  .join(" · ")}
              </p>
              <div className="flex flex-wrap items-center gap-2 pt-1 text-sm">
                <a
                  href={analysis.result.webpageUrl || analysis.url}
                  rel="noreferrer noopener"
                  target="_blank"
                  className="max-w-full truncate text-brand-700 underline dark:text-brand-400"
                >
                  {new URL(analysis.result.webpageUrl || analysis.url).hostname}
                </a>
                <CopyButton text={analysis.result.webpageUrl || analysis.url} label={t("analysis.copyLink")} done={t("analysis.copied")} />
              </div>
              {analysis.result.kind !== "playlist" ? <ClipForm formats={analysis.result.formats} durationSeconds={analysis.result.durationSeconds} /> : null}
            </div>
          </header>
          {actionData?.download ? <DownloadPanel key={actionData.download.tokenId} download={actionData.download} /> : null}
          {actionData?.error ? (
            <p
              role="alert"
              className="rounded-xl border border-amber-300 bg-amber-50 p-4 text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100"
              data-testid="download-error"
            >
              {actionData.error}
            </p>
          ) : null}
          {analysis.result.kind === "playlist" ? (
            <PlaylistForm entries={analysis.result.entries ?? []} tokenId={actionData?.download?.tokenId ?? null} />
          ) : (
            <>
              {recommended && !actionData?.download ? <RecommendedDownload format={recommended} /> : null}
              <FormatList formats={analysis.result.formats} subtitles={analysis.result.subtitles} />
            </>
          )}
        </>
      ) : null}

      <Link to="/" className="inline-block text-sm font-medium text-brand-700 underline dark:text-brand-400">
        {t("analysis.another")}
      </Link>
    </section>
  );
}
