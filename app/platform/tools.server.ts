import { spawn, type ChildProcessByStdio, type SpawnOptions } from "node:child_process";
import { existsSync } from "node:fs";
import type { Readable } from "node:stream";

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

/**
 * Starts a child tool (yt-dlp, ffmpeg, ffprobe) that dies with this process:
 * under util-linux `setpriv --pdeathsig KILL`, which execs the tool itself
 * (same pid), so a worker or web process killed outright leaves no tool
 * running on. Without setpriv (not Linux) the tool starts directly.
 */
export function spawnTool(command: string, args: string[], options: Omit<SpawnOptions, "stdio"> = {}): ChildProcessByStdio<null, Readable, Readable> {
  const [file, argv] = SETPRIV ? [SETPRIV, ["--pdeathsig", "KILL", "--", command, ...args]] : [command, args];
  return spawn(file, argv, { ...options, stdio: ["ignore", "pipe", "pipe"] });
}
