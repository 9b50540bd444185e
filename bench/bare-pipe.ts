/** Baseline: a bare Node server piping the same ffmpeg conversion as the pipe path, to the client. */
import { spawn } from "node:child_process";
import http from "node:http";

const args = [
  "-hide_banner",
  "-loglevel",
  "error",
  "-nostdin",
  "-i",
  process.env.BENCH_SOURCE!,
  "-map",
  "0:a:0",
  "-vn",
  "-c:a",
  "copy",
  "-bsf:a",
  "aac_adtstoasc",
  "-f",
  "mp4",
  "-movflags",
  "frag_keyframe+empty_moov+default_base_moof",
  "pipe:1",
];
http
  .createServer((_req, res) => {
    const child = spawn("ffmpeg", args, { stdio: ["ignore", "pipe", "ignore"] });
    res.writeHead(200, { "Content-Type": "audio/mp4" });
    child.stdout.pipe(res);
    res.on("close", () => child.kill("SIGKILL"));
  })
  .listen(Number(process.env.BENCH_PORT), "127.0.0.1", () => console.log(`http://127.0.0.1:${process.env.BENCH_PORT}`));
process.on("SIGTERM", () => process.exit(0));
