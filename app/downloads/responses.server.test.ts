import { describe, expect, it } from "vitest";
import { downloadFileName } from "~/lib/file-name";
import { dispositionFor } from "./responses.server";

/** The filename* parameter, decoded as a browser would. */
const starName = (header: string) => decodeURIComponent(/filename\*=UTF-8''([^;]+)/.exec(header)?.[1] ?? "");
const plainName = (header: string) => /filename="((?:[^"\\]|\\.)*)"/.exec(header)?.[1] ?? "";

describe("dispositionFor", () => {
  const name = downloadFileName("Tải video nhanh – thử nghiệm", "mp4");

  it("gives browsers an attachment with an ASCII fallback and the UTF-8 name in filename*", () => {
    const header = dispositionFor(name, "Mozilla/5.0 (X11; Linux x86_64) Chrome/150");
    expect(header.startsWith("attachment;")).toBe(true);
    expect(starName(header)).toBe(name);
    expect(plainName(header)).toMatch(/^[\x20-\x7e]+\.mp4$/);
  });

  it("gives curl and Wget the UTF-8 bytes in plain filename (they ignore filename*)", () => {
    for (const agent of ["curl/8.5.0", "Wget/1.21.3"]) {
      const header = dispositionFor(name, agent);
      expect(Buffer.from(plainName(header), "latin1").toString("utf8")).toBe(name);
      expect(starName(header)).toBe(name);
    }
  });

  it("keeps quotes and backslashes from breaking out of the parameter", () => {
    const header = dispositionFor('a "quoted" \\ name.mp4', "curl/8.5.0");
    expect(plainName(header)).not.toMatch(/(?<!\\)"/);
    expect(header.split(";").length).toBeLessThanOrEqual(3);
  });
});
