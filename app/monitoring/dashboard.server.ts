import { z } from "zod";
import { emailsByIds, setUserTier } from "~/accounts/index.server";
import { recentAnalysisFailures } from "~/analysis/index.server";
import { listActiveStreams, recentStreamFailures, revokeAnyStreamToken } from "~/downloads/index.server";
import { isMessageKey, type MessageKey } from "~/lib/i18n";
import { seriesFromSamples, type DashboardData, type DashboardLive, type RecentFailure } from "~/lib/monitoring";
import { AppError } from "~/platform/index.server";
import { statusOf } from "~/web/index.server";
import { activeAlerts, recentAlertEvents } from "./alerts.server";
import { ytDlpInUse } from "./health.server";
import { samplesSince } from "./maintenance.server";
import { metricsSnapshot, queueReports } from "./reports.server";

const CHART_HOURS = 3;
const CHART_POINTS = 360;

async function recentFailures(): Promise<RecentFailure[]> {
  const [analyses, streams] = await Promise.all([recentAnalysisFailures(10), recentStreamFailures()]);
  const failedAnalyses = analyses.map((a): RecentFailure => ({
    kind: "analysis",
    at: (a.finishedAt ?? new Date(0)).toISOString(),
    code: a.error?.code ?? "unknown",
    message: a.error?.message ?? "",
    subject: a.url,
  }));
  return [...failedAnalyses, ...streams].sort((a, b) => b.at.localeCompare(a.at)).slice(0, 15);
}

/** What the dashboard's socket pushes every couple of seconds: everything but the chart history. */
export async function dashboardLive(): Promise<DashboardLive> {
  const queues = await queueReports();
  const [snapshot, streams, failures, alerts, alertEvents, ytDlp] = await Promise.all([
    metricsSnapshot(queues),
    listActiveStreams(),
    recentFailures(),
    activeAlerts(),
    recentAlertEvents(),
    ytDlpInUse(),
  ]);
  const emails = await emailsByIds([...new Set(streams.map((s) => s.userId))]);
  return {
    snapshot,
    queues,
    activeStreams: streams.map((s) => ({ ...s, email: emails.get(s.userId) ?? null })),
    recentFailures: failures,
    alerts,
    alertEvents,
    ytDlp,
  };
}

/** The first paint: the live figures and the last hours of samples for the charts. */
export async function dashboardData(): Promise<DashboardData> {
  const [live, samples] = await Promise.all([dashboardLive(), samplesSince(new Date(Date.now() - CHART_HOURS * 3600_000))]);
  const series = seriesFromSamples(samples);
  const step = Math.max(1, Math.ceil(series.length / CHART_POINTS));
  return { ...live, series: series.filter((_, i) => i % step === 0 || i === series.length - 1) };
}

const AdminAction = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("set-tier"), email: z.string().trim().email("dashboard.badEmail"), tier: z.enum(["free", "pro"]) }),
  z.object({ intent: z.literal("revoke"), tokenId: z.string().uuid("dashboard.badTokenId") }),
]);

/** What an admin action did, as a catalogue message for the operator (and the HTTP status to answer with). */
export type AdminActionResult = { status: number; key: MessageKey; params?: Record<string, string> };

export async function runAdminAction(form: Record<string, unknown>): Promise<AdminActionResult> {
  const parsed = AdminAction.safeParse(form);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? "";
    return { status: 400, key: isMessageKey(message) ? message : "dashboard.badTokenId" };
  }
  const action = parsed.data;
  if (action.intent === "set-tier") {
    const user = await setUserTier({ email: action.email, tier: action.tier });
    if (!user) return { status: 404, key: "dashboard.userNotFound", params: { email: action.email } };
    return { status: 200, key: "dashboard.tierChanged", params: { email: user.email ?? action.email, plan: user.tier } };
  }
  try {
    const token = await revokeAnyStreamToken(action.tokenId);
    return { status: 200, key: "dashboard.revoked", params: { title: token.title } };
  } catch (err) {
    if (err instanceof AppError) return { status: statusOf(err), key: "error.token_not_found" };
    throw err;
  }
}
