import { Form } from "@remix-run/react";
import type { ReactNode } from "react";
import { formatBytes } from "~/lib/formats";
import type { ActiveStream, Alert, AlertEvent, ChartPoint, DashboardLive, ProcessStats, QueueReport, RecentFailure } from "~/lib/monitoring";
import { Sparkline } from "./sparkline";

const card = "rounded-xl border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900";
const th = "px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400";
const td = "px-3 py-2 align-top";

const percent = (value: number | null) => (value === null ? "—" : `${Math.round(value * 1000) / 10} %`);
const bytes = (value: number | null) => formatBytes(value) ?? "0 B";
const ms = (value: number | null) => (value === null ? "—" : value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value} ms`);

export function duration(seconds: number | null) {
  if (seconds === null) return "—";
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
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
  if (!alerts.length) return null;
  return (
    <div role="alert" data-testid="alerts" className="rounded-xl border border-amber-300 bg-amber-50 p-4 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
      <p className="font-semibold">{alerts.length === 1 ? "1 alert is firing" : `${alerts.length} alerts are firing`}</p>
      <ul className="mt-1 list-disc space-y-0.5 pl-5 text-sm">
        {alerts.map((a) => (
          <li key={a.key} data-alert={a.key}>
            {a.message} <span className="text-amber-800 dark:text-amber-300">since {clock(a.since)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Stat({ label, value, detail, testId }: { label: string; value: string; detail?: string; testId?: string }) {
  return (
    <div className={`${card} p-4`}>
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="mt-1 text-2xl font-bold tabular-nums" data-testid={testId}>
        {value}
      </dd>
      {detail ? <dd className="mt-0.5 text-xs text-slate-600 dark:text-slate-300">{detail}</dd> : null}
    </div>
  );
}

export function StatGrid({ live }: { live: DashboardLive }) {
  const { streams, analysis, tokens } = live.snapshot;
  const analysisQueue = live.queues.find((q) => q.name === "analysis");
  return (
    <dl className="grid grid-cols-2 gap-3 lg:grid-cols-4">
      <Stat label="Active downloads" value={String(streams.active)} detail={`${streams.total} finished in all`} testId="active-stream-count" />
      <Stat label="Throughput" value={`${bytes(streams.speedBps)}/s`} detail={`${bytes(streams.bytesServed + streams.inFlightBytes)} served`} />
      <Stat label="Download errors" value={percent(streams.errorRate)} detail={`${streams.failed} failed · ${streams.aborted} cancelled`} />
      <Stat label="Cache hit rate" value={percent(analysis.cache.hitRate)} detail={`${analysis.cache.hits} hits · ${analysis.cache.misses} misses`} />
      <Stat label="Analysis p50 / p95" value={`${ms(analysis.latencyMs.p50)} / ${ms(analysis.latencyMs.p95)}`} detail={`${analysis.completedLastHour} done · ${analysis.failedLastHour} failed in the last hour`} />
      <Stat label="Queue" value={`${analysisQueue?.waiting ?? 0} waiting`} detail={`${analysisQueue?.active ?? 0} running · ${analysisQueue?.workers ?? 0} workers`} />
      <Stat label="Links" value={`${tokens.created} created`} detail={`${tokens.refused} refused`} />
      <Stat label="Processes" value={String(live.snapshot.processes.length)} detail={live.snapshot.processes.map((p) => p.service).join(" · ") || "none reporting"} />
    </dl>
  );
}

export function Charts({ series }: { series: ChartPoint[] }) {
  const mb = (v: number) => `${Math.round(v)} MB`;
  return (
    <div className="grid gap-3 md:grid-cols-3">
      <Sparkline title="Throughput" format={(v) => `${bytes(v)}/s`} series={[{ name: "sent", values: series.map((p) => p.throughputBps), stroke: "stroke-brand-600", dot: "bg-brand-600" }]} />
      <Sparkline
        title="Memory (RSS)"
        format={mb}
        series={[
          { name: "web", values: series.map((p) => p.webRssMb), stroke: "stroke-sky-600", dot: "bg-sky-600" },
          { name: "workers", values: series.map((p) => p.workerRssMb), stroke: "stroke-violet-600", dot: "bg-violet-600" },
        ]}
      />
      <Sparkline
        title="Load"
        format={(v) => String(Math.round(v))}
        series={[
          { name: "downloads", values: series.map((p) => p.activeStreams), stroke: "stroke-emerald-600", dot: "bg-emerald-600" },
          { name: "queued analyses", values: series.map((p) => p.queueWaiting), stroke: "stroke-amber-600", dot: "bg-amber-600" },
        ]}
      />
    </div>
  );
}

function Table({ head, children, empty, testId }: { head: string[]; children: ReactNode[]; empty: string; testId?: string }) {
  if (!children.length) return <Empty>{empty}</Empty>;
  return (
    <div className={`${card} overflow-x-auto`}>
      <table className="w-full text-sm" data-testid={testId}>
        <thead className="border-b border-slate-200 dark:border-slate-800">
          <tr>
            {head.map((h) => (
              <th key={h} scope="col" className={th}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">{children}</tbody>
      </table>
    </div>
  );
}

export function ActiveStreams({ streams }: { streams: ActiveStream[] }) {
  return (
    <Table head={["User", "Video", "Sent", "Speed", ""]} empty="No download is running." testId="active-streams">
      {streams.map((s) => (
        <tr key={s.streamId}>
          <td className={`${td} max-w-[12rem] truncate`}>{s.email ?? s.userId}</td>
          <td className={`${td} max-w-[18rem]`}>
            <span className="block truncate font-medium">{s.title}</span>
            <span className="text-xs text-slate-500 dark:text-slate-400">
              format {s.formatId} · {s.delivery}
            </span>
          </td>
          <td className={`${td} whitespace-nowrap tabular-nums`}>
            {bytes(s.bytes)}
            {s.total ? ` of ${bytes(s.total)}` : ""}
          </td>
          <td className={`${td} whitespace-nowrap tabular-nums`}>{bytes(s.speed)}/s</td>
          <td className={td}>
            <Form method="post">
              <input type="hidden" name="intent" value="revoke" />
              <input type="hidden" name="tokenId" value={s.tokenId} />
              <button type="submit" className="rounded-md border border-red-300 px-2.5 py-1 text-xs font-semibold text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950">
                Revoke
              </button>
            </Form>
          </td>
        </tr>
      ))}
    </Table>
  );
}

export function Queues({ queues }: { queues: QueueReport[] }) {
  return (
    <Table head={["Queue", "Waiting", "Running", "Delayed", "Failed", "Workers", "Oldest wait", "Done / min"]} empty="No queue." testId="queues">
      {queues.map((q) => (
        <tr key={q.name}>
          <td className={`${td} font-medium`}>
            {q.name}
            {q.paused ? <span className="ml-2 rounded bg-amber-100 px-1.5 text-xs text-amber-900">paused</span> : null}
          </td>
          <td className={`${td} tabular-nums`}>{q.waiting}</td>
          <td className={`${td} tabular-nums`}>{q.active}</td>
          <td className={`${td} tabular-nums`}>{q.delayed}</td>
          <td className={`${td} tabular-nums`}>{q.failed}</td>
          <td className={`${td} tabular-nums`}>{q.workers}</td>
          <td className={`${td} tabular-nums`}>{duration(q.oldestWaitingAgeSeconds)}</td>
          <td className={`${td} tabular-nums`}>
            {q.completedPerMinute}
            {q.failedPerMinute ? ` (${q.failedPerMinute} failed)` : ""}
          </td>
        </tr>
      ))}
    </Table>
  );
}

export function Processes({ processes }: { processes: ProcessStats[] }) {
  return (
    <Table head={["Process", "Memory", "Heap", "CPU", "Loop lag", "Up"]} empty="No process has reported yet." testId="processes">
      {processes.map((p) => (
        <tr key={p.instance}>
          <td className={td}>
            <span className="font-medium">{p.service}</span> <span className="text-xs text-slate-500 dark:text-slate-400">{p.instance}</span>
          </td>
          <td className={`${td} tabular-nums`}>{bytes(p.rssBytes)}</td>
          <td className={`${td} tabular-nums`}>{bytes(p.heapUsedBytes)}</td>
          <td className={`${td} tabular-nums`}>{p.cpuPercent} %</td>
          <td className={`${td} tabular-nums`}>{p.eventLoopLagMs} ms</td>
          <td className={`${td} tabular-nums`}>{duration(p.uptimeSeconds)}</td>
        </tr>
      ))}
    </Table>
  );
}

const clock = (iso: string) => `${new Date(iso).toISOString().slice(11, 19)} UTC`;

function Empty({ children }: { children: ReactNode }) {
  return <p className={`${card} p-4 text-sm text-slate-500 dark:text-slate-400`}>{children}</p>;
}

/** A list of timestamped events: a badge, the time, then what happened. */
function EventList({ items, testId }: { items: Array<{ key: string; badge: string; badgeClass: string; at: string; head?: ReactNode; body: ReactNode }>; testId: string }) {
  return (
    <ul className={`${card} divide-y divide-slate-100 text-sm dark:divide-slate-800`} data-testid={testId}>
      {items.map((item) => (
        <li key={item.key} className="px-4 py-2">
          <span className={`mr-2 rounded px-1.5 py-0.5 text-xs font-semibold ${item.badgeClass}`}>{item.badge}</span>
          {item.head} <span className="text-slate-500 dark:text-slate-400">{clock(item.at)}</span>
          <span className="block truncate text-slate-700 dark:text-slate-300">{item.body}</span>
        </li>
      ))}
    </ul>
  );
}

export function RecentFailures({ failures }: { failures: RecentFailure[] }) {
  if (!failures.length) return <Empty>Nothing has failed recently.</Empty>;
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
  if (!events.length) return <Empty>No alert has fired.</Empty>;
  return (
    <EventList
      testId="alert-history"
      items={events.map((e, i) => ({
        key: `${e.at}-${i}`,
        badge: e.status,
        badgeClass: e.status === "firing" ? "bg-amber-100 text-amber-900" : "bg-emerald-100 text-emerald-900",
        at: e.at,
        body: e.message,
      }))}
    />
  );
}

const input = "rounded-md border border-slate-300 px-3 py-2 dark:border-slate-700 dark:bg-slate-950";

/** The admin actions: a user's plan by email, any download link by its id. */
export function AdminForms() {
  return (
    <div className="grid gap-3 lg:grid-cols-2">
      <Form method="post" className={`${card} flex flex-col gap-3 p-4 sm:flex-row sm:items-end`} aria-label="Change a user's plan">
        <input type="hidden" name="intent" value="set-tier" />
        <label className="flex flex-1 flex-col gap-1 text-sm font-medium">
          Account email
          <input name="email" type="email" required className={input} />
        </label>
        <label className="flex flex-col gap-1 text-sm font-medium">
          Plan
          <select name="tier" className={input}>
            <option value="pro">Pro</option>
            <option value="free">Free</option>
          </select>
        </label>
        <button type="submit" className="rounded-md bg-brand-600 px-4 py-2 font-semibold text-white hover:bg-brand-700">
          Change plan
        </button>
      </Form>
      <Form method="post" className={`${card} flex flex-col gap-3 p-4 sm:flex-row sm:items-end`} aria-label="Revoke a download link">
        <input type="hidden" name="intent" value="revoke" />
        <label className="flex flex-1 flex-col gap-1 text-sm font-medium">
          Download link id
          <input name="tokenId" required pattern="[0-9a-fA-F-]{36}" placeholder="00000000-0000-0000-0000-000000000000" className={`${input} font-mono text-xs`} />
        </label>
        <button type="submit" className="rounded-md border border-red-300 px-4 py-2 font-semibold text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950">
          Revoke link
        </button>
      </Form>
    </div>
  );
}
