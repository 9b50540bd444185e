/**
 * `npm run bench`: every benchmark in turn, then one table of all their rows
 * (each a figure and its ratio to a baseline measured in the same run), also
 * written to docs/benchmarks.md with the machine it ran on.
 *
 *   npm run bench [-- --quick]     (--quick: fewer rounds and shorter runs)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BenchRow } from "./support";

const quick = process.argv.includes("--quick");
const suites: Array<{ name: string; script: string; args: string[] }> = [
  { name: "stream", script: "bench/stream.ts", args: quick ? ["--runs", "3"] : [] },
  { name: "analysis", script: "bench/analyze.ts", args: quick ? ["--cold", "5", "--cached", "100"] : [] },
  { name: "links", script: "bench/link-creation.ts", args: quick ? ["--rounds", "2"] : [] },
  { name: "realtime", script: "bench/realtime.ts", args: quick ? ["--seconds", "5"] : [] },
  { name: "monitoring", script: "bench/monitoring.ts", args: quick ? ["--requests", "100", "--samples", "30"] : [] },
  { name: "media", script: "bench/media.ts", args: quick ? ["--runs", "2"] : [] },
];

const dir = mkdtempSync(path.join(os.tmpdir(), "tvn-bench-all-"));
const sections: Array<{ name: string; rows: BenchRow[] }> = [];
for (const suite of suites) {
  const file = path.join(dir, `${suite.name}.jsonl`);
  console.error(`running the ${suite.name} benchmark…`);
  const result = spawnSync(process.execPath, ["--import", "tsx", suite.script, ...suite.args], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, BENCH_ROWS_FILE: file },
  });
  const rows =
    result.status === 0
      ? readFileSync(file, "utf8")
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line) as BenchRow)
      : [];
  if (result.status !== 0) console.error(`the ${suite.name} benchmark failed (exit ${result.status})`);
  sections.push({ name: suite.name, rows });
}

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const machine = `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, node ${process.version}`;
const lines = [
  `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${machine}${quick ? " (--quick)" : ""}.`,
  "",
  "| suite | measure | figure | ratio | target |",
  "| --- | --- | --- | --- | --- |",
  ...sections.flatMap(({ name, rows }) =>
    rows.map((r) => `| ${name} | ${r.measure} | ${r.figure} | ${r.ratio} | ${r.target ? `${r.target} ${r.met ? "✓" : "✗"}` : ""} |`),
  ),
];
console.log(`\n${lines.join("\n")}`);

const docPath = path.resolve("docs/benchmarks.md");
const doc = readFileSync(docPath, "utf8");
const start = doc.indexOf("<!-- bench:start -->");
const end = doc.indexOf("<!-- bench:end -->");
if (start >= 0 && end > start) {
  writeFileSync(docPath, `${doc.slice(0, start)}<!-- bench:start -->\n${lines.join("\n")}\n${doc.slice(end)}`);
  console.error(`updated ${path.relative(process.cwd(), docPath)}`);
}
const failed = sections.filter((s) => !s.rows.length).map((s) => s.name);
process.exit(failed.length ? 1 : 0);
