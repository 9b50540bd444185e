/**
 * Link creation against the same server's static file (issue 14, item 3), in one run:
 * CONNECTIONS keep-alive loops; the links are made by many accounts, each staying within
 * the default limits (MAX_TOKENS_PER_USER active links, so each account makes that many
 * and no more: every answer must be 201). Only the per-address limits are lifted, since every
 * account comes from 127.0.0.1.
 *
 *   npm run bench:links [-- --connections 32 --users 400 --seconds 10]
 *
 * Prints figures; asserts nothing.
 */
import os from "node:os";
import { ensureMediaFixtures } from "../tests/fixtures/media";
import { startOrigin } from "../tests/fixtures/origin";
import { analyzed, plainFormat } from "../tests/support/api";
import { egressAllow, startApp } from "../tests/support/app";
import { signedUpClient } from "../tests/support/http";
import { arg, benchAppEnv, percentile, printTable, startBenchServices } from "./support";

const CONNECTIONS = arg("connections", 32);
const USERS = arg("users", 400);
const SECONDS = arg("seconds", 10);
/** The default MAX_TOKENS_PER_USER: each account makes exactly as many links as it may hold. */
const LINKS_PER_USER = 5;

const services = await startBenchServices("links");
const origin = await startOrigin(await ensureMediaFixtures());
const app = await startApp({ env: { ...egressAllow(origin), ...benchAppEnv() } });

type Sample = { ms: number; status: number };

/** CONNECTIONS loops sending `next()` back to back until it runs out or time is up. */
async function load(next: () => (() => Promise<Response>) | null) {
  const samples: Sample[] = [];
  const started = performance.now();
  const until = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (let send = next(); send && performance.now() < until; send = next()) {
        const t0 = performance.now();
        const response = await send();
        await response.arrayBuffer();
        samples.push({ ms: performance.now() - t0, status: response.status });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const ok = samples.filter((s) => s.status >= 200 && s.status < 300).map((s) => s.ms);
  const refused = samples.length - ok.length;
  const codes = [...new Set(samples.filter((s) => s.status >= 300).map((s) => s.status))];
  return { perSecond: ok.length / seconds, p50: percentile(ok, 50), p99: percentile(ok, 99), refused, codes };
}

try {
  console.error(`signing up ${USERS} accounts…`);
  const clients = [];
  for (let i = 0; i < USERS; i += 25) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(25, USERS - i) }, (_, j) => signedUpClient(app.baseUrl, `links-${i + j}`)))));
  }
  // Each account analyses the page (a cache hit after the first) so its links name its own request.
  const requests: Array<{ cookie: string; body: string }> = [];
  for (const client of clients) {
    const analysis = await analyzed(client, origin.url("mp4"));
    requests.push({
      cookie: `tvn_session=${client.cookie("tvn_session")}`,
      body: JSON.stringify({ requestId: analysis.requestId, formatId: plainFormat(analysis).id }),
    });
  }
  // Round by round over the accounts, so one account's links are not all in flight at once.
  const queue = Array.from({ length: LINKS_PER_USER }, () => requests).flat();

  const staticFile = await load(() => () => fetch(`${app.baseUrl}/favicon.svg`));
  let taken = 0;
  const links = await load(() => {
    const request = queue[taken++];
    if (!request) return null;
    return () =>
      fetch(`${app.baseUrl}/api/streaming/token`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Cookie: request.cookie },
        body: request.body,
      });
  });

  const ratio = links.perSecond / staticFile.perSecond;
  printTable(`link creation — ${os.cpus().length} cores, node ${process.version}, ${CONNECTIONS} connections, ${USERS} accounts × ${LINKS_PER_USER} links`, [
    {
      measure: "static file through the same server (baseline), req/s · p50 / p99",
      figure: `${staticFile.perSecond.toFixed(0)}/s · ${staticFile.p50.toFixed(1)} / ${staticFile.p99.toFixed(1)} ms`,
      ratio: "1.00",
    },
    {
      measure: "POST /api/streaming/token, default per-user limits, req/s · p50 / p99",
      figure: `${links.perSecond.toFixed(0)}/s · ${links.p50.toFixed(1)} / ${links.p99.toFixed(1)} ms${links.refused ? ` (${links.refused} non-2xx: ${links.codes.join(", ")})` : ""}`,
      ratio: `${ratio.toFixed(2)} × static`,
      target: "≥ 0.4 × static, no non-2xx",
      met: ratio >= 0.4 && links.refused === 0,
    },
  ]);
} finally {
  await app.stop();
  await origin.close();
  await services.stop();
}
