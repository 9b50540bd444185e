import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { promisify } from "node:util";

/**
 * Installing the newest yt-dlp release: download, verify against the
 * release's SHA2-256SUMS, check it runs, and rename it into place. Free of the
 * app's config so the command-line updater runs without a database (a Docker
 * build, an operator's shell). Its fetch policy, an exception to the egress policy, is
 * recorded in docs/decisions/*-yt-dlp-kept-current.md.
 */

const execFileAsync = promisify(execFile);

export const DEFAULT_YTDLP_RELEASE_URL = "https://github.com/yt-dlp/yt-dlp/releases/latest/download";

/** Where releases are installed, inside the data dir (TVN_DATA_DIR). */
export const installedYtDlpPath = (dataDir: string) => path.join(path.resolve(dataDir), "bin", "yt-dlp");

const MAX_BINARY_BYTES = 64 * 1024 * 1024;
const MAX_SUMS_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 5;
const ASSET = "yt-dlp";

export type YtDlpUpdateErrorCode = "insecure_url" | "download_failed" | "too_large" | "no_checksum" | "checksum_mismatch" | "not_runnable";

export class YtDlpUpdateError extends Error {
  constructor(
    readonly code: YtDlpUpdateErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "YtDlpUpdateError";
  }
}

export type YtDlpUpdateOptions = { releaseUrl: string; dataDir: string; timeoutMs?: number };
export type YtDlpUpdateResult = { path: string; version: string; sha256: string; updated: boolean };

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** https only; plain http only to this machine (a local mirror, the tests' release server). */
function checkReleaseUrl(url: URL) {
  if (url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname))) return;
  throw new YtDlpUpdateError("insecure_url", `refusing to fetch ${url.origin}: releases are fetched over https only`);
}

/** GET with every redirect hop checked against the URL rule, and a declared size over the limit refused up front. */
async function fetchAsset(start: URL, maxBytes: number, signal: AbortSignal): Promise<Response> {
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    checkReleaseUrl(url);
    let response: Response;
    try {
      response = await fetch(url, { redirect: "manual", signal, headers: { "User-Agent": "TaiVideoNhanh-ytdlp-updater" } });
    } catch (err) {
      throw new YtDlpUpdateError("download_failed", `could not fetch ${url.origin}${url.pathname}`, { cause: err });
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url);
      continue;
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new YtDlpUpdateError("download_failed", `${url.origin}${url.pathname} answered ${response.status}`);
    }
    if (Number(response.headers.get("content-length") ?? 0) > maxBytes) {
      await response.body.cancel();
      throw new YtDlpUpdateError("too_large", `${url.pathname} is larger than ${maxBytes} bytes`);
    }
    return response;
  }
  throw new YtDlpUpdateError("download_failed", `more than ${MAX_REDIRECTS} redirects from ${start.origin}`);
}

/** Counts and hashes what passes through, and fails past the size limit (a body that lied about its length). */
function hashingLimit(maxBytes: number, hash: ReturnType<typeof createHash>) {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > maxBytes) return callback(new YtDlpUpdateError("too_large", `the download is larger than ${maxBytes} bytes`));
      hash.update(chunk);
      callback(null, chunk);
    },
  });
}

const bodyOf = (response: Response) => Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);

async function readText(response: Response, maxBytes: number) {
  const chunks: Buffer[] = [];
  await pipeline(bodyOf(response), hashingLimit(maxBytes, createHash("sha256")), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) chunks.push(chunk);
  });
  return Buffer.concat(chunks).toString("utf8");
}

/** The expected hash of one asset from a SHA2-256SUMS file (`<hex>  <name>`, `*<name>` in binary mode). */
export function checksumFor(sums: string, asset: string): string | null {
  for (const line of sums.split("\n")) {
    const match = /^([0-9a-f]{64})\s+\*?(\S+)\s*$/i.exec(line.trim());
    if (match && match[2] === asset) return match[1].toLowerCase();
  }
  return null;
}

async function sha256Of(file: string): Promise<string | null> {
  const hash = createHash("sha256");
  try {
    await pipeline(createReadStream(file), hash);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  return hash.digest("hex");
}

async function versionOf(file: string) {
  try {
    const { stdout } = await execFileAsync(file, ["--version"], { timeout: 30_000 });
    return stdout.trim();
  } catch (err) {
    throw new YtDlpUpdateError("not_runnable", `the downloaded yt-dlp does not run (${file} --version failed)`, { cause: err });
  }
}

/**
 * Installs the newest release into `<dataDir>/bin/yt-dlp` unless that is
 * installed already. The new file is written next to the old one, verified,
 * made executable and renamed over it, so a running spawn sees either the old
 * or the new binary, never half of one; on any failure the old one stays.
 */
export async function updateYtDlp({ releaseUrl, dataDir, timeoutMs = 300_000 }: YtDlpUpdateOptions): Promise<YtDlpUpdateResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  const base = new URL(releaseUrl.endsWith("/") ? releaseUrl : `${releaseUrl}/`);
  const target = installedYtDlpPath(dataDir);

  const sums = await readText(await fetchAsset(new URL("SHA2-256SUMS", base), MAX_SUMS_BYTES, signal), MAX_SUMS_BYTES);
  const expected = checksumFor(sums, ASSET);
  if (!expected) throw new YtDlpUpdateError("no_checksum", `SHA2-256SUMS at ${base.origin} lists no ${ASSET}`);
  if ((await sha256Of(target)) === expected) return { path: target, version: await versionOf(target), sha256: expected, updated: false };

  await mkdir(path.dirname(target), { recursive: true });
  const temp = path.join(path.dirname(target), `.${ASSET}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const hash = createHash("sha256");
    const response = await fetchAsset(new URL(ASSET, base), MAX_BINARY_BYTES, signal);
    await pipeline(bodyOf(response), hashingLimit(MAX_BINARY_BYTES, hash), createWriteStream(temp, { flags: "wx", mode: 0o700 }));
    const actual = hash.digest("hex");
    if (actual !== expected) {
      throw new YtDlpUpdateError("checksum_mismatch", `checksum mismatch for ${ASSET}: SHA2-256SUMS says ${expected}, the download is ${actual}`);
    }
    await chmod(temp, 0o755);
    const version = await versionOf(temp);
    await rename(temp, target);
    return { path: target, version, sha256: actual, updated: true };
  } finally {
    await rm(temp, { force: true });
  }
}
