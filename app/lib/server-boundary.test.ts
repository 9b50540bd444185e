import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Under the classic compiler, a `.server` module imported from browser code
 * silently becomes an empty module. Code that ships to the browser —
 * components, hooks, lib and the client entry — must never import one.
 * (Route modules may: the compiler strips their loaders and actions.)
 */
const appDir = path.resolve(import.meta.dirname, "..");
const clientRoots = ["components", "hooks", "lib", "entry.client.tsx"].map((p) => path.join(appDir, p));

function sourceFiles(entry: string): string[] {
  let stat;
  try {
    stat = statSync(entry);
  } catch {
    return [];
  }
  if (stat.isFile()) return /\.tsx?$/.test(entry) && !/\.test\.tsx?$/.test(entry) ? [entry] : [];
  return readdirSync(entry).flatMap((name) => sourceFiles(path.join(entry, name)));
}

describe("the client/server boundary", () => {
  const files = clientRoots.flatMap(sourceFiles);

  it("finds the client-side sources", () => {
    expect(files.length).toBeGreaterThan(3);
  });

  it.each(files.map((f) => [path.relative(appDir, f), f]))("%s imports no .server module", (_name, file) => {
    const imports = [...readFileSync(file, "utf8").matchAll(/from\s+["']([^"']+)["']/g)].map((m) => m[1]);
    expect(imports.filter((spec) => /\.server(\.tsx?)?$/.test(spec))).toEqual([]);
  });
});
