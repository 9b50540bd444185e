import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { en } from "./en";
import { catalogues, errorMessage, isMessageKey, LOCALES, negotiateLocale, translate, translator } from "./index";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("the message catalogues", () => {
  it.each(LOCALES)("%s has every key, each a non-empty string", (locale) => {
    const catalogue = catalogues[locale];
    expect(Object.keys(catalogue).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(catalogue)) expect(text.trim(), key).not.toBe("");
  });

  it("fills the same placeholders in both languages", () => {
    for (const key of Object.keys(en) as Array<keyof typeof en>) {
      expect(placeholders(catalogues.vi[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it("really is translated: Vietnamese differs from English except for names and codes", () => {
    const same = (Object.keys(en) as Array<keyof typeof en>).filter((key) => catalogues.vi[key] === en[key]);
    // Brand, protocol words and technical labels that read the same in Vietnamese.
    expect(same.length).toBeLessThan(Object.keys(en).length * 0.08);
  });
});

/** Every `t("…")` in the UI names a key that exists; `t(`prefix.${x}`)` a prefix that does. */
describe("keys used in the code", () => {
  const appDir = path.resolve(import.meta.dirname, "../..");
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) return files(full);
      return /\.tsx?$/.test(name) && !name.endsWith(".test.ts") ? [full] : [];
    });
  const sources = files(appDir).map((file) => ({ file: path.relative(appDir, file), text: readFileSync(file, "utf8") }));

  it("finds the translated sources", () => {
    expect(sources.filter((s) => /\bt\("/.test(s.text)).length).toBeGreaterThan(10);
  });

  it("names only keys the catalogue has", () => {
    const missing = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/\bt\("([^"]+)"/g)]
        .map((m) => m[1])
        .filter((key) => !isMessageKey(key))
        .map((key) => `${file}: ${key}`),
    );
    expect(missing).toEqual([]);
  });

  it("has no key nothing uses (keys built at run time come from the prefixes the code names)", () => {
    const code = sources
      .filter((s) => !s.file.startsWith("lib/i18n/") || s.file === "lib/i18n/index.ts")
      .map((s) => s.text)
      .join("\n");
    const prefixes = [...code.matchAll(/\bt\(`([\w.]+)\$\{/g)].map((m) => m[1]).concat(["error."]);
    const unused = Object.keys(en).filter((key) => !code.includes(`"${key}"`) && !prefixes.some((p) => key.startsWith(p)));
    expect(unused).toEqual([]);
  });

  it("words every error code the services and the download manager produce", () => {
    const code = sources.map((s) => s.text).join("\n");
    const codes = new Set([
      ...[...code.matchAll(/(?:AppError\("\w+"|UnavailableError\(), "(\w+)"/g)].map((m) => m[1]),
      ...[...code.matchAll(/AnalysisError\("(\w+)"/g)].map((m) => m[1]),
      ...[...code.matchAll(/\bcode: "(\w+)"/g)].map((m) => m[1]),
      ...[...code.matchAll(/fail\("(\w+)"/g)].map((m) => m[1]),
    ]);
    expect(codes.size).toBeGreaterThan(30);
    const unworded = [...codes].filter((c) => !isMessageKey(`error.${c}`) && c !== "forbidden");
    expect(unworded).toEqual([]);
  });

  it("builds keys only from prefixes the catalogue has", () => {
    const prefixes = sources.flatMap(({ text }) => [...text.matchAll(/\bt\(`([\w.]+)\$\{/g)].map((m) => m[1]));
    expect(prefixes.length).toBeGreaterThan(0);
    for (const prefix of prefixes)
      expect(
        Object.keys(en).some((key) => key.startsWith(prefix)),
        prefix,
      ).toBe(true);
  });
});

describe("translate", () => {
  it("fills placeholders, formatting numbers for the language", () => {
    expect(translate("en", "account.quotaValue", { used: 1200, limit: 5000, left: 3800 })).toBe("1,200 of 5,000 used · 3,800 left");
    expect(translate("vi", "account.quotaValue", { used: 1200, limit: 5000, left: 3800 })).toBe("Đã dùng 1.200 trên 5.000 · còn 3.800");
  });

  it("passes text that is not a key through unchanged", () => {
    expect(translate("vi", "Tải video nhanh – thử nghiệm")).toBe("Tải video nhanh – thử nghiệm");
  });

  it("words error codes, falling back to the server's sentence", () => {
    const t = translator("vi");
    expect(errorMessage(t, { code: "no_video", message: "No video." })).toBe("Không tìm thấy video nào ở địa chỉ này.");
    expect(errorMessage(t, { code: "forbidden", message: "x" })).toBe(catalogues.vi["error.forbidden_page"]);
    expect(errorMessage(t, { code: "something_new", message: "A new failure." })).toBe("A new failure.");
  });
});

describe("negotiateLocale", () => {
  it.each([
    ["vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "vi"],
    ["en-US,en;q=0.9,vi;q=0.8", "en"],
    ["fr-FR,fr;q=0.9,vi;q=0.5", "vi"],
    ["de-DE", "en"],
    ["en;q=0.2, vi;q=0.9", "vi"],
    ["vi;q=0", "en"],
    ["", "en"],
  ])("%j → %s", (header, locale) => {
    expect(negotiateLocale(header)).toBe(locale);
  });
});
