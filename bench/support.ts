/** What every benchmark needs: private Postgres + Redis for the run, and percentiles. */
import { appendFileSync, chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { runMigrations } from "../app/db/migrate.server";
import { startPostgres, startRedis } from "../scripts/lib/services";

/** Starts them, points this process' environment (and so the apps it starts) at them. */
export async function startBenchServices(name: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `tvn-bench-${name}-`));
  chmodSync(dir, 0o755);
  const instance = (service: string) => ({
    dataDir: path.join(dir, service),
    logFile: path.join(dir, `${service}.log`),
    password: randomBytes(12).toString("hex"),
    ephemeral: true,
  });
  const pg = await startPostgres(instance("postgres"));
  const redis = await startRedis(instance("redis"));
  await runMigrations(pg.url);
  Object.assign(process.env, { DATABASE_URL: pg.url, REDIS_URL: redis.url, LOG_LEVEL: "warn" });
  return {
    stop: async () => {
      await redis.stop();
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function percentile(values: number[], p: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

/** One line of a benchmark's table; `met` says whether the figure reaches the issue's target. */
export type BenchRow = { measure: string; figure: string; ratio: string; target?: string; met?: boolean };

/**
 * Prints a benchmark's table (markdown). When run from `npm run bench`
 * (BENCH_ROWS_FILE set) the rows are also appended there as JSON lines, so
 * bench/all.ts can gather every benchmark into one table.
 */
export function printTable(title: string, rows: BenchRow[]) {
  console.log(`\n${title}`);
  console.log("| measure | figure | ratio | target |");
  console.log("| --- | --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.measure} | ${r.figure} | ${r.ratio} | ${r.target ? `${r.target} ${r.met ? "✓" : "✗"}` : ""} |`);
  const file = process.env.BENCH_ROWS_FILE;
  if (file) appendFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
}
