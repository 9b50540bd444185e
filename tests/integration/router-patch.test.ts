/**
 * Our patch to @remix-run/router (patches/, docs/decisions/019): a server's route matches are
 * cached. Cached or not, every pathname must match exactly as the unpatched matchRoutes does,
 * and what one caller does to its matches must never reach the next.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

type Route = { id: string; path?: string; index?: boolean; caseSensitive?: boolean; children?: Route[] };
type Match = { route: Route; params: Record<string, string | undefined>; pathname: string; pathnameBase: string };
type Router = {
  matchRoutes: (routes: Route[], location: string | { pathname: string }, basename?: string) => Match[] | null;
  UNSAFE_matchStaticRoutes?: (routes: Route[], location: string | { pathname: string }, basename?: string) => Match[] | null;
};

// The CommonJS build is the one the server loads (server-runtime requires it).
const router = createRequire(import.meta.url)("@remix-run/router") as Router;

/** A tree shaped like the app's: layouts, an index, dynamic, optional and splat segments, .data-like names. */
const routes: Route[] = [
  {
    id: "root",
    path: "",
    children: [
      { id: "index", index: true },
      { id: "login", path: "login" },
      { id: "analyze", path: "analyze/:requestId" },
      { id: "stream", path: "api/streaming/stream/:token/:name?" },
      { id: "token", path: "api/streaming/token" },
      { id: "token-one", path: "api/streaming/token/:token" },
      { id: "refresh", path: "api/streaming/token/:token/refresh" },
      {
        id: "admin",
        path: "admin",
        children: [
          { id: "admin-index", index: true },
          { id: "admin-user", path: "users/:userId" },
        ],
      },
      { id: "Case", path: "Exact", caseSensitive: true },
      { id: "splat", path: "*" },
    ],
  },
];

const paths = [
  "/",
  "/login",
  "/login/",
  "/LOGIN",
  "/analyze/3b241101-e2bb-4255-8caf-4136c566a962",
  "/analyze/3b241101-e2bb-4255-8caf-4136c566a962.data",
  "/analyze/a%20b",
  "/api/streaming/stream/abc.def",
  "/api/streaming/stream/abc.def/T%E1%BA%A3i%20video.mp4",
  "/api/streaming/token",
  "/api/streaming/token/xyz",
  "/api/streaming/token/xyz/refresh",
  "/admin",
  "/admin/users/42",
  "/Exact",
  "/exact",
  "/no/such/page",
  "//double//slashes",
];

const shape = (matches: Match[] | null) => matches?.map((m) => ({ id: m.route.id, params: m.params, pathname: m.pathname, base: m.pathnameBase })) ?? null;

describe("the route-matching patch", () => {
  it("is applied (npm ci runs patch-package)", () => {
    expect(typeof router.UNSAFE_matchStaticRoutes).toBe("function");
  });

  it("matches every pathname as matchRoutes does, first time and cached, with and without a basename", () => {
    const cached = router.UNSAFE_matchStaticRoutes!;
    for (const basename of [undefined, "/app"]) {
      for (const path of paths) {
        const pathname = basename && path !== "/" ? `${basename}${path}` : path;
        const expected = shape(router.matchRoutes(routes, pathname, basename));
        expect(shape(cached(routes, pathname, basename)), `${basename ?? ""} ${pathname}`).toEqual(expected);
        expect(shape(cached(routes, { pathname }, basename)), `cached ${pathname}`).toEqual(expected);
      }
    }
  });

  it("hands out copies: a caller changing its params or matches changes nothing for the next", () => {
    const cached = router.UNSAFE_matchStaticRoutes!;
    const first = cached(routes, "/admin/users/7")!;
    first[first.length - 1].params.userId = "changed";
    first.pop();
    const again = cached(routes, "/admin/users/7")!;
    expect(again.map((m) => m.route.id)).toEqual(["root", "admin", "admin-user"]);
    expect(again[2].params.userId).toBe("7");
  });

  it("stays right past its bound of remembered pathnames", () => {
    const cached = router.UNSAFE_matchStaticRoutes!;
    for (let i = 0; i < 600; i++) {
      const pathname = `/analyze/id-${i}`;
      expect(cached(routes, pathname)![1].params.requestId).toBe(`id-${i}`);
    }
    expect(cached(routes, "/analyze/id-0")![1].params.requestId).toBe("id-0");
  });
});
