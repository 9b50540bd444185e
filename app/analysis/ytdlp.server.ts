import type { ChildProcessByStdio } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import type { Socket } from "node:net";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { config } from "~/config.server";
import { isMediaExtension, type YtDlpFormat, type YtDlpInfo } from "~/lib/formats";
import { childEgress, ffmpegInputOptions } from "~/egress/index.server";
import { logger, spawnTool, spawnToolWithInput } from "~/platform/index.server";
import { ytDlpCommand } from "./ytdlp-binary.server";

/** A failure users can be told about; `retryable` decides whether BullMQ tries again. */
export class AnalysisError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "AnalysisError";
  }
}

type Classified = { code: string; message: string; retryable: boolean };

const STDERR_RULES: Array<[RegExp, Classified]> = [
  [/Blocked by egress policy/i, { code: "blocked_address", message: "This address points into a private network and cannot be fetched.", retryable: false }],
  [/Unsupported URL|No video formats found|no suitable formats/i, { code: "no_video", message: "No video was found at this address.", retryable: false }],
  [/HTTP Error 404/i, { code: "not_found", message: "The page was not found (HTTP 404). Check the address.", retryable: false }],
  [/HTTP Error 410/i, { code: "not_found", message: "The page is gone (HTTP 410).", retryable: false }],
  [/HTTP Error 40[13]/i, { code: "forbidden", message: "The site refused access to this page (it may be private or need a login).", retryable: false }],
  [/HTTP Error 429/i, { code: "upstream_rate_limited", message: "The site is limiting requests right now. Try again in a few minutes.", retryable: true }],
  [/HTTP Error 5\d\d/i, { code: "upstream_error", message: "The site had a server error. Try again shortly.", retryable: true }],
  [
    /private video|video is private|members-only|sign in to confirm|login required/i,
    { code: "forbidden", message: "This video is private or needs a login.", retryable: false },
  ],
  [
    /video unavailable|has been removed|no longer available|account .* terminated/i,
    { code: "unavailable", message: "This video is unavailable or was removed.", retryable: false },
  ],
  [/DRM/i, { code: "drm", message: "This video is protected by DRM and cannot be downloaded.", retryable: false }],
  [/timed out|Read timed out|timeout/i, { code: "timeout", message: "The site took too long to answer.", retryable: true }],
  [
    /Name or service not known|getaddrinfo|nodename nor servname|Temporary failure in name resolution/i,
    { code: "unresolvable_host", message: "The site's address could not be found.", retryable: true },
  ],
  [
    /Connection refused|Connection reset|Network is unreachable|Unable to download webpage/i,
    { code: "network", message: "The site could not be reached.", retryable: true },
  ],
];

/** Maps yt-dlp's last ERROR line to a code, a message for people, and whether to retry. */
export function classifyYtDlpError(stderr: string): AnalysisError {
  const errorLine =
    stderr
      .split("\n")
      .reverse()
      .find((line) => line.startsWith("ERROR:")) ??
    stderr.trim().split("\n").pop() ??
    "";
  const rule = STDERR_RULES.find(([pattern]) => pattern.test(errorLine));
  if (rule) return new AnalysisError(rule[1].code, rule[1].message, rule[1].retryable);
  return new AnalysisError("extractor_error", "The video page could not be analysed.", true);
}

type RunOptions = {
  signal?: AbortSignal;
  timeoutMs: number;
  stdoutLimit?: number;
  env?: NodeJS.ProcessEnv;
  /** A child already started (a standby yt-dlp) instead of spawning `command`. */
  child?: ChildProcessByStdio<null | Writable, Readable, Readable>;
};

/**
 * Runs a tool with arguments (never a shell), collects stdout/stderr with a
 * size cap, and kills it on timeout or abort: TERM first, KILL 2 s later.
 */
function run(command: string, args: string[], { signal, timeoutMs, stdoutLimit = 64 * 1024 * 1024, env, child: started }: RunOptions) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }>((resolve, reject) => {
    const child = started ?? spawnTool(command, args, { env });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = "";
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), 2_000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const onAbort = () => stop();
    signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > stdoutLimit) return stop();
      out.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-16_384);
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      signal?.removeEventListener("abort", onAbort);
      resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr, timedOut });
    });
  });
}

/**
 * A yt-dlp waiting with its imports done: Python loading yt-dlp is most of
 * a short analysis, so the worker pays it before the job arrives. The
 * standby runs yt-dlp's own script (or release zipapp) with the arguments it
 * reads from stdin — the same program, same output — and the next one starts
 * once that run is over. Only for a yt-dlp that is a Python script or zipapp
 * (Debian's and the releases are); otherwise yt-dlp is spawned.
 */
const STANDBY_SCRIPT = [
  "import json, runpy, sys",
  // A release zipapp carries its own yt_dlp: import that one, not a system copy.
  "sys.path.insert(0, sys.argv[1])",
  "import yt_dlp",
  "from yt_dlp.extractor import gen_extractor_classes",
  "gen_extractor_classes()",
  "line = sys.stdin.readline()",
  "if not line: sys.exit(0)",
  "sys.argv = [sys.argv[1], *json.loads(line)]",
  "runpy.run_path(sys.argv[0], run_name='__main__')",
].join("\n");

