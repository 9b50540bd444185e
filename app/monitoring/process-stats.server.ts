import os from "node:os";
import { performance } from "node:perf_hooks";
import type { MetricObjectWithValues, MetricValue } from "prom-client";
import type { ProcessStats } from "~/lib/monitoring";
import { logger, processIdentity, processRegistry, redis } from "~/platform/index.server";

/**
 * Every web and worker process measures itself (prom-client's default
 * metrics plus our own) and publishes the result to Redis every few seconds
 * with a short expiry. Whichever web process answers /metrics or draws the
 * dashboard reads all of them, so worker figures appear beside the web's and
 * a process that died simply drops out.
 */
const { service, instance } = processIdentity;
const startedAt = new Date();

const PUBLISH_MS = 5_000;
const EXPIRES_MS = 3 * PUBLISH_MS;
const INDEX = "monitoring:processes";
const keyFor = (name: string) => `monitoring:process:${name}`;

export type PublishedProcess = { stats: ProcessStats; prom: MetricObjectWithValues<MetricValue<string>>[] };

/** Event-loop lag as timer drift: how late a 250 ms tick fires; the worst of each window. */
const LAG_TICK_MS = 250;
const lag = { windowMaxMs: 0, lastWindowMs: 0 };
let expectedTick = performance.now() + LAG_TICK_MS;
setInterval(() => {
  const now = performance.now();
  lag.windowMaxMs = Math.max(lag.windowMaxMs, now - expectedTick);
  expectedTick = now + LAG_TICK_MS;
}, LAG_TICK_MS).unref();

/** This process' worst event-loop lag over the last publishing window (or the current one). */
export function eventLoopLagMs() {
  return Math.round(Math.max(lag.lastWindowMs, lag.windowMaxMs));
}

let lastCpu = process.cpuUsage();
let lastCpuAt = performance.now();

function currentProcessStats(): ProcessStats {
  const now = performance.now();
  const cpu = process.cpuUsage(lastCpu);
  const elapsedMs = now - lastCpuAt;
  const cpuPercent = elapsedMs > 0 ? ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100 : 0;
  lastCpu = process.cpuUsage();
  lastCpuAt = now;
  const memory = process.memoryUsage();
  return {
    service,
    instance,
    pid: process.pid,
    hostname: os.hostname(),
    startedAt: startedAt.toISOString(),
    uptimeSeconds: Math.round(process.uptime()),
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    cpuPercent: Math.round(cpuPercent * 10) / 10,
    eventLoopLagMs: eventLoopLagMs(),
  };
}

/**
 * prom-client's default metrics include gauges named `*_total` (active
 * handles, requests, resources: sums of the per-type gauges beside them),
 * which Prometheus' naming rules reserve for counters; `promtool check
 * metrics` rejects them, so they are not published.
 */
function followsNamingRules(metric: { name: string; type: unknown }) {
  // The typings declare an enum that the package does not export at run time: compare the string.
  return metric.type === "counter" || !metric.name.endsWith("_total");
}

async function publish() {
  const stats = currentProcessStats();
  lag.lastWindowMs = lag.windowMaxMs;
  lag.windowMaxMs = 0;
  const report: PublishedProcess = { stats, prom: (await processRegistry.getMetricsAsJSON()).filter(followsNamingRules) };
  await redis
    .multi()
    .set(keyFor(instance), JSON.stringify(report), "PX", EXPIRES_MS)
    .zadd(INDEX, Date.now() + EXPIRES_MS, instance)
    .exec();
}

/** Publishes now and every few seconds until stopped; a failed publication is only logged. */
export function startProcessStatsPublisher() {
  const run = () => {
    publish().catch((err: unknown) => logger.debug({ err }, "could not publish process stats"));
  };
  run();
  const timer = setInterval(run, PUBLISH_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await redis
      .multi()
      .del(keyFor(instance))
      .zrem(INDEX, instance)
      .exec()
      .catch((err: unknown) => logger.debug({ err }, "could not withdraw process stats"));
  };
}

/** Every live process' latest report, web and workers alike. */
export async function readPublishedProcesses(): Promise<PublishedProcess[]> {
  await redis.zremrangebyscore(INDEX, "-inf", String(Date.now()));
  const instances = await redis.zrange(INDEX, "0", "-1");
  if (!instances.length) return [];
  const raw = await redis.mget(instances.map(keyFor));
  return raw
    .filter((value): value is string => value !== null)
    .map((value) => JSON.parse(value) as PublishedProcess)
    .sort((a, b) => a.stats.service.localeCompare(b.stats.service) || a.stats.instance.localeCompare(b.stats.instance));
}
