import { spawn, type ChildProcessByStdio, type SpawnOptions } from "node:child_process";
import { existsSync } from "node:fs";
import type { Readable, Writable } from "node:stream";

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

/**
 * Starts a child tool (yt-dlp, ffmpeg, ffprobe) that dies with this process:
 * under util-linux `setpriv --pdeathsig KILL`, which execs the tool itself
 * (same pid), so a worker or web process killed outright leaves no tool
 * running on. Without setpriv (not Linux) the tool starts directly.
 */
export function spawnTool(command: string, args: string[], options: Omit<SpawnOptions, "stdio"> = {}): ChildProcessByStdio<null, Readable, Readable> {
  const [file, argv] = underSetpriv(command, args);
  return spawn(file, argv, { ...options, env: toolEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
}

/** The same, with a pipe to the tool's stdin (a tool that waits to be told what to do). */
export function spawnToolWithInput(
  command: string,
  args: string[],
  options: Omit<SpawnOptions, "stdio"> = {},
): ChildProcessByStdio<Writable, Readable, Readable> {
  const [file, argv] = underSetpriv(command, args);
  return spawn(file, argv, { ...options, env: toolEnv(options.env), stdio: ["pipe", "pipe", "pipe"] });
}

/**
 * The web and worker processes run with fixed glibc malloc thresholds for
 * their stream buffers (scripts/lib/malloc.ts); the tools keep glibc's own
 * adaptive ones, which suit ffmpeg's large frames better.
 */
function toolEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (!env.GLIBC_TUNABLES) return env;
  const { GLIBC_TUNABLES: _forNode, ...rest } = env;
  return rest;
}

function underSetpriv(command: string, args: string[]): [string, string[]] {
  return SETPRIV ? [SETPRIV, ["--pdeathsig", "KILL", "--", command, ...args]] : [command, args];
}
