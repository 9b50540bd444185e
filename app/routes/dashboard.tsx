import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { useCallback, useEffect, useRef, useState } from "react";
import {
  ActiveStreams,
  AlertBanner,
  AlertHistory,
  Charts,
  Processes,
  Queues,
  RecentFailures,
  Section,
  StatGrid,
  AdminForms,
  YtDlpPanel,
} from "~/components/dashboard/panels";
import { useI18n } from "~/hooks/use-i18n";
import { useSocketEvent } from "~/hooks/use-socket";
import { pageTitle } from "~/lib/page-title";
import { pointBetween, type ChartPoint, type DashboardLive } from "~/lib/monitoring";
import { requireAdmin } from "~/accounts/index.server";
import { dashboardData, runAdminAction } from "~/monitoring/index.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "meta.dashboard");

export const handle = { wide: true };

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAdmin(request);
  return dashboardData();
}

export async function action({ request }: ActionFunctionArgs) {
  await requireAdmin(request);
  const result = await runAdminAction(Object.fromEntries(await request.formData()));
  return data(result, { status: result.status });
}

const MAX_POINTS = 600;

export default function DashboardPage() {
  const initial = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t, f } = useI18n();
  const [live, setLive] = useState<DashboardLive>(initial);
  const [series, setSeries] = useState<ChartPoint[]>(initial.series);
  const previous = useRef(initial.snapshot);

  // A revalidation after an action brings fresh loader data: start from it again.
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- resetting from new loader data; the socket feed updates the same state afterwards
    setLive(initial);
    setSeries(initial.series);
    previous.current = initial.snapshot;
  }, [initial]);

  const onUpdate = useCallback((update: DashboardLive) => {
    const point = pointBetween(previous.current, update.snapshot);
    previous.current = update.snapshot;
    setLive(update);
    setSeries((points) => [...points, point].slice(-MAX_POINTS));
  }, []);
  const connected = useSocketEvent("dashboard:update", onUpdate);

  return (
    <div className="space-y-8">
      <noscript>
        <meta httpEquiv="refresh" content="15" />
      </noscript>
      <header className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-bold tracking-tight">{t("dashboard.heading")}</h1>
        <p className="text-sm text-slate-600 dark:text-slate-300" data-testid="live-state">
          <span aria-hidden className={`mr-1.5 inline-block h-2 w-2 rounded-full ${connected ? "bg-emerald-500" : "bg-slate-400"}`} />
          {connected ? t("dashboard.live") : t("dashboard.snapshot")} · {t("dashboard.updated", { time: f.clock(live.snapshot.generatedAt) })}
        </p>
      </header>

      {result ? (
        <p
          role="status"
          data-testid="notice"
          className={`rounded-xl border p-4 ${result.status >= 400 ? "border-red-200 bg-red-50 text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-100" : "border-emerald-200 bg-emerald-50 text-emerald-900 dark:border-emerald-900 dark:bg-emerald-950 dark:text-emerald-100"}`}
        >
          {t(result.key, result.params?.plan ? { ...result.params, plan: t(`account.plan.${result.params.plan}`) } : result.params)}
        </p>
      ) : null}

      <AlertBanner alerts={live.alerts} />
      <StatGrid live={live} />
      <Charts series={series} />

      <Section title={t("dashboard.section.streams")} id="streams">
        <ActiveStreams streams={live.activeStreams} />
      </Section>
      <div className="grid grid-cols-1 gap-8 xl:grid-cols-2 [&>*]:min-w-0">
        <Section title={t("dashboard.section.queues")} id="queues">
          <Queues queues={live.queues} />
        </Section>
        <Section title={t("dashboard.section.processes")} id="processes">
          <Processes processes={live.snapshot.processes} />
        </Section>
      </div>
      <div className="grid grid-cols-1 gap-8 xl:grid-cols-2 [&>*]:min-w-0">
        <Section title={t("dashboard.section.failures")} id="failures">
          <RecentFailures failures={live.recentFailures} />
        </Section>
        <Section title={t("dashboard.section.alerts")} id="alert-history">
          <AlertHistory events={live.alertEvents} />
        </Section>
      </div>
      <Section title={t("dashboard.section.ytdlp")} id="ytdlp">
        <YtDlpPanel ytDlp={live.ytDlp} />
      </Section>
      <Section title={t("dashboard.section.admin")} id="admin">
        <AdminForms />
      </Section>
    </div>
  );
}
