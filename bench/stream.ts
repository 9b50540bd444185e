/**
 * Streaming benchmark, all baselines measured in the same run on the same fixture:
 *   direct path  vs a bare Node http proxy (bench/bare-proxy.ts) and vs curl straight from the origin;
 *   pipe path    vs a bare Node server piping `ffmpeg … pipe:1` and vs bare ffmpeg to /dev/null;
 *   time to first byte p50/p99 of the direct path;
 *   web RSS while 100 slow clients stream at once.
 *
 *   npm run bench:stream [-- --size-mb 1024 --runs 3]
 *
 * The origin here is nginx-less: a plain Node static server from tests/fixtures/origin.ts,
 * in its own process so it does not share a core's event loop with the measuring code.
 * Prints figures; asserts nothing.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { getFreePort } from "../scripts/lib/services";
import { egressAllow, startApp } from "../tests/support/app";
import { signedUpClient } from "../tests/support/http";
import { arg, percentile, printTable, startBenchServices } from "./support";

const run = promisify(execFile);
const SIZE_MB = arg("size-mb", 1024);
const RUNS = arg("runs", 5);

const median = (values: number[]) => percentile(values, 50);

function spawnHelper(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    child.stdout.once("data", (line: Buffer) => resolve({ child, url: line.toString().trim() }));
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/** Seconds for curl to fetch the URL to /dev/null; the throughput is size ÷ that. */
async function curlSeconds(url: string) {
  const { stdout } = await run("curl", ["-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download} %{time_starttransfer}", url], {
    maxBuffer: 1024 * 1024,
  });
  const [total, size, ttfb] = stdout.split(" ").map(Number);
  return { seconds: total, size, ttfb };
}

/** MB/s for each URL, in rounds of one download from each in turn: drift (other work, caches) hits all alike. */
async function throughputs(urls: string[]) {
  const samples = urls.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) {
    for (const [j, url] of urls.entries()) {
      const { seconds, size } = await curlSeconds(url);
      samples[j].push(size / seconds / 1e6);
    }
  }
  return samples;
}

/** The median of the per-round ratios a[i] / b[i]. */
const pairedRatio = (a: number[], b: number[]) => median(a.map((value, i) => value / b[i]));

const services = await startBenchServices("stream");

