/** scripts/nginx-front.sh for tests and benchmarks: Debian's nginx in front of a running app, in a directory of its own. */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { getFreePort } from "../../scripts/lib/services";

const run = promisify(execFile);
const NGINX = existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";

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

/** Debian's nginx serving a directory as it is: the baseline a front that moves files should reach. */
export async function startNginxStatic(root: string): Promise<{ baseUrl: string; stop: () => Promise<void> }> {
  const port = await getFreePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "tvn-nginx-static-"));
  const conf = path.join(dir, "nginx.conf");
  // Run as root, nginx's workers would read as nobody: the fixtures are private to their owner.
  const asOwner = process.getuid?.() === 0 ? "user root;" : "";
  writeFileSync(
    conf,
    `daemon on;
${asOwner}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    types { video/mp4 mp4; video/webm webm; audio/mp4 m4a; }
    sendfile on;
    tcp_nopush on;
    server { listen 127.0.0.1:${port}; root ${root}; }
}
`,
  );
  const args = ["-c", conf, "-p", dir, "-e", path.join(dir, "error.log")];
  await run(NGINX, args);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    stop: async () => {
      await run(NGINX, [...args, "-s", "quit"]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
