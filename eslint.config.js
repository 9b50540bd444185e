// ESLint 9 flat config: type-aware typescript-eslint, React, hooks, a11y,
// import cycles, and the client/server module boundary. Prettier owns layout
// (eslint-config-prettier, last, turns off every rule that would fight it).
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import prettier from "eslint-config-prettier/flat";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import { importX } from "eslint-plugin-import-x";
import jsxA11y from "eslint-plugin-jsx-a11y";
import react from "eslint-plugin-react";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const tsFiles = ["{app,server,workers,scripts,tests,bench}/**/*.{ts,tsx}", "*.ts"];

// `.server` modules (and `.server/` folders) hold secrets and Node-only code;
// under the classic compiler, one imported from browser code silently becomes
// an empty module. Route modules may import them (loaders/actions are stripped).
const serverModulePatterns = ["**/*.server", "**/*.server.ts", "**/*.server.tsx", "**/*.server.js", "~/**/*.server", "**/.server/**", "~/**/.server/**"];

export default defineConfig(
  {
    ignores: ["build/", "public/build/", "node_modules/", ".cache/", ".data/", "drizzle/", "test-results/"],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },

  js.configs.recommended,
  {
    rules: {
      "no-empty": ["error", { allowEmptyCatch: false }],
    },
  },

  // TypeScript, type-aware.
  {
    files: tsFiles,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      // Remix loaders and actions `throw redirect(...)` / `throw new Response(...)` by design.
      "@typescript-eslint/only-throw-error": [
        "error",
        {
          allow: [
            { from: "lib", name: "Response" },
            { from: "package", package: "@remix-run/server-runtime", name: "TypedResponse" },
          ],
        },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }],
    },
  },

  // React: app/ is the only place with JSX.
  {
    files: ["app/**/*.{ts,tsx}"],
    ...react.configs.flat.recommended,
    ...react.configs.flat["jsx-runtime"],
    plugins: { react, "react-hooks": reactHooks, "jsx-a11y": jsxA11y },
    languageOptions: {
      ...react.configs.flat.recommended.languageOptions,
      globals: { ...globals.browser, ...globals.node },
    },
    settings: { react: { version: "detect" } },
    rules: {
      ...react.configs.flat.recommended.rules,
      ...react.configs.flat["jsx-runtime"].rules,
      ...reactHooks.configs.recommended.rules,
      ...jsxA11y.flatConfigs.recommended.rules,
      // Props are typed with TypeScript.
      "react/prop-types": "off",
      // React ignores what an event handler returns, so `onClick={async () => …}` is fine here;
      // promises passed where Node expects a void callback are still reported.
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
    },
  },

  // Import cycles, with `~/…` resolved through tsconfig paths.
  {
    files: tsFiles,
    plugins: { "import-x": importX },
    settings: {
      // Without these, import-x only follows `.js` files and sees no cycle through TS modules.
      "import-x/extensions": [".ts", ".tsx", ".js", ".cjs"],
      "import-x/external-module-folders": ["node_modules", "node_modules/@types"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".tsx"] },
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json", alwaysTryTypes: true })],
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
    },
  },

  // Routes and the process entries reach capabilities through their faces only (ADR 007).
  {
    files: ["app/routes/**/*.{ts,tsx}", "app/root.tsx", "app/entry.server.tsx", "server/**/*.ts", "workers/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["~/*/*.server", "!~/*/index.server", "!~/db/*.server", "!~/platform/process.server", "~/*/tables"],
              message: "Import the capability's face (~/<capability>/index.server), not its inner modules.",
            },
          ],
        },
      ],
    },
  },

  // Tests read JSON bodies and untyped socket events: their loosely typed data is checked by assertions.
  {
    files: ["tests/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
    },
  },

  // Client-safe code must not import `.server` modules.
  {
    files: ["app/components/**/*.{ts,tsx}", "app/hooks/**/*.{ts,tsx}", "app/lib/**/*.{ts,tsx}", "app/entry.client.tsx"],
    ignores: ["**/*.test.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: serverModulePatterns,
              message: "Client-safe code (components, hooks, lib, entry.client) must not import .server modules; pass the data through a loader.",
            },
          ],
        },
      ],
    },
  },

  // Plain JS config files and the Artillery processor (CommonJS).
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { ...globals.node } },
  },
  // The service worker runs in the browser's worker scope.
  {
    files: ["public/sw.js"],
    languageOptions: { globals: { ...globals.serviceworker } },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { ...globals.node } },
  },

  prettier,
);