let standby: { command: string; script: string; identity: string; child: ChildProcessByStdio<Writable, Readable, Readable> } | null = null;

/** A file's identity: an update installs a new file by rename (a new inode), so a standby of the old one is retired. */
const identityOf = (file: string) =>
  stat(file).then(
    ({ ino, mtimeMs, size }) => `${ino}:${mtimeMs}:${size}`,
    () => null,
  );

/** The Python that runs a yt-dlp command, from its #! line; null for a binary or anything unexpected. */
async function pythonOf(command: string) {
  const candidates = command.includes("/") ? [command] : (process.env.PATH ?? "").split(":").map((dir) => path.join(dir, command));
  for (const script of candidates) {
    const head = await readFile(script).then(
      (bytes) => bytes.subarray(0, 200).toString("latin1").split("\n")[0],
      () => null,
    );
    if (head === null) continue;
    const match = /^#!\s*(\S+)(?:\s+(\S+))?\s*$/.exec(head);
    const python = match && (path.basename(match[1]) === "env" ? match[2] : match[1]);
    return python && /^python3?(\.\d+)?$/.test(path.basename(python)) ? { python, script } : null;
  }
  return null;
}

/** Takes the waiting yt-dlp if it is alive and of this command's current file (a new release replaces it); the caller hands it its arguments. */
async function takeStandby(command: string) {
  const waiting = standby;
  standby = null;
  if (!waiting) return null;
  const { child } = waiting;
  const current = await identityOf(waiting.script);
  if (waiting.command !== command || current !== waiting.identity || child.exitCode !== null || child.signalCode !== null) {
    child.kill("SIGKILL");
    return null;
  }
  for (const pipe of [child.stdin, child.stdout, child.stderr]) (pipe as Partial<Socket>).ref?.();
  return child;
}

/** Starts the next standby, once a run is over: its imports must not compete with the run for the CPU. */
async function startStandby(command: string, env: NodeJS.ProcessEnv) {
  const tool = await pythonOf(command);
  const identity = tool && (await identityOf(tool.script));
  if (!tool || !identity || standby) return;
  const child = spawnToolWithInput(tool.python, ["-c", STANDBY_SCRIPT, tool.script], { env });
  child.on("error", (err) => logger.warn({ err }, "could not start a standby yt-dlp"));
  // Idle, it must not keep the worker alive; setpriv's pdeathsig ends it with the worker.
  child.unref();
  for (const pipe of [child.stdin, child.stdout, child.stderr]) (pipe as Partial<Socket>).unref?.();
  standby = { command, script: tool.script, identity, child };
}

/**
 * `yt-dlp -J` for one URL: no config files, bounded in time. A URL that is
 * both a video and a playlist means the video (`--no-playlist`); a playlist
 * is listed flat (titles and URLs, each entry resolved when downloaded).
 * `warm`: run it in the standby yt-dlp (the worker), and keep one ready.
 */
export async function fetchVideoInfo(
  url: string,
  { signal, timeoutSeconds = config.ANALYSIS_TIMEOUT_SECONDS, warm = false }: { signal?: AbortSignal; timeoutSeconds?: number; warm?: boolean } = {},
): Promise<YtDlpInfo> {
  const socketTimeout = Math.min(20, timeoutSeconds);
  // yt-dlp has no network of its own: every request goes through the egress proxy.
  const { proxyUrl, env } = await childEgress();
  const args = [
    "-J",
    "--ignore-config",
    "--no-warnings",
    "--no-playlist",
    "--flat-playlist",
    "--no-progress",
    "--proxy",
    proxyUrl,
    "--socket-timeout",
    String(socketTimeout),
    "--",
    url,
  ];
  const command = ytDlpCommand();
  let result;
  try {
    const child = warm ? await takeStandby(command) : null;
    // A standby that died meanwhile fails the write; its exit then fails the run like any yt-dlp's.
    child?.stdin.on("error", (err) => logger.warn({ err }, "the standby yt-dlp was gone"));
    child?.stdin.end(`${JSON.stringify(args)}\n`);
    result = await run(command, args, { signal, timeoutMs: timeoutSeconds * 1000, env, child: child ?? undefined });
  } catch (err) {
    // run() rejects only when the tool cannot be started at all.
    logger.error({ err, command }, "could not start yt-dlp");
    throw new AnalysisError("tool_missing", "The analyser (yt-dlp) is not installed on the server.", false, { cause: err });
  } finally {
    if (warm) void startStandby(command, env);
  }
  if (signal?.aborted) throw new AnalysisError("cancelled", "The analysis was cancelled.", true);
  if (result.timedOut) throw new AnalysisError("timeout", `The site did not answer within ${timeoutSeconds} seconds.`, true);
  if (result.code !== 0) throw classifyYtDlpError(result.stderr);
  let info: YtDlpInfo | null;
  try {
    info = JSON.parse(result.stdout) as YtDlpInfo | null;
  } catch (err) {
    throw new AnalysisError("extractor_error", "The analyser returned something unreadable.", true, { cause: err });
  }
  if (!info) throw classifyYtDlpError(result.stderr);
  return info;
}

