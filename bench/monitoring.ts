/**
 * Monitoring benchmark: latency of health, the JSON metrics and the
 * Prometheus text against a static file from the same server (the floor of
 * one HTTP round trip here), and what the performance sampler costs per
 * sample and per day of storage.
 *
 *   npm run bench:monitoring [-- --requests 300 --samples 100]
 *
 * Prints figures; asserts nothing.
 */
import os from "node:os";
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { startApp } from "../tests/support/app";
import { signedUpClient } from "../tests/support/http";
import { arg, percentile, printTable, startBenchServices } from "./support";

const REQUESTS = arg("requests", 300);
const SAMPLES = arg("samples", 100);
const METRICS_TOKEN = randomBytes(24).toString("hex");

const services = await startBenchServices("monitoring");
// The sampler runs in this process, as a worker would: config is read at import, so after the env is set.
const { recordSample } = await import("../app/monitoring/maintenance.server");
const { closeRedis } = await import("../app/platform/index.server");
const { closeDatabase } = await import("../app/db/client.server");

const app = await startApp({ env: { METRICS_TOKEN, API_RATE_LIMIT_PER_MINUTE: "100000", AUTH_RATE_LIMIT_PER_IP: "100000" } });
const sql = postgres(process.env.DATABASE_URL!, { max: 1 });

async function timed(path: string, headers: Record<string, string> = {}, n = REQUESTS) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const response = await fetch(`${app.baseUrl}${path}`, { headers });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${path} answered ${response.status}`);
    times.push(performance.now() - started);
  }
  return times;
}

try {
  // Some traffic first, so the figures are not all zeros, and every process has published.
  const client = await signedUpClient(app.baseUrl, "bench");
  await client.request("/");
  await new Promise((r) => setTimeout(r, 6_000));
  const bearer = { Authorization: `Bearer ${METRICS_TOKEN}` };
  await timed("/api/monitoring/health", {}, 20);

  const floor = await timed("/favicon.svg");
  const health = await timed("/api/monitoring/health");
  const json = await timed("/api/monitoring/metrics", bearer);
  const prom = await timed("/metrics", bearer);
  const promSize = (await (await fetch(`${app.baseUrl}/metrics`, { headers: bearer })).text()).length;

  const sampleTimes: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    await recordSample();
    sampleTimes.push(performance.now() - started);
  }
  const [{ bytes }] = await sql<{ bytes: number }[]>`select avg(pg_column_size(data) + 24 + 8 + 8)::int as bytes from metric_samples`;
  const perDay = (86_400 / 5) * bytes;

  const row = (measure: string, times: number[]) => ({
    measure: `${measure}, p50 / p99`,
    figure: `${percentile(times, 50).toFixed(1)} / ${percentile(times, 99).toFixed(1)} ms`,
    ratio: `${(percentile(times, 50) / percentile(floor, 50)).toFixed(1)} × static file`,
  });
  printTable(`monitoring benchmark — ${os.cpus().length} cores, node ${process.version}, ${REQUESTS} sequential requests each`, [
    row("static file through the same server (baseline)", floor),
    row("GET /api/monitoring/health", health),
    row("GET /api/monitoring/metrics (JSON)", json),
    row(`GET /metrics (Prometheus, ${(promSize / 1024).toFixed(0)} KB)`, prom),
    row("one performance sample (worker)", sampleTimes),
  ]);
  console.log(
    `\nsampler storage: ${bytes} B per row ≈ ${(perDay / 1024 / 1024).toFixed(1)} MB per day at the default 5 s, kept METRICS_RETENTION_HOURS (24 h).`,
  );
  console.log(
    `sampler CPU at the default 5 s: ${((percentile(sampleTimes, 50) / 5000) * 100).toFixed(2)} % of one core (p50 time per sample ÷ interval, an upper bound: most of it is waiting on Redis and Postgres).`,
  );
} finally {
  await app.stop();
  await sql.end();
  await closeRedis();
  await closeDatabase();
  await services.stop();
}
