/**
 * The monitoring pack (monitoring/): the Prometheus alert rules pass
 * `promtool check rules` and their unit tests (`promtool test rules`), the
 * Prometheus config is valid, and every metric the rules and the Grafana
 * dashboard query is one a running app's /metrics exposes. promtool comes
 * from Debian's prometheus package (scripts/setup.sh --test); without it
 * these tests fail rather than skip.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app";
import { waitFor } from "../support/wait";

const run = promisify(execFile);
const RULES_DIR = path.resolve("monitoring/prometheus/rules");
const ruleFiles = readdirSync(RULES_DIR).map((name) => path.join(RULES_DIR, name));
const DASHBOARD = path.resolve("monitoring/grafana/dashboards/taivideonhanh.json");

async function promtool(args: string[]) {
  try {
    const { stdout, stderr } = await run("promtool", args, { timeout: 60_000 });
    return stdout + stderr;
  } catch (err) {
    const failed = err as { code?: string | number; stdout?: string; stderr?: string };
    if (failed.code === "ENOENT") throw new Error("promtool is missing: run `bash scripts/setup.sh --test` (Debian package prometheus)", { cause: err });
    throw new Error(`promtool ${args.join(" ")} failed:\n${failed.stdout ?? ""}${failed.stderr ?? ""}`, { cause: err });
  }
}

const PROMQL_WORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan"]);

/**
 * The metric names a PromQL expression reads: identifiers left once strings,
 * label matchers, ranges, grouping lists, Grafana variables and function
 * calls are set aside.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, "")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\w+/g, " ");
  const names = [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((m) => m[1]);
  return [...new Set(names.filter((name) => !PROMQL_WORDS.has(name.toLowerCase()) && !/^\d/.test(name)))];
}

function ruleExpressions() {
  // The rule files are YAML; each expression is an `expr:` scalar or block (`|`) here.
  return ruleFiles.flatMap((file) => {
    const text = readFileSync(file, "utf8");
    return [...text.matchAll(/^(\s*)expr:\s*(\|[^\n]*\n((?:\1\s+[^\n]*\n|\s*\n)+)|([^\n]+))/gm)].map((m) => (m[3] ?? m[4]).trim());
  });
}

type Panel = { title: string; type: string; datasource?: { uid: string }; targets?: Array<{ expr: string; datasource?: { uid: string } }> };

function dashboardExpressions() {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { uid: string; panels: Panel[] };
  return { dashboard, expressions: dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)) };
}

/** Metric names in Prometheus text: families from `# TYPE` (with a histogram's series) and every sample. */
function exposedNames(text: string) {
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      names.add(type[1]);
      if (type[2] === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(type[1] + suffix);
    } else if (line && !line.startsWith("#")) names.add(/^[^{\s]+/.exec(line)![0]);
  }
  return names;
}

describe("Prometheus alert rules", () => {
  it("pass promtool check rules", async () => {
    const output = await promtool(["check", "rules", ...ruleFiles]);
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("pass their unit tests: each alert fires when it should and stays quiet otherwise", async () => {
    const output = await promtool(["test", "rules", path.resolve("monitoring/prometheus/tests/taivideonhanh.test.yml")]);
    expect(output).toContain("SUCCESS");
    // Every alert the rules define has a test.
    const tests = readFileSync("monitoring/prometheus/tests/taivideonhanh.test.yml", "utf8");
    const alerts = ruleFiles.flatMap((file) => [...readFileSync(file, "utf8").matchAll(/- alert: (\w+)/g)].map((m) => m[1]));
    expect(alerts.length).toBeGreaterThanOrEqual(5);
    for (const alert of alerts) expect(tests).toContain(`alertname: ${alert}`);
  });

  it("load from the Prometheus config the compose profile runs", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tvn-prometheus-"));
    try {
      // The container's paths, pointed at this checkout and a token file like the entrypoint writes.
      writeFileSync(path.join(dir, "metrics_token"), "x".repeat(32));
      const configText = readFileSync("monitoring/prometheus/prometheus.yml", "utf8")
        .replace("/etc/prometheus/rules/", `${RULES_DIR}/`)
        .replace("/tmp/metrics_token", path.join(dir, "metrics_token"));
      writeFileSync(path.join(dir, "prometheus.yml"), configText);
      const output = await promtool(["check", "config", path.join(dir, "prometheus.yml")]);
      expect(output).toMatch(/SUCCESS: \d+ rule files found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("metric names", () => {
  it("are read from PromQL without functions, labels, grouping or variables", () => {
    expect(
      metricNames('histogram_quantile(0.95, sum by (le) (rate(tvn_x_bucket{a="b", c=~"d|e"}[$__rate_interval]))) / on () tvn_y > 1024 * 2 and absent(z)'),
    ).toEqual(["tvn_x_bucket", "tvn_y", "z"]);
  });
});

describe("the rules and the dashboard against a running app's /metrics", () => {
  const token = randomBytes(16).toString("hex");
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ env: { METRICS_TOKEN: token } });
  });

  afterAll(async () => {
    await app?.stop();
  });

  it("query only metrics that /metrics exposes", async () => {
    const scrape = async () => {
      const response = await fetch(`${app.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
      return response.ok ? response.text() : null;
    };
    // Both services have published their process metrics once the worker is up.
    const text = await waitFor(async () => {
      const body = await scrape();
      return body?.includes('service="worker"') && body.includes('service="web"') ? body : null;
    });
    const exposed = exposedNames(text);
    const { dashboard, expressions } = dashboardExpressions();
    const rules = ruleExpressions();
    expect(rules.length).toBeGreaterThanOrEqual(5);
    expect(expressions.length).toBeGreaterThanOrEqual(10);
    const queried = new Set([...rules, ...expressions].flatMap(metricNames));
    expect([...queried].filter((name) => !exposed.has(name))).toEqual([]);
    // The dashboard's panels use the datasource Grafana is provisioned with.
    const provisioned = /uid:\s*(\S+)/.exec(readFileSync("monitoring/grafana/provisioning/datasources/prometheus.yml", "utf8"))?.[1];
    const uids = new Set(dashboard.panels.filter((p) => p.targets).map((p) => p.datasource?.uid));
    expect([...uids]).toEqual([provisioned]);
  });
});