const helpers: ChildProcess[] = [];
try {
  console.error(`making a ${SIZE_MB} MB fixture…`);
  const origin = await spawnHelper("bench/origin-process.ts", { BENCH_SIZE_MB: String(SIZE_MB) });
  helpers.push(origin.child);
  const { large, mp4 } = JSON.parse(readFileSync(path.join(os.tmpdir(), "tvn-bench-origin.json"), "utf8")) as { large: string; mp4: string };

  const app = await startApp({
    env: {
      ...egressAllow({ baseUrl: origin.url }),
      AUTH_RATE_LIMIT_PER_IP: "100000",
      API_RATE_LIMIT_PER_MINUTE: "100000",
      MAX_CONCURRENT_STREAMS: "200",
      MAX_TOKENS_PER_USER: "50",
      MAX_TOKENS_PER_HOUR: "1000",
      FREE_TIER_DAILY: "1000",
    },
  });
  const client = await signedUpClient(app.baseUrl, "bench");
  const tokenFor = async (url: string, pick: (f: { id: string; derived: string | null }) => boolean) => {
    const { requestId } = (await (
      await client.request("/api/streaming/analyze", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ url }) })
    ).json()) as { requestId: string };
    for (;;) {
      const view = (await (await client.request(`/api/streaming/analyze/${requestId}`)).json()) as {
        status: string;
        result?: { formats: Array<{ id: string; derived: string | null }> };
      };
      if (view.status === "completed") {
        const format = view.result!.formats.find(pick)!;
        const created = (await (
          await client.request("/api/streaming/token", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ requestId, formatId: format.id }),
          })
        ).json()) as { streamUrl: string };
        return `${app.baseUrl}${created.streamUrl}`;
      }
      if (view.status === "failed") throw new Error("analysis failed");
      await sleep(50);
    }
  };

  // Direct path.
  const proxyPort = await getFreePort();
  const proxy = await spawnHelper("bench/bare-proxy.ts", { BENCH_PORT: String(proxyPort), BENCH_UPSTREAM: origin.url });
  helpers.push(proxy.child);
  const directUrl = await tokenFor(large, (f) => !f.derived);
  const largePath = new URL(large).pathname;
  const [originRuns, proxyRuns, directRuns] = await throughputs([large, `${proxy.url}${largePath}`, directUrl]);
  const [originMBs, bareProxyMBs, directMBs] = [originRuns, proxyRuns, directRuns].map(median);

  // Pipe path: the audio-only conversion of the small clip, repeated, and remuxing of the large file.
  const pipePort = await getFreePort();
  const pipe = await spawnHelper("bench/bare-pipe.ts", { BENCH_PORT: String(pipePort), BENCH_SOURCE: large });
  helpers.push(pipe.child);
  const pipeUrl = await tokenFor(large, (f) => f.derived === "audio");
  const bareFfmpeg: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await run("sh", [
      "-c",
      `ffmpeg -hide_banner -loglevel error -nostdin -i '${large}' -map 0:a:0 -vn -c:a copy -bsf:a aac_adtstoasc -f mp4 -movflags frag_keyframe+empty_moov+default_base_moof pipe:1 > /dev/null`,
    ]);
    bareFfmpeg.push((performance.now() - t0) / 1000);
  }
  const pipeSamples = [];
  const barePipeSamples = [];
  for (let i = 0; i < RUNS; i++) {
    barePipeSamples.push((await curlSeconds(pipe.url)).seconds);
    pipeSamples.push((await curlSeconds(pipeUrl)).seconds);
  }

  // Time to first byte on the direct path (the small mp4: token check, slot, upstream connect).
  const smallUrl = await tokenFor(mp4, (f) => !f.derived);
  const ttfb: number[] = [];
  for (let i = 0; i < 200; i++) ttfb.push((await curlSeconds(smallUrl)).ttfb * 1000);

  // RSS with 100 slow clients: each reads 64 KiB/s of the large file.
  const rssBefore = Number((await run("ps", ["-o", "rss=", "-p", String(app.web.pid)])).stdout.trim()) / 1024;
  const slow = Array.from({ length: 100 }, () => spawn("curl", ["-s", "-o", "/dev/null", "--limit-rate", "64k", "-m", "20", directUrl]));
  await sleep(10_000);
  const rssDuring = Number((await run("ps", ["-o", "rss=", "-p", String(app.web.pid)])).stdout.trim()) / 1024;
  slow.forEach((c) => c.kill("SIGKILL"));
  await app.stop();

  const directRatio = pairedRatio(directRuns, proxyRuns);
  const pipeRatio = median(barePipeSamples) / median(pipeSamples);
  const growth = rssDuring - rssBefore;
  printTable(`stream benchmark — ${os.cpus().length} cores, node ${process.version}, ${SIZE_MB} MB fixture, median of ${RUNS}`, [
    { measure: "curl straight from the origin (machine limit)", figure: `${originMBs.toFixed(0)} MB/s`, ratio: "1.00" },
    {
      measure: "bare Node http proxy (baseline)",
      figure: `${bareProxyMBs.toFixed(0)} MB/s`,
      ratio: `${pairedRatio(proxyRuns, originRuns).toFixed(2)} × origin`,
    },
    {
      measure: "direct path (token, slot, progress, accounting)",
      figure: `${directMBs.toFixed(0)} MB/s`,
      ratio: `${directRatio.toFixed(2)} × proxy, ${pairedRatio(directRuns, originRuns).toFixed(2)} × origin`,
      target: "≥ 0.9 × proxy",
      met: directRatio >= 0.9,
    },
    { measure: "bare ffmpeg audio extraction > /dev/null", figure: `${median(bareFfmpeg).toFixed(2)} s`, ratio: "1.00" },
    {
      measure: "bare Node server piping ffmpeg (baseline)",
      figure: `${median(barePipeSamples).toFixed(2)} s`,
      ratio: `${(median(bareFfmpeg) / median(barePipeSamples)).toFixed(2)} × bare ffmpeg`,
    },
    {
      measure: "pipe path (same conversion)",
      figure: `${median(pipeSamples).toFixed(2)} s`,
      ratio: `${pipeRatio.toFixed(2)} × bare pipe`,
      target: "≥ 0.9 × bare pipe",
      met: pipeRatio >= 0.9,
    },
    {
      measure: "TTFB direct path p50 / p99",
      figure: `${percentile(ttfb, 50).toFixed(1)} / ${percentile(ttfb, 99).toFixed(1)} ms`,
      ratio: "",
      target: "p50 ≤ 25 ms",
      met: percentile(ttfb, 50) <= 25,
    },
    {
      measure: "web RSS idle → 100 slow clients",
      figure: `${rssBefore.toFixed(0)} → ${rssDuring.toFixed(0)} MB`,
      ratio: `+${growth.toFixed(0)} MB`,
      target: "≤ +150 MB",
      met: growth <= 150,
    },
  ]);
} finally {
  for (const child of helpers) child.kill("SIGTERM");
  await services.stop();
}
