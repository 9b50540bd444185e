/** The benchmark's origin in a process of its own: the large fixture and the small clips, over loopback HTTP. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { ensureLargeFixture, ensureMediaFixtures } from "../tests/fixtures/media";
import { startOrigin } from "../tests/fixtures/origin";

const large = await ensureLargeFixture(Number(process.env.BENCH_SIZE_MB ?? 1024) * 1024 * 1024);
const clips = await ensureMediaFixtures();
const largeOrigin = await startOrigin({ dir: path.dirname(large.file), files: { ...clips.files, mp4: large } });
const clipOrigin = await startOrigin(clips);
// For bench/stream.ts: where the files are, in a file of its own per run.
if (process.env.BENCH_ORIGIN_FILE) {
  writeFileSync(process.env.BENCH_ORIGIN_FILE, JSON.stringify({ large: largeOrigin.url("mp4"), mp4: clipOrigin.url("mp4"), largeFile: large.file }));
}
console.log(largeOrigin.baseUrl);
process.on("SIGTERM", () => process.exit(0));
