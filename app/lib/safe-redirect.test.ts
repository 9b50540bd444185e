import { describe, expect, it } from "vitest";
import { safeRedirect } from "./safe-redirect";

describe("safeRedirect", () => {
  it.each([
    ["/account", "/account"],
    ["/analyze/abc?x=1#y", "/analyze/abc?x=1#y"],
    ["  /tokens ", "/tokens"],
  ])("keeps the same-origin path %s", (input, expected) => {
    expect(safeRedirect(input)).toBe(expected);
  });

  it.each([
    ["//evil.example/path"],
    ["/\\evil.example"],
    ["https://evil.example/"],
    ["javascript:alert(1)"],
    ["account"],
    ["/ok\r\nSet-Cookie: x=y"],
    [""],
    [null],
    [undefined],
  ])("falls back to / for %j", (input) => {
    expect(safeRedirect(input)).toBe("/");
  });

  it("uses the given fallback", () => {
    expect(safeRedirect("//x", "/login")).toBe("/login");
  });
});
