import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checksumFor, installedYtDlpPath, updateYtDlp } from "./ytdlp-release.server";

const HASH = "a".repeat(64);

describe("checksumFor", () => {
  it("finds the asset's line, in text or binary mode, and nothing for look-alikes", () => {
    const sums = [`${"b".repeat(64)}  yt-dlp.exe`, `${HASH}  yt-dlp`, `${"c".repeat(64)}  yt-dlp_linux`].join("\n");
    expect(checksumFor(sums, "yt-dlp")).toBe(HASH);
    expect(checksumFor(`${HASH.toUpperCase()} *yt-dlp\n`, "yt-dlp")).toBe(HASH);
    expect(checksumFor(`${"b".repeat(64)}  yt-dlp.exe\n`, "yt-dlp")).toBeNull();
    expect(checksumFor("not a sums file", "yt-dlp")).toBeNull();
  });
});

describe("updateYtDlp", () => {
  it("refuses a release URL over plain http to another machine before fetching anything", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "tvn-ytdlp-unit-"));
    try {
      await expect(updateYtDlp({ releaseUrl: "http://example.com/releases", dataDir })).rejects.toMatchObject({ code: "insecure_url" });
      await expect(updateYtDlp({ releaseUrl: "ftp://example.com/releases", dataDir })).rejects.toMatchObject({ code: "insecure_url" });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("installs into the data dir's bin folder", () => {
    expect(installedYtDlpPath("/srv/tvn")).toBe("/srv/tvn/bin/yt-dlp");
  });
});
