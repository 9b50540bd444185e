/**
 * Streaming benchmark, all baselines measured in the same run on the same fixture (200 MB):
 *   direct path  vs a bare Node http proxy (bench/bare-proxy.ts) and vs curl straight from the
 *                origin, in interleaved rounds; also the CPU time (user + system) each proxying
 *                process spends per file, which the machine's noise hardly moves;
 *   offload      (STREAM_OFFLOAD=nginx through scripts/nginx-front.sh) vs nginx serving the file;
 *   pipe path    vs a bare Node server piping `ffmpeg … pipe:1` and vs bare ffmpeg to /dev/null;
 *   time to first byte p50/p99 of the direct path;
 *   web RSS while 100 slow clients stream at once.
 *
 *   npm run bench:stream [-- --size-mb 200 --runs 9]
 *   BENCH_PROFILE=/tmp/prof npm run bench:stream     (--cpu-prof of the app and the bare proxy)
 *
 * The direct path's origin is a plain Node static server from tests/fixtures/origin.ts, in its own
 * process so it does not share a core's event loop with the measuring code; the offload's origin
 * is nginx serving the same file, as is its baseline. Prints figures; asserts nothing.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { getFreePort } from "../scripts/lib/services";
import { egressAllow, startApp } from "../tests/support/app";
import { analyzed, createToken, type AnalysisFormat } from "../tests/support/api";
import { signedUpClient } from "../tests/support/http";
import { startNginxFront, startNginxStatic } from "../tests/support/nginx-front";
import { arg, percentile, printTable, startBenchServices } from "./support";

const run = promisify(execFile);
const SIZE_MB = arg("size-mb", 200);
const RUNS = arg("runs", 9);

const median = (values: number[]) => percentile(values, 50);

const PROFILE = process.env.BENCH_PROFILE;
const profileArgs = PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE}`] : [];

function spawnHelper(script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
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

/** CPU time (user + system) a process has used so far, in ms, from /proc. */
function cpuMs(pid: number | undefined) {
  if (!pid) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/**
 * MB/s for each URL, in rounds of one download from each in turn: drift (other work, caches) hits
 * all alike. With `pids`, also the CPU ms that process spent on each download.
 */
async function throughputs(urls: string[], pids: Array<number | undefined> = []) {
  const samples = urls.map(() => [] as number[]);
  const cpu = urls.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) {
    for (const [j, url] of urls.entries()) {
      const before = cpuMs(pids[j]);
      const { seconds, size } = await curlSeconds(url);
      samples[j].push(size / seconds / 1e6);
      cpu[j].push(cpuMs(pids[j]) - before);
    }
  }
  return { samples, cpu };
}

/** The median of the per-round ratios a[i] / b[i]. */
const pairedRatio = (a: number[], b: number[]) => median(a.map((value, i) => value / b[i]));

const services = await startBenchServices("stream");

const helpers: ChildProcess[] = [];
const stops: Array<() => Promise<void>> = [];
try {
  console.error(`making a ${SIZE_MB} MB fixture…`);
  // The origin process writes its URLs here: one file per run, benchmarks may run side by side.
  const originFile = path.join(mkdtempSync(path.join(os.tmpdir(), "tvn-bench-stream-")), "origin.json");
  const origin = await spawnHelper("bench/origin-process.ts", { BENCH_SIZE_MB: String(SIZE_MB), BENCH_ORIGIN_FILE: originFile });
  helpers.push(origin.child);
  const { large, mp4, largeFile } = JSON.parse(readFileSync(originFile, "utf8")) as { large: string; mp4: string; largeFile: string };
  const nginxOrigin = await startNginxStatic(path.dirname(largeFile));
  stops.push(nginxOrigin.stop);
  const nginxLarge = `${nginxOrigin.baseUrl}/${path.basename(largeFile)}`;

  const app = await startApp({
    env: {
      ...egressAllow({ baseUrl: origin.url }, { baseUrl: new URL(mp4).origin }, nginxOrigin),
      // Offload applies only to requests through the front (X-Offload-Front); the rest stream here.
      STREAM_OFFLOAD: "nginx",
      TRUST_PROXY: "1",
      ...(PROFILE ? { TVN_NODE_ARGS: profileArgs.join(" ") } : {}),
      AUTH_RATE_LIMIT_PER_IP: "100000",
      API_RATE_LIMIT_PER_MINUTE: "100000",
      MAX_CONCURRENT_STREAMS: "200",
      MAX_TOKENS_PER_USER: "50",
      MAX_TOKENS_PER_HOUR: "1000",
      FREE_TIER_DAILY: "1000",
    },
  });
  const client = await signedUpClient(app.baseUrl, "bench");
  // A link to the first format `pick` accepts; any refusal on the way stops the run with its answer.
  const tokenFor = async (url: string, pick: (f: AnalysisFormat) => boolean) => {
    const analysis = await analyzed(client, url);
    const format = analysis.result.formats.find(pick);
    if (!format) throw new Error(`no such format in ${JSON.stringify(analysis.result.formats.map((f) => f.id))}`);
    const { status, body } = await createToken(client, analysis.requestId, format.id);
    if (status !== 201) throw new Error(`link refused (${status}): ${JSON.stringify(body)}`);
    return `${app.baseUrl}${body.streamUrl}`;
  };

  // Direct path.
  const proxyPort = await getFreePort();
  const proxy = await spawnHelper("bench/bare-proxy.ts", { BENCH_PORT: String(proxyPort), BENCH_UPSTREAM: origin.url }, profileArgs);
  helpers.push(proxy.child);
  const directUrl = await tokenFor(large, (f) => !f.derived);
  const largePath = new URL(large).pathname;
  const direct = await throughputs([large, `${proxy.url}${largePath}`, directUrl], [undefined, proxy.child.pid, app.web.pid]);
  const [originRuns, proxyRuns, directRuns] = direct.samples;
  const [originMBs, bareProxyMBs, directMBs] = [originRuns, proxyRuns, directRuns].map(median);
  const [proxyCpu, webCpu] = [median(direct.cpu[1]), median(direct.cpu[2])];

  // Offload: the same file from nginx, straight and through the front after the app's checks.
  const front = await startNginxFront(app.baseUrl);
  stops.push(front.stop);
  const offloadUrl = (await tokenFor(nginxLarge, (f) => !f.derived)).replace(app.baseUrl, front.baseUrl);
  const offload = await throughputs([nginxLarge, offloadUrl]);
  const [nginxRuns, offloadRuns] = offload.samples;
  const offloadRatio = pairedRatio(offloadRuns, nginxRuns);

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
    {
      measure: `CPU per ${SIZE_MB} MB: bare proxy → web process (direct path)`,
      figure: `${proxyCpu.toFixed(0)} → ${webCpu.toFixed(0)} ms`,
      ratio: `${(webCpu / proxyCpu).toFixed(2)} × proxy`,
    },
    { measure: "nginx serving the file (baseline)", figure: `${median(nginxRuns).toFixed(0)} MB/s`, ratio: "1.00" },
    {
      measure: "offload: nginx front after the app's checks (STREAM_OFFLOAD=nginx)",
      figure: `${median(offloadRuns).toFixed(0)} MB/s`,
      ratio: `${offloadRatio.toFixed(2)} × nginx`,
      target: "≥ 0.8 × nginx",
      met: offloadRatio >= 0.8,
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
  for (const stop of stops.reverse()) await stop();
  for (const child of helpers) child.kill("SIGTERM");
  await services.stop();
}
