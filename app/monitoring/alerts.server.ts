import { config } from "~/config.server";
import { crossedThresholds, type Alert, type AlertEvent, type MetricSampleData } from "~/lib/monitoring";
import { logger, redis } from "~/platform/index.server";

/**
 * Threshold alerts: raised and cleared by the sampler, kept in Redis (the
 * firing ones, and the latest events), logged, shown on the dashboard, and
 * POSTed to ALERT_WEBHOOK_URL when one is set.
 */
const ACTIVE = "monitoring:alerts:active";
const RECENT = "monitoring:alerts:recent";
const RECENT_KEPT = 50;

const thresholds = () => ({
  memoryWarnBytes: config.MEMORY_WARN_MB * 1024 * 1024,
  errorRateWarn: config.ERROR_RATE_WARN,
  queueBacklogWarn: config.QUEUE_BACKLOG_WARN,
  ytDlpMaxAgeDays: config.YTDLP_MAX_AGE_DAYS,
});

async function notify(event: AlertEvent) {
  if (!config.ALERT_WEBHOOK_URL) return;
  try {
    const response = await fetch(config.ALERT_WEBHOOK_URL, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": "TaiVideoNhanh-alerts" },
      body: JSON.stringify({ source: "taivideonhanh", ...event }),
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) logger.warn({ status: response.status, alert: event.key }, "alert webhook refused the alert");
  } catch (err) {
    logger.warn({ err, alert: event.key }, "alert webhook unreachable");
  }
}

async function record(event: AlertEvent) {
  await redis
    .multi()
    .lpush(RECENT, JSON.stringify(event))
    .ltrim(RECENT, 0, RECENT_KEPT - 1)
    .exec();
  if (event.status === "firing") logger.warn({ alert: event.key, value: event.value, threshold: event.threshold }, `alert: ${event.message}`);
  else logger.info({ alert: event.key }, `alert resolved: ${event.message}`);
  await notify(event);
}

export async function activeAlerts(): Promise<Alert[]> {
  const raw = await redis.hvals(ACTIVE);
  return raw.map((v) => JSON.parse(v) as Alert).sort((a, b) => a.since.localeCompare(b.since));
}

export async function recentAlertEvents(count = 10): Promise<AlertEvent[]> {
  return (await redis.lrange(RECENT, 0, count - 1)).map((v) => JSON.parse(v) as AlertEvent);
}

/** Fires the alerts a sample crosses that were not firing yet, and resolves the ones it no longer crosses. */
export async function evaluateAlerts(sample: MetricSampleData, windowStart: MetricSampleData | null) {
  const now = new Date().toISOString();
  const crossed = new Map(crossedThresholds(sample, windowStart, thresholds()).map((a) => [a.key, a]));
  const firing = new Map((await activeAlerts()).map((a) => [a.key, a]));
  for (const [key, alert] of crossed) {
    const since = firing.get(key)?.since;
    await redis.hset(ACTIVE, key, JSON.stringify({ ...alert, since: since ?? now } satisfies Alert));
    if (!since) await record({ ...alert, since: now, status: "firing", at: now });
  }
  for (const [key, alert] of firing) {
    if (crossed.has(key)) continue;
    await redis.hdel(ACTIVE, key);
    await record({ ...alert, status: "resolved", at: now });
  }
}
