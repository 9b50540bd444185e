import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = { "~": path.resolve(import.meta.dirname, "app") };

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["app/**/*.test.{ts,tsx}"],
          // Pure functions only; config still parses at import, so give it a (never used) database URL.
          env: { DATABASE_URL: "postgres://unit@127.0.0.1:1/unit", NODE_ENV: "test", LOG_LEVEL: "silent" },
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["tests/**/*.test.ts"],
          globalSetup: ["tests/support/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: files run one after another, each test file may start app processes of its own.
          fileParallelism: false,
        },
      },
    ],
  },
});
