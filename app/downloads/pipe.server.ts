import type { ChildProcess } from "node:child_process";
import { PassThrough } from "node:stream";
import { config } from "~/config.server";
import type { FormatSource, MediaFormat } from "~/lib/formats";
import { ytDlpCommand } from "~/analysis/index.server";
import { childEgress, ffmpegInputOptions } from "~/egress/index.server";
import { AppError, logger, spawnTool } from "~/platform/index.server";
import type { Upstream } from "./direct.server";

/** The pipe path: formats that need ffmpeg or yt-dlp, converted on the fly to stdout, never to disk. */
// MPEG-TS (HLS) carries ADTS AAC, which MP4 cannot hold as is; the filter is a no-op for other AAC.
export const FRAGMENTED_MP4 = ["-bsf:a", "aac_adtstoasc", "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof"];

/** A tool to run; `prefix` goes out before its first bytes (an ID3 tag written here, since ffmpeg cannot seek back in a pipe to finish its own). */
export type ToolCommand = { command: string; args: string[]; prefix?: Buffer };

/**
 * ffmpeg reading network inputs through the egress proxy (network protocols
 * only) and writing `output` to stdout. `before` goes ahead of every `-i`
 * (a clip's input seek).
 */
export function ffmpegCommand(inputs: FormatSource[], output: string[], proxyUrl: string, before: string[] = []): ToolCommand {
  return {
    command: config.FFMPEG_PATH,
    args: [
      "-hide_banner",
      "-loglevel",
      "error",
      "-nostdin",
      ...inputs.flatMap((s) => [
        // A read that waits longer than the stall limit fails (HLS segments included).
        ...ffmpegInputOptions({ proxyUrl, headers: s.headers, readTimeoutSeconds: config.STREAM_STALL_SECONDS }),
        ...before,
        "-i",
        s.url,
      ]),
      ...output,
      "pipe:1",
    ],
  };
}

/**
 * The command that writes this format to stdout: ffmpeg for HLS, merges and
 * audio; yt-dlp for the rest. Either reaches the network only through the
 * egress proxy (HLS segments included), with network protocols only.
 */
export function pipeCommand(
  format: MediaFormat,
  formats: MediaFormat[],
  sources: Record<string, FormatSource>,
  pageUrl: string,
  proxyUrl: string,
): ToolCommand {
  const ffmpeg = (inputs: FormatSource[], output: string[]) => ffmpegCommand(inputs, output, proxyUrl);
  const [videoId, audioId] = format.selector.split("+");
  if (format.derived === "best" && sources[videoId] && sources[audioId]) {
    const container = format.ext === "mp4" ? FRAGMENTED_MP4 : ["-f", "matroska"];
    return ffmpeg([sources[videoId], sources[audioId]], ["-map", "0:v:0", "-map", "1:a:0", "-c", "copy", ...container]);
  }
  if (format.derived === "audio" && sources[format.selector]) {
    // Copy AAC as it is; anything else (Opus, Vorbis…) is encoded to AAC for M4A.
    const sourceCodec = formats.find((f) => f.id === format.selector)?.acodec ?? "";
    const aac = /^(mp4a|aac)/i.test(sourceCodec);
    const codec = aac ? ["-c:a", "copy"] : ["-c:a", "aac", "-b:a", "192k"];
    const output = aac ? FRAGMENTED_MP4 : FRAGMENTED_MP4.slice(2);
    return ffmpeg([sources[format.selector]], ["-map", "0:a:0", "-vn", ...codec, ...output]);
  }
  if (format.protocol.startsWith("m3u8") && sources[format.id]) {
    return ffmpeg([sources[format.id]], ["-map", "0:v?", "-map", "0:a?", "-c", "copy", ...FRAGMENTED_MP4]);
  }
  return {
    command: ytDlpCommand(),
    args: [
      "--ignore-config",
      "--no-warnings",
      "--no-playlist",
      "--quiet",
      "--no-part",
      "--proxy",
      proxyUrl,
      "--socket-timeout",
      String(config.STREAM_STALL_SECONDS),
      "-f",
      format.selector,
      "-o",
      "-",
      "--",
      pageUrl,
    ],
  };
}

function stopChild(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  setTimeout(() => child.kill("SIGKILL"), 2_000).unref();
}

/**
 * The pipe path: the child writes to stdout, never a file. Its output goes
 * out only once its first bytes exist (a child that fails at once gets a 502
 * JSON answer instead of a broken download), and the end of the body waits
 * for its exit code: a child that fails midway aborts the connection, so the
 * client never sees a short file that looks complete.
 */
export async function openPipe(
  format: MediaFormat,
  formats: MediaFormat[],
  sources: Record<string, FormatSource>,
  pageUrl: string,
  signal: AbortSignal,
): Promise<Upstream> {
  return openTool((proxyUrl) => pipeCommand(format, formats, sources, pageUrl, proxyUrl), { signal, estimate: format.filesize });
}

/** A tool's last words, without the URLs it names (signed media URLs are credentials: never logged, never shown). */
export const lastLineOf = (stderr: string) =>
  (stderr.trim().split("\n").pop() ?? "").replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, (url) => (url.endsWith(":") ? "<url>:" : "<url>"));

/** A tool's stdout as a download, run with the egress proxy's address. */
export async function openTool(
  build: (proxyUrl: string) => ToolCommand,
  { signal, estimate = null }: { signal: AbortSignal; estimate?: number | null },
): Promise<Upstream> {
  const { proxyUrl, env } = await childEgress();
  const { command, args, prefix } = build(proxyUrl);
  const child = spawnTool(command, args, { env });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const onAbort = () => stopChild(child);
  signal.addEventListener("abort", onAbort, { once: true });
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  // A child that cannot start ends as "close" with no output, answered below as upstream_failed.
  child.once("error", (err) => logger.error({ err, command }, "could not start the pipe's tool"));

  // A source that never starts is given up on, like one that fails.
  const patience = setTimeout(() => stopChild(child), 30_000);
  const first = await Promise.race([
    new Promise<Buffer>((resolve) =>
      child.stdout.once("data", (chunk: Buffer) => {
        child.stdout.pause();
        resolve(chunk);
      }),
    ),
    exited.then(() => null),
  ]);
  clearTimeout(patience);
  if (!first) {
    logger.warn({ command, stderr: lastLineOf(stderr) }, "pipe failed before the first byte");
    throw new AppError("upstream", "upstream_failed", "The video could not be converted for download. Try another format.");
  }

  const body = new PassThrough({ highWaterMark: config.STREAM_BUFFER_SIZE });
  if (prefix) body.write(prefix);
  body.write(first);
  child.stdout.pipe(body, { end: false });
  void exited.then((code) => {
    signal.removeEventListener("abort", onAbort);
    // At -loglevel error, anything on stderr is an error, even when ffmpeg still exits 0.
    if (code === 0 && !(command === config.FFMPEG_PATH && stderr.trim())) body.end();
    else body.destroy(new Error(`${command} exited with ${code}: ${lastLineOf(stderr)}`));
  });
  // The client went away or the token was revoked: stop the child as well.
  body.once("close", () => stopChild(child));
  const headers: Record<string, string> = estimate ? { "x-content-length-estimate": String(estimate) } : {};
  return { status: 200, headers, body, kill: () => stopChild(child) };
}