type ProbeStream = { codec_type?: string; codec_name?: string; width?: number; height?: number; avg_frame_rate?: string };
export type ProbeOutput = { streams?: ProbeStream[]; format?: { duration?: string; size?: string; bit_rate?: string; probe_score?: number } };

/**
 * ffprobe guesses at anything: a long text file reads as AMR-WB audio with a
 * score of 26. Below the score a file extension alone gives (50), a file
 * whose name says nothing of media is taken for what it is: not media.
 */
const CONFIDENT_PROBE_SCORE = 50;

/** ffprobe's JSON, or null (logged) when it printed something else: the format just stays unprobed. */
function parseProbe(stdout: string): ProbeOutput | null {
  try {
    return JSON.parse(stdout) as ProbeOutput;
  } catch (err) {
    logger.warn({ err }, "ffprobe printed unreadable JSON");
    return null;
  }
}

/** "Video" streams that are a picture (cover art) or text rendered as pictures: not a video. */
const STILL_OR_TEXT_CODECS = new Set(["mjpeg", "png", "bmp", "gif", "webp", "ansi", "bintext", "xbin", "idf", "tty"]);

function frameRate(rate: string | undefined) {
  const [num, den] = (rate ?? "").split("/").map(Number);
  return num && den ? Math.round((num / den) * 100) / 100 : null;
}

/** ffprobe of one URL (through the egress proxy), a few seconds at most; null when it tells nothing. */
export async function probeMedia(url: string, httpHeaders: Record<string, string>, { signal }: { signal?: AbortSignal } = {}): Promise<ProbeOutput | null> {
  const { proxyUrl, env } = await childEgress();
  const args = [
    "-v",
    "error",
    "-show_streams",
    "-show_format",
    "-of",
    "json",
    ...ffmpegInputOptions({ proxyUrl, headers: httpHeaders, readTimeoutSeconds: 5 }),
  ];
  args.push("-i", url);
  const probe = await run(config.FFPROBE_PATH, args, { signal, timeoutMs: 8_000, stdoutLimit: 1024 * 1024, env }).catch((err: unknown) => {
    logger.warn({ err }, "could not start ffprobe");
    return null;
  });
  if (!probe || probe.code !== 0) return null;
  return parseProbe(probe.stdout);
}

/** A submitted address that names a media file: it can be probed while yt-dlp reads it (no extra wait after). */
export const looksLikeMediaFile = (url: string) => URL.canParse(url) && isMediaExtension(/\.(\w+)$/.exec(new URL(url).pathname)?.[1]);

/**
 * Generic pages tell yt-dlp little (no size, codecs or resolution). For those
 * formats, ffprobe reads the container header of the upstream file — a few
 * kilobytes — so users see real badges and sizes. Bounded: at most six
 * formats, a few seconds each, and failures just leave the fields unknown.
 * `early` holds probes started before yt-dlp answered, by URL; one that told
 * nothing is made again with the format's own headers.
 */
export async function enrichWithProbe(
  info: YtDlpInfo,
  { signal, early = new Map() }: { signal?: AbortSignal; early?: Map<string, Promise<ProbeOutput | null>> } = {},
): Promise<YtDlpInfo> {
  const formats = info.formats?.length ? info.formats : info.url ? [info] : [];
  const needy = formats.filter((f) => f.url && !f.height && f.vcodec !== "none" && !f.acodec).slice(0, 6);
  let duration = info.duration ?? null;
  await Promise.all(
    needy.map(async (format: YtDlpFormat) => {
      const parsed = (await early.get(format.url!)) ?? (await probeMedia(format.url!, format.http_headers ?? {}, { signal }));
      if (!parsed) return;
      if ((parsed.format?.probe_score ?? 0) < CONFIDENT_PROBE_SCORE && !isMediaExtension(format.ext)) {
        format.vcodec = "none";
        format.acodec = "none";
        return;
      }
      const video = parsed.streams?.find((s) => s.codec_type === "video" && !STILL_OR_TEXT_CODECS.has(s.codec_name ?? ""));
      const audio = parsed.streams?.find((s) => s.codec_type === "audio");
      format.vcodec = video?.codec_name ?? "none";
      format.acodec = audio?.codec_name ?? "none";
      if (video) {
        format.width = video.width ?? null;
        format.height = video.height ?? null;
        format.fps = frameRate(video.avg_frame_rate);
      }
      // For a playlist, ffprobe's size and bit rate describe the playlist text, not the media.
      if (!format.protocol?.startsWith("m3u8")) {
        const size = Number(parsed.format?.size);
        if (size > 0) format.filesize = size;
        const bitRate = Number(parsed.format?.bit_rate);
        if (bitRate > 0) format.tbr = Math.round(bitRate / 100) / 10;
      }
      const seconds = Number(parsed.format?.duration);
      if (seconds > 0) duration ??= seconds;
    }),
  );
  return { ...info, duration };
}
