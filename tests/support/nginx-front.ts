/** scripts/nginx-front.sh for tests and benchmarks: Debian's nginx in front of a running app, in a directory of its own. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { getFreePort } from "../../scripts/lib/services";

const run = promisify(execFile);

export type NginxFront = { baseUrl: string; errorLog: () => string; stop: () => Promise<void> };

export async function startNginxFront(appBaseUrl: string): Promise<NginxFront> {
  const port = await getFreePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "tvn-nginx-front-"));
  const env = { ...process.env, TVN_NGINX_DIR: dir };
  await run("bash", ["scripts/nginx-front.sh", "start", String(port), appBaseUrl], { env });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    errorLog: () => readFileSync(path.join(dir, "error.log"), "utf8"),
    stop: async () => {
      await run("bash", ["scripts/nginx-front.sh", "stop", String(port)], { env });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
