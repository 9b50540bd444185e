/**
 * `npm run build`: everything production runs, as plain JavaScript.
 *  - build/index.js: the web process — the Remix compiler bundles server/
 *    together with the app (remix.config.js `server`), one copy of each module;
 *  - build/worker.js: the worker process (esbuild, same app modules);
 *  - build/run.js: the supervisor behind `npm start`;
 *  - build/ytdlp-update.js: `npm run ytdlp:update` (the image runs it at build time).
 * Packages stay in node_modules (imported, not bundled). `--if-stale` skips
 * the build when no source is newer than the last one.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const stamp = path.join(root, "build", ".built");
const SOURCES = ["app", "server", "workers", "scripts", "remix.config.js", "tailwind.config.ts", "tsconfig.json", "package-lock.json"];

function newestChange(entry) {
  const full = path.join(root, entry);
  if (!existsSync(full)) return 0;
  const stat = statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(full).map((name) => newestChange(path.join(entry, name))));
}

if (process.argv.includes("--if-stale") && existsSync(stamp) && statSync(stamp).mtimeMs >= Math.max(...SOURCES.map(newestChange))) {
  console.log("[build] up to date");
  process.exit(0);
}

execFileSync(path.join(root, "node_modules/.bin/remix"), ["build"], { cwd: root, stdio: "inherit" });

/** Bare imports (packages, node: builtins) stay imports; `~/…` is the app, bundled. */
const packagesExternal = {
  name: "packages-external",
  setup(builder) {
    builder.onResolve({ filter: /^[^./~]/ }, (args) => ({ path: args.path, external: true }));
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  plugins: [packagesExternal],
  sourcemap: true,
  logLevel: "warning",
};
await build({ ...common, entryPoints: ["workers/index.ts"], outfile: "build/worker.js" });
await build({ ...common, entryPoints: ["scripts/run.ts"], outfile: "build/run.js" });
await build({ ...common, entryPoints: ["scripts/ytdlp-update.ts"], outfile: "build/ytdlp-update.js" });
writeFileSync(stamp, new Date().toISOString());
console.log("[build] build/index.js (web), build/worker.js, build/run.js, build/ytdlp-update.js");
