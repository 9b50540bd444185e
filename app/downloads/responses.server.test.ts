import { describe, expect, it } from "vitest";
import { downloadFileName } from "~/lib/file-name";
import { AppError } from "~/platform/errors";
import { dispositionFor, refusedDownload } from "./responses.server";

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

describe("refusedDownload", () => {
  const expired = new AppError("gone", "token_expired", "This download link has expired.");
  const tab = (language: string) => new Request("http://app.test/api/streaming/stream/x", { headers: { Accept: "text/html", "Accept-Language": language } });

  it("explains a refusal to a browser tab in its language", async () => {
    const vi = await refusedDownload(tab("vi-VN,vi;q=0.9"), expired);
    const page = await vi.text();
    expect(vi.status).toBe(410);
    expect(page).toContain('<html lang="vi">');
    expect(page).toContain("Không tải được");
    expect(page).not.toContain("Download unavailable");
    expect(await (await refusedDownload(tab("en"), expired)).text()).toContain("Download unavailable");
  });

  it("gives tools the code in headers and no body", async () => {
    const response = await refusedDownload(new Request("http://app.test/x", { headers: { Accept: "*/*" } }), expired);
    expect(response.headers.get("X-Error-Code")).toBe("token_expired");
    expect(await response.text()).toBe("");
  });
});
