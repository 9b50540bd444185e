import { Form } from "@remix-run/react";
import type { ReactNode } from "react";
import { useI18n } from "~/hooks/use-i18n";
import type { Formatters, MessageKey, Translate } from "~/lib/i18n";
import type { ActiveStream, Alert, AlertEvent, ChartPoint, DashboardLive, ProcessStats, QueueReport, RecentFailure, YtDlpInUse } from "~/lib/monitoring";
import { Sparkline } from "./sparkline";

const card = "rounded-xl border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900";
const th = "px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400";
const td = "px-3 py-2 align-top";

export function duration(t: Translate, seconds: number | null) {
  if (seconds === null) return "—";
  if (seconds < 60) return t("duration.seconds", { n: seconds });
  if (seconds < 3600) return t("duration.minutes", { n: Math.floor(seconds / 60) });
  return t("duration.hours", { h: Math.floor(seconds / 3600), m: Math.floor((seconds % 3600) / 60) });
}

/** An alert in the reader's language, from its figures (the stored message is English, for logs and webhooks). */
function alertText(alert: Pick<Alert, "key" | "subject" | "value" | "threshold">, t: Translate, f: Formatters) {
  const show = (n: number) => (alert.key === "memory" ? f.bytes(n) : alert.key === "error_rate" ? f.percent(n) : f.number(n));
  return t(`alert.${alert.key}`, { subject: alert.subject, value: show(alert.value), threshold: show(alert.threshold) });
}

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }) {
  return (
    <section aria-labelledby={id} className="min-w-0 space-y-3">
      <h2 id={id} className="text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

export function AlertBanner({ alerts }: { alerts: Alert[] }) {
  const { t, f } = useI18n();
  if (!alerts.length) return null;
  return (
    <div
      role="alert"
      data-testid="alerts"
      className="rounded-xl border border-amber-300 bg-amber-50 p-4 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
    >
      <p className="font-semibold">{alerts.length === 1 ? t("dashboard.alertsOne") : t("dashboard.alertsMany", { count: alerts.length })}</p>
      <ul className="mt-1 list-disc space-y-0.5 pl-5 text-sm">
        {alerts.map((a) => (
          <li key={a.key} data-alert={a.key}>
            {alertText(a, t, f)} <span className="text-amber-800 dark:text-amber-300">{t("dashboard.since", { time: f.clock(a.since) })}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Stat({ label, value, detail, testId }: { label: string; value: string; detail?: string; testId?: string }) {
  return (
    <div className={`${card} p-4`}>
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-600 dark:text-slate-400">{label}</dt>
      <dd className="mt-1 text-2xl font-bold tabular-nums" data-testid={testId}>
        {value}
      </dd>
      {detail ? <dd className="mt-0.5 text-xs text-slate-600 dark:text-slate-300">{detail}</dd> : null}
    </div>
  );
}

export function StatGrid({ live }: { live: DashboardLive }) {
  const { t, f } = useI18n();
  const { streams, analysis, tokens } = live.snapshot;
  const analysisQueue = live.queues.find((q) => q.name === "analysis");
  return (
    <dl className="grid grid-cols-2 gap-3 lg:grid-cols-4">
      <Stat
        label={t("dashboard.stat.activeDownloads")}
        value={f.number(streams.active)}
        detail={t("dashboard.stat.finished", { count: streams.total })}
        testId="active-stream-count"
      />
      <Stat
        label={t("dashboard.stat.throughput")}
        value={`${f.bytes(streams.speedBps)}/s`}
        detail={t("dashboard.stat.served", { bytes: f.bytes(streams.bytesServed + streams.inFlightBytes) })}
      />
      <Stat
        label={t("dashboard.stat.errors")}
        value={f.percent(streams.errorRate)}
        detail={t("dashboard.stat.errorsDetail", { failed: streams.failed, aborted: streams.aborted })}
      />
      <Stat
        label={t("dashboard.stat.cache")}
        value={f.percent(analysis.cache.hitRate)}
        detail={t("dashboard.stat.cacheDetail", { hits: analysis.cache.hits, misses: analysis.cache.misses })}
      />
      <Stat
        label={t("dashboard.stat.latency")}
        value={`${f.milliseconds(analysis.latencyMs.p50)} / ${f.milliseconds(analysis.latencyMs.p95)}`}
        detail={t("dashboard.stat.latencyDetail", { done: analysis.completedLastHour, failed: analysis.failedLastHour })}
      />
      <Stat
        label={t("dashboard.stat.queue")}
        value={t("dashboard.stat.waiting", { count: analysisQueue?.waiting ?? 0 })}
        detail={t("dashboard.stat.queueDetail", { active: analysisQueue?.active ?? 0, workers: analysisQueue?.workers ?? 0 })}
      />
      <Stat
        label={t("dashboard.stat.links")}
        value={t("dashboard.stat.created", { count: tokens.created })}
        detail={t("dashboard.stat.refused", { count: tokens.refused })}
      />
      <Stat
        label={t("dashboard.stat.processes")}
        value={f.number(live.snapshot.processes.length)}
        detail={live.snapshot.processes.map((p) => p.service).join(" · ") || t("dashboard.stat.noProcess")}
      />
    </dl>
  );
}

export function Charts({ series }: { series: ChartPoint[] }) {
  const { t, f } = useI18n();
  const mb = (v: number) => `${f.number(Math.round(v))} MB`;
  return (
    <div className="grid gap-3 md:grid-cols-3">
      <Sparkline
        title={t("dashboard.chart.throughput")}
        format={(v) => `${f.bytes(v)}/s`}
        series={[{ name: t("dashboard.chart.sent"), values: series.map((p) => p.throughputBps), stroke: "stroke-brand-600", dot: "bg-brand-600" }]}
      />
      <Sparkline
        title={t("dashboard.chart.memory")}
        format={mb}
        series={[
          { name: t("dashboard.chart.web"), values: series.map((p) => p.webRssMb), stroke: "stroke-sky-600", dot: "bg-sky-600" },
          { name: t("dashboard.chart.workers"), values: series.map((p) => p.workerRssMb), stroke: "stroke-violet-600", dot: "bg-violet-600" },
        ]}
      />
      <Sparkline
        title={t("dashboard.chart.load")}
        format={(v) => f.number(Math.round(v))}
        series={[
          { name: t("dashboard.chart.downloads"), values: series.map((p) => p.activeStreams), stroke: "stroke-emerald-600", dot: "bg-emerald-600" },
          { name: t("dashboard.chart.queued"), values: series.map((p) => p.queueWaiting), stroke: "stroke-amber-600", dot: "bg-amber-600" },
        ]}
      />
    </div>
  );
}

function Table({ head, children, empty, testId }: { head: MessageKey[]; children: ReactNode[]; empty: MessageKey; testId?: string }) {
  const { t } = useI18n();
  if (!children.length) return <Empty>{t(empty)}</Empty>;
  return (
    // Focusable so keyboard users can scroll a table wider than the screen (axe: scrollable-region-focusable).
    // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex -- a scrollable region must take focus to scroll by keyboard
    <section className={`${card} overflow-x-auto`} tabIndex={0} aria-label={t(head[0])}>
      <table className="w-full text-sm" data-testid={testId}>
        <thead className="border-b border-slate-200 dark:border-slate-800">
          <tr>
            {head.map((h) => (
              <th key={h} scope="col" className={th}>
                {h === "dashboard.revoke" ? <span className="sr-only">{t(h)}</span> : t(h)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">{children}</tbody>
      </table>
    </section>
  );
}

export function ActiveStreams({ streams }: { streams: ActiveStream[] }) {
  const { t, f } = useI18n();
  return (
    <Table
      head={["dashboard.col.user", "dashboard.col.video", "dashboard.col.sent", "dashboard.col.speed", "dashboard.revoke"]}
      empty="dashboard.noStreams"
      testId="active-streams"
    >
      {streams.map((s) => (
        <tr key={s.streamId}>
          <td className={`${td} max-w-[12rem] truncate`}>{s.email ?? s.userId}</td>
          <td className={`${td} max-w-[18rem]`}>
            <span className="block truncate font-medium">{s.title}</span>
            <span className="text-xs text-slate-600 dark:text-slate-400">{t("dashboard.format", { format: s.formatId, delivery: s.delivery })}</span>
          </td>
          <td className={`${td} whitespace-nowrap tabular-nums`}>
            {s.total ? t("download.of", { received: f.bytes(s.bytes), total: f.bytes(s.total) }) : f.bytes(s.bytes)}
          </td>
          <td className={`${td} whitespace-nowrap tabular-nums`}>{f.bytes(s.speed)}/s</td>
          <td className={td}>
            <Form method="post">
              <input type="hidden" name="intent" value="revoke" />
              <input type="hidden" name="tokenId" value={s.tokenId} />
              <button
                type="submit"
                className="rounded-md border border-red-300 px-2.5 py-1 text-xs font-semibold text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950"
              >
                {t("dashboard.revoke")}
              </button>
            </Form>
          </td>
        </tr>
      ))}
    </Table>
  );
}

export function Queues({ queues }: { queues: QueueReport[] }) {
  const { t, f } = useI18n();
  const heads: MessageKey[] = [
    "dashboard.col.queue",
    "dashboard.col.waiting",
    "dashboard.col.running",
    "dashboard.col.delayed",
    "dashboard.col.failed",
    "dashboard.col.workers",
    "dashboard.col.oldest",
    "dashboard.col.perMinute",
  ];
  return (
    <Table head={heads} empty="dashboard.noQueues" testId="queues">
      {queues.map((q) => (
        <tr key={q.name}>
          <td className={`${td} font-medium`}>
            {q.name}
            {q.paused ? <span className="ml-2 rounded bg-amber-100 px-1.5 text-xs text-amber-900">{t("dashboard.paused")}</span> : null}
          </td>
          <td className={`${td} tabular-nums`}>{f.number(q.waiting)}</td>
          <td className={`${td} tabular-nums`}>{f.number(q.active)}</td>
          <td className={`${td} tabular-nums`}>{f.number(q.delayed)}</td>
          <td className={`${td} tabular-nums`}>{f.number(q.failed)}</td>
          <td className={`${td} tabular-nums`}>{f.number(q.workers)}</td>
          <td className={`${td} tabular-nums`}>{duration(t, q.oldestWaitingAgeSeconds)}</td>
          <td className={`${td} tabular-nums`}>
            {f.number(q.completedPerMinute)}
            {q.failedPerMinute ? ` ${t("dashboard.failedCount", { count: q.failedPerMinute })}` : ""}
          </td>
        </tr>
      ))}
    </Table>
  );
}

export function Processes({ processes }: { processes: ProcessStats[] }) {
  const { t, f } = useI18n();
  const heads: MessageKey[] = [
    "dashboard.col.process",
    "dashboard.col.memory",
    "dashboard.col.heap",
    "dashboard.col.cpu",
    "dashboard.col.lag",
    "dashboard.col.up",
  ];
  return (
    <Table head={heads} empty="dashboard.noProcesses" testId="processes">
      {processes.map((p) => (
        <tr key={p.instance}>
          <td className={td}>
            <span className="font-medium">{p.service}</span> <span className="text-xs text-slate-600 dark:text-slate-400">{p.instance}</span>
          </td>
          <td className={`${td} tabular-nums`}>{f.bytes(p.rssBytes)}</td>
          <td className={`${td} tabular-nums`}>{f.bytes(p.heapUsedBytes)}</td>
          <td className={`${td} tabular-nums`}>{f.number(p.cpuPercent)} %</td>
          <td className={`${td} tabular-nums`}>{f.milliseconds(p.eventLoopLagMs)}</td>
          <td className={`${td} tabular-nums`}>{duration(t, p.uptimeSeconds)}</td>
        </tr>
      ))}
    </Table>
  );
}

/** The yt-dlp in use: sites change weekly, so an old release is flagged with what to do. */
export function YtDlpPanel({ ytDlp }: { ytDlp: YtDlpInUse | null }) {
  const { t, f } = useI18n();
  if (!ytDlp) return <Empty>{t("dashboard.ytdlp.missing")}</Empty>;
  return (
    <div className={`${card} space-y-2 p-4 text-sm`} data-testid="ytdlp">
      <dl className="grid grid-cols-[auto,1fr] gap-x-4 gap-y-1">
        <dt className="text-slate-600 dark:text-slate-400">{t("dashboard.ytdlp.version")}</dt>
        <dd className="font-medium tabular-nums" data-testid="ytdlp-version">
          {ytDlp.version}
        </dd>
        <dt className="text-slate-600 dark:text-slate-400">{t("dashboard.ytdlp.age")}</dt>
        <dd className="tabular-nums" data-testid="ytdlp-age">
          {ytDlp.ageDays === null ? "—" : t("dashboard.ytdlp.days", { n: f.number(ytDlp.ageDays) })}
        </dd>
        <dt className="text-slate-600 dark:text-slate-400">{t("dashboard.ytdlp.path")}</dt>
        <dd className="break-all font-mono text-xs">{ytDlp.path}</dd>
      </dl>
      {ytDlp.stale ? (
        <p className="rounded-md bg-amber-50 p-2 text-amber-950 dark:bg-amber-950 dark:text-amber-100" data-testid="ytdlp-stale">
          {t("dashboard.ytdlp.stale", { max: f.number(ytDlp.maxAgeDays) })}
        </p>
      ) : null}
    </div>
  );
}

function Empty({ children }: { children: ReactNode }) {
  return <p className={`${card} p-4 text-sm text-slate-600 dark:text-slate-400`}>{children}</p>;
}

/** A list of timestamped events: a badge, the time, then what happened. */
function EventList({
  items,
  testId,
}: {
  items: Array<{ key: string; badge: string; badgeClass: string; at: string; head?: ReactNode; body: ReactNode }>;
  testId: string;
}) {
  const { f } = useI18n();
  return (
    <ul className={`${card} divide-y divide-slate-100 text-sm dark:divide-slate-800`} data-testid={testId}>
      {items.map((item) => (
        <li key={item.key} className="px-4 py-2">
          <span className={`mr-2 rounded px-1.5 py-0.5 text-xs font-semibold ${item.badgeClass}`}>{item.badge}</span>
          {item.head} <span className="text-slate-600 dark:text-slate-400">{f.clock(item.at)}</span>
          <span className="block truncate text-slate-700 dark:text-slate-300">{item.body}</span>
        </li>
      ))}
    </ul>
  );
}

export function RecentFailures({ failures }: { failures: RecentFailure[] }) {
  const { t } = useI18n();
  if (!failures.length) return <Empty>{t("dashboard.noFailures")}</Empty>;
  return (
    <EventList
      testId="recent-failures"
      items={failures.map((f, i) => ({
        key: `${f.at}-${i}`,
        badge: f.kind,
        badgeClass: "bg-slate-100 dark:bg-slate-800",
        at: f.at,
        head: <code className="text-xs">{f.code}</code>,
        body: `${f.subject}${f.message ? ` — ${f.message}` : ""}`,
      }))}
    />
  );
}

export function AlertHistory({ events }: { events: AlertEvent[] }) {
  const { t, f } = useI18n();
  if (!events.length) return <Empty>{t("dashboard.noAlerts")}</Empty>;
  return (
    <EventList
      testId="alert-history"
      items={events.map((e, i) => ({
        key: `${e.at}-${i}`,
        badge: t(`alert.${e.status}`),
        badgeClass: e.status === "firing" ? "bg-amber-100 text-amber-900" : "bg-emerald-100 text-emerald-900",
        at: e.at,
        body: alertText(e, t, f),
      }))}
    />
  );
}

const input = "rounded-md border border-slate-300 px-3 py-2 dark:border-slate-700 dark:bg-slate-950";

/** The admin actions: a user's plan by email, any download link by its id. */
export function AdminForms() {
  const { t } = useI18n();
  return (
    <div className="grid gap-3 lg:grid-cols-2">
      <Form method="post" className={`${card} flex flex-col gap-3 p-4 sm:flex-row sm:items-end`} aria-label={t("dashboard.tierSubmit")}>
        <input type="hidden" name="intent" value="set-tier" />
        <label className="flex flex-1 flex-col gap-1 text-sm font-medium">
          {t("dashboard.tierEmail")}
          <input name="email" type="email" required className={input} />
        </label>
        <label className="flex flex-col gap-1 text-sm font-medium">
          {t("dashboard.tier")}
          <select name="tier" className={input}>
            <option value="pro">{t("account.plan.pro")}</option>
            <option value="free">{t("account.plan.free")}</option>
          </select>
        </label>
        <button type="submit" className="rounded-md bg-brand-600 px-4 py-2 font-semibold text-white hover:bg-brand-700">
          {t("dashboard.tierSubmit")}
        </button>
      </Form>
      <Form method="post" className={`${card} flex flex-col gap-3 p-4 sm:flex-row sm:items-end`} aria-label={t("dashboard.revokeSubmit")}>
        <input type="hidden" name="intent" value="revoke" />
        <label className="flex flex-1 flex-col gap-1 text-sm font-medium">
          {t("dashboard.tokenId")}
          <input
            name="tokenId"
            required
            pattern="[0-9a-fA-F-]{36}"
            placeholder="00000000-0000-0000-0000-000000000000"
            className={`${input} font-mono text-xs`}
          />
        </label>
        <button
          type="submit"
          className="rounded-md border border-red-300 px-4 py-2 font-semibold text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950"
        >
          {t("dashboard.revokeSubmit")}
        </button>
      </Form>
    </div>
  );
}
