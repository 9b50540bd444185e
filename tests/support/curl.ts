import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * curl as a download client: its exit code (18 = a transfer cut short, 28 =
 * curl's own time limit) and `-w` output, "<HTTP status> <bytes received>"
 * (after any body written to stdout when no -o is given).
 */
export async function curl(args: string[]): Promise<{ exit: number; out: string }> {
  try {
    const { stdout } = await run("curl", ["-s", "-w", "%{http_code} %{size_download}", ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { exit: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { exit: e.code, out: e.stdout };
  }
}
