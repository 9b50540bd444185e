/**
 * Remix v2, classic compiler (the design card fixes it).
 * Every v3 future flag the classic compiler supports is on; `v3_routeConfig`
 * exists only for the Vite plugin (see docs/decisions/002-layout-and-stack.md).
 * @type {import('@remix-run/dev').AppConfig}
 */
export default {
  // The custom server is compiled with the app into build/index.js: one copy of every module.
  server: "server/index.ts",
  ignoredRouteFiles: ["**/.*", "**/*.test.{ts,tsx}"],
  serverModuleFormat: "esm",
  tailwind: true,
  postcss: false,
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    v3_singleFetch: true,
    v3_lazyRouteDiscovery: true,
  },
};
