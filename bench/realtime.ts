/**
 * Request-rate benchmark and socket fan-out, in one run:
 *   token creation: requests/s and p99 at a fixed concurrency, against a
 *     static file through the same server (the floor of one HTTP round trip);
 *   socket.io: latency of stream:progress events to 1,000 connected clients
 *     (one user's 1,000 tabs), from the server's `sentAt` to arrival.
 *
 *   npm run bench:realtime [-- --seconds 10 --concurrency 20 --sockets 1000]
 *
 * Prints figures; asserts nothing.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import { io, type Socket } from "socket.io-client";
import type { StreamProgress } from "../app/lib/socket-events";
import { ensureMediaFixtures } from "../tests/fixtures/media";
import { startOrigin } from "../tests/fixtures/origin";
import { analyzed, plainFormat } from "../tests/support/api";
import { egressAllow, startApp } from "../tests/support/app";
import { signedUpClient } from "../tests/support/http";
import { arg, percentile, printTable, startBenchServices } from "./support";

const SECONDS = arg("seconds", 10);
const CONCURRENCY = arg("concurrency", 20);
/** Accounts per loop, taken in turn: many people creating links, not one creating thousands. */
const USERS_PER_LOOP = 5;
const SOCKETS = arg("sockets", 1000);

const services = await startBenchServices("realtime");
const origin = await startOrigin(await ensureMediaFixtures(), { throttleBytesPerSecond: 64 * 1024 });
const unlimited = "1000000";
const app = await startApp({
  env: {
    ...egressAllow(origin),
    AUTH_RATE_LIMIT_PER_IP: unlimited,
    API_RATE_LIMIT_PER_MINUTE: unlimited,
    // Each account makes ~50 links in the run: the default 5 would refuse most; 200 keeps every check real.
    MAX_TOKENS_PER_USER: "200",
    MAX_TOKENS_PER_HOUR: unlimited,
    FREE_TIER_DAILY: unlimited,
    LOG_LEVEL: "warn",
    ...(process.env.BENCH_PROFILE ? { TVN_NODE_ARGS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}` } : {}),
  },
});

/** `CONCURRENCY` loops, each sending its own request back to back for SECONDS. */
async function load(makeRequest: (worker: number) => Promise<Response>) {
  const latencies: number[] = [];
  let failures = 0;
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      while (performance.now() < until) {
        const started = performance.now();
        const response = await makeRequest(worker);
        await response.arrayBuffer();
        if (response.ok) latencies.push(performance.now() - started);
        else failures++;
      }
    }),
  );
  return { perSecond: latencies.length / SECONDS, p50: percentile(latencies, 50), p99: percentile(latencies, 99), failures };
}

const sockets: Socket[] = [];
try {
  const clients = await Promise.all(Array.from({ length: CONCURRENCY * USERS_PER_LOOP }, (_, i) => signedUpClient(app.baseUrl, `bench-${i}`)));
  const targets: Array<{ cookie: string; body: string }> = [];
  for (const client of clients) {
    const analysis = await analyzed(client, origin.url("mp4"));
    targets.push({
      cookie: `tvn_session=${client.cookie("tvn_session")}`,
      body: JSON.stringify({ requestId: analysis.requestId, formatId: plainFormat(analysis).id }),
    });
  }
  const turns = new Array<number>(CONCURRENCY).fill(0);
  const nextTarget = (worker: number) => targets[worker * USERS_PER_LOOP + (turns[worker]++ % USERS_PER_LOOP)];

  const floor = await load(() => fetch(`${app.baseUrl}/favicon.svg`));
  const tokens = await load((worker) => {
    const target = nextTarget(worker);
    return fetch(`${app.baseUrl}/api/streaming/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Cookie: target.cookie },
      body: target.body,
    });
  });

  // 1,000 sockets of one user; a throttled download of theirs reports progress twice a second.
  const owner = clients[0];
  const delays: number[] = [];
  for (let i = 0; i < SOCKETS; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, SOCKETS - i) }, () => {
        const socket = io(app.baseUrl, { transports: ["websocket"], extraHeaders: { Cookie: targets[0].cookie } });
        sockets.push(socket);
        socket.on("stream:progress", (p: StreamProgress) => delays.push(Date.now() - p.sentAt));
        return new Promise<void>((resolve, reject) => {
          socket.once("connect", () => resolve());
          socket.once("connect_error", reject);
        });
      }),
    );
  }
  const slowAnalysis = await analyzed(owner, origin.slowUrl("mp4"));
  const created = (await (
    await owner.request("/api/streaming/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ requestId: slowAnalysis.requestId, formatId: plainFormat(slowAnalysis).id }),
    })
  ).json()) as { streamUrl: string };
  await new Promise<void>((resolve) => spawn("curl", ["-s", "-o", "/dev/null", `${app.baseUrl}${created.streamUrl}`]).once("close", () => resolve()));
  const events = delays.length / SOCKETS;

  printTable(
    `realtime benchmark — ${os.cpus().length} cores, node ${process.version}, ${CONCURRENCY} concurrent clients for ${SECONDS} s, ${SOCKETS} sockets`,
    [
      {
        measure: "static file through the same server (baseline), req/s · p99",
        figure: `${floor.perSecond.toFixed(0)}/s · ${floor.p99.toFixed(1)} ms`,
        ratio: "1.00",
      },
      {
        measure: "POST /api/streaming/token, req/s · p99",
        figure: `${tokens.perSecond.toFixed(0)}/s · ${tokens.p99.toFixed(1)} ms${tokens.failures ? ` (${tokens.failures} refused)` : ""}`,
        ratio: `${(tokens.perSecond / floor.perSecond).toFixed(2)} × static`,
        target: "≥ 1,000/s, p99 ≤ 50 ms",
        met: tokens.perSecond >= 1000 && tokens.p99 <= 50,
      },
      {
        measure: `stream:progress to ${SOCKETS} sockets, p50 / p99 (${events.toFixed(0)} events each)`,
        figure: `${percentile(delays, 50).toFixed(1)} / ${percentile(delays, 99).toFixed(1)} ms`,
        ratio: "",
        target: "p99 ≤ 100 ms",
        met: percentile(delays, 99) <= 100,
      },
    ],
  );
} finally {
  for (const socket of sockets) socket.close();
  await app.stop();
  await origin.close();
  await services.stop();
}
