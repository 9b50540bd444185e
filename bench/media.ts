/**
 * Media operations benchmark, each against its baseline in the same run:
 *   a playlist ZIP of three entries  vs the same three files through three single links;
 *   MP3 (tags + cover) through a link vs bare `ffmpeg … -f mp3` from the origin to /dev/null;
 *   a 2 s clip through a link        vs bare `ffmpeg -ss … -t … libx264` to /dev/null.
 *
 *   npm run bench:media [-- --runs 5]
 *
 * A ZIP entry is resolved (yt-dlp -J) when the ZIP reaches it, so its cost per
 * entry is mostly that. Prints figures; asserts nothing.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ensureMediaFixtures } from "../tests/fixtures/media";
import { startOrigin } from "../tests/fixtures/origin";
import { analyzed } from "../tests/support/api";
import { egressAllow, startApp } from "../tests/support/app";
import { signedUpClient } from "../tests/support/http";
import { arg, percentile, printTable, startBenchServices } from "./support";

const run = promisify(execFile);
const RUNS = arg("runs", 5);
const ms = (n: number) => `${Math.round(n)} ms`;

const services = await startBenchServices("media");
const fixtures = await ensureMediaFixtures();
const origin = await startOrigin(fixtures);
const app = await startApp({
  env: { ...egressAllow(origin), MAX_TOKENS_PER_USER: "1000", MAX_TOKENS_PER_HOUR: "100000", FREE_TIER_DAILY: "100000", API_RATE_LIMIT_PER_MINUTE: "100000" },
});
const client = await signedUpClient(app.baseUrl, "bench-media");

/** Milliseconds to create a link and read its whole body. */
async function linkMs(body: Record<string, unknown>) {
  const started = performance.now();
  const response = await client.request("/api/streaming/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const { streamUrl } = (await response.json()) as { streamUrl: string };
  const stream = await fetch(`${app.baseUrl}${streamUrl}`);
  await stream.arrayBuffer();
  if (stream.status !== 200) throw new Error(`stream answered ${stream.status}`);
  return performance.now() - started;
}

async function bareMs(args: string[]) {
  const started = performance.now();
  await run("ffmpeg", ["-v", "error", ...args, "-f", "null", "-"]);
  return performance.now() - started;
}

const median = async (times: number, measure: () => Promise<number>) => {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) samples.push(await measure());
  return percentile(samples, 50);
};

try {
  const playlist = await analyzed(client, origin.pageUrl("playlist"));
  const page = await analyzed(client, origin.pageUrl("subtitles"));
  const files = [await analyzed(client, origin.url("mp4")), await analyzed(client, origin.url("webm")), await analyzed(client, origin.url("mp4"))];
  const plain = (a: { result: { formats: Array<{ id: string; derived: string | null }> } }) => a.result.formats.find((f) => !f.derived)!.id;
  const mp4 = page.result.formats.find((f) => !f.derived && f.ext === "mp4")!.id;

  const zip = await median(RUNS, () => linkMs({ requestId: playlist.requestId, formatId: "best", entries: [1, 2, 3] }));
  const singles = await median(RUNS, async () => {
    let total = 0;
    for (const file of files) total += await linkMs({ requestId: file.requestId, formatId: plain(file) });
    return total;
  });
  const mp3 = await median(RUNS, () => linkMs({ requestId: page.requestId, formatId: "mp3" }));
  const bareMp3 = await median(RUNS, () =>
    bareMs(["-i", origin.url("mp4"), "-i", origin.url("thumbnail"), "-map", "0:a:0", "-c:a", "libmp3lame", "-b:a", "192k"]),
  );
  const clip = await median(RUNS, () => linkMs({ requestId: page.requestId, formatId: mp4, clip: { start: 0.5, end: 2.5 } }));
  const bareClip = await median(RUNS, () =>
    bareMs(["-ss", "0.5", "-i", origin.url("mp4"), "-t", "2", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac"]),
  );

  printTable(`Media operations (median of ${RUNS}; 3 s fixtures, so fixed costs dominate)`, [
    { measure: "ZIP of 3 entries, link to last byte", figure: ms(zip), ratio: `${(zip / singles).toFixed(2)}× three single links (${ms(singles)})` },
    { measure: "MP3 with tags and cover, link to last byte", figure: ms(mp3), ratio: `${(mp3 / bareMp3).toFixed(2)}× bare ffmpeg (${ms(bareMp3)})` },
    { measure: "2 s clip (re-encoded MP4), link to last byte", figure: ms(clip), ratio: `${(clip / bareClip).toFixed(2)}× bare ffmpeg (${ms(bareClip)})` },
  ]);
} finally {
  await app.stop();
  await origin.close();
  await services.stop();
}
