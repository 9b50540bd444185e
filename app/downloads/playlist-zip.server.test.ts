import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { promisify } from "node:util";
import yazl from "yazl";
import { describe, expect, it, vi } from "vitest";
import type { YtDlpInfo } from "~/lib/formats";
import { AppError } from "~/platform/index.server";
import { openPlaylistZip, type EntryReport } from "./playlist-zip.server";

const run = promisify(execFile);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "tvn-zip-unit-"));

/** Each entry URL's file: its bytes, a failure before the first byte, or bytes then a break. */
const files: Record<string, Buffer | "refused" | "breaks"> = {};

vi.mock("~/analysis/index.server", () => ({
  fetchVideoInfo: (url: string): Promise<YtDlpInfo> =>
    Promise.resolve({ id: url, title: url, formats: [{ format_id: "0", url, ext: "mp4", protocol: "http", vcodec: "avc1", acodec: "mp4a" }] }),
}));
vi.mock("./direct.server", () => ({
  openWhole: ({ url }: { url: string }) => {
    const file = files[url];
    if (file === "refused") return Promise.reject(new AppError("upstream", "upstream_failed", "The site answered 404."));
    const body =
      file === "breaks"
        ? new Readable({
            read() {
              this.push(Buffer.alloc(1000, 1));
              this.destroy(new Error("connection reset"));
            },
          })
        : Readable.from([file]);
    return Promise.resolve({ status: 200, headers: {}, body });
  },
}));

async function zipOf(entries: Array<{ title: string; file: Buffer | "refused" | "breaks" }>) {
  const reports: EntryReport[] = [];
  const playlist = entries.map(({ title, file }, i) => {
    const url = `https://media.example/${i + 1}.mp4`;
    files[url] = file;
    return { index: i + 1, title, url };
  });
  const { body } = openPlaylistZip({ entries: playlist, formatId: "best", onEntry: (r) => reports.push(r) });
  const zip = path.join(work, `${Math.random().toString(36).slice(2)}.zip`);
  fs.writeFileSync(zip, await buffer(body));
  return { zip, reports };
}

describe("openPlaylistZip", () => {
  it("stores each entry as it is (no compression, sizes in data descriptors), named from its title, unique and Vietnamese", async () => {
    const one = Buffer.from("first file, any bytes \u0000\u00ff");
    const two = Buffer.alloc(200_000, 7);
    const { zip, reports } = await zipOf([
      { title: "Tập 1: Mở đầu", file: one },
      { title: "Tập 1: Mở đầu", file: two },
    ]);
    await run("unzip", ["-t", zip]);
    const { stdout } = await run("unzip", ["-v", zip]);
    expect(stdout).toMatch(/Stored.*Tập 1 Mở đầu\.mp4/);
    expect(stdout).toMatch(/Stored.*Tập 1 Mở đầu \(2\)\.mp4/);
    expect(stdout).not.toContain("Defl");
    expect((await run("unzip", ["-p", zip, "Tập 1 Mở đầu.mp4"], { encoding: "buffer" })).stdout.equals(one)).toBe(true);
    expect((await run("unzip", ["-p", zip, "Tập 1 Mở đầu (2).mp4"], { encoding: "buffer" })).stdout.equals(two)).toBe(true);
    // General-purpose bit 3: sizes follow the data (written while streaming, unknown in advance).
    const bytes = fs.readFileSync(zip);
    expect(bytes.readUInt32LE(0)).toBe(0x04034b50);
    expect(bytes.readUInt16LE(6) & 0x08).toBe(0x08);
    expect(reports.map((r) => `${r.position}/${r.count} ${r.status}`)).toEqual(["1/2 started", "1/2 done", "2/2 started", "2/2 done"]);
  });

  it("skips an entry that fails before its first byte and lists it in errors.txt", async () => {
    const { zip, reports } = await zipOf([
      { title: "Hỏng", file: "refused" },
      { title: "Tốt", file: Buffer.from("ok") },
    ]);
    await run("unzip", ["-t", zip]);
    const { stdout } = await run("unzip", ["-p", zip, "errors.txt"]);
    expect(stdout).toBe("1. Hỏng: The site answered 404.\n");
    expect((await run("unzip", ["-Z1", zip])).stdout.trim().split("\n")).toEqual(["Tốt.mp4", "errors.txt"]);
    expect(reports.filter((r) => r.index === 1).map((r) => r.status)).toEqual(["started", "failed"]);
  });

  it("aborts the whole ZIP when an entry breaks off midway, never a ZIP that looks complete", async () => {
    await expect(zipOf([{ title: "Đứt", file: "breaks" }])).rejects.toThrow("connection reset");
  });
});

describe("yazl, the ZIP writer", () => {
  it("writes ZIP64 records (what files past 4 GiB need) that unzip accepts, all in memory", async () => {
    const zip = new yazl.ZipFile();
    zip.addReadStream(Readable.from([Buffer.from("x".repeat(1000))]), "big.bin", { compress: false, forceZip64Format: true });
    zip.end({ forceZip64Format: true, comment: "" });
    const bytes = await buffer(zip.outputStream as Readable);
    const file = path.join(work, "zip64.zip");
    fs.writeFileSync(file, bytes);
    await run("unzip", ["-t", file]);
    // The ZIP64 end of central directory record and its locator.
    expect(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true);
    expect(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x07]))).toBe(true);
  });
});
