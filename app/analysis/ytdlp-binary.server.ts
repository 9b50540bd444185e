import { execFile } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { config } from "~/config.server";
import type { YtDlpInUse } from "~/lib/monitoring";
import { installedYtDlpPath, updateYtDlp } from "./ytdlp-release.server";

const execFileAsync = promisify(execFile);

/** An executable file at `file`, or a bare name found on PATH; null when there is none. */
function executable(file: string): string | null {
  const candidates = file.includes("/") ? [file] : (process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, file));
  return (
    candidates.find((candidate) => {
      try {
        accessSync(candidate, constants.X_OK);
        return statSync(candidate).isFile();
      } catch {
        // Not there or not executable: the next candidate may be.
        return false;
      }
    }) ?? null
  );
}

/**
 * The yt-dlp to run, resolved for every spawn: YTDLP_PATH when set, else the
 * release `npm run ytdlp:update` installed under the data dir, else the one on
 * PATH. A release installed while web and workers run is used from their next
 * spawn on, without a restart.
 */
export function ytDlpCommand(): string {
  if (config.YTDLP_PATH) return config.YTDLP_PATH;
  return executable(installedYtDlpPath(config.TVN_DATA_DIR)) ?? "yt-dlp";
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** yt-dlp versions are release dates (2023.03.04, nightlies 2025.09.26.232900): the day it was released, or null. */
export function releaseDate(version: string): Date | null {
  const match = /^(\d{4})\.(\d{2})\.(\d{2})/.exec(version.trim());
  if (!match) return null;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Whole days between a release and now, never negative (a clock behind the release date). */
export function ageInDays(released: Date, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - released.getTime()) / DAY_MS));
}

/**
 * The version printed by the binary at a path, remembered while the file stays
 * the same (same inode, size and modification time): an update replaces the
 * file by a rename, so the next look-up runs the new binary once.
 */
let remembered: { key: string; version: Promise<string> } | null = null;
function versionOf(file: string): Promise<string> {
  const stat = statSync(file);
  const key = [file, stat.ino, stat.size, stat.mtimeMs].join(":");
  if (remembered?.key !== key) {
    const version = execFileAsync(file, ["--version"], { timeout: 10_000 }).then(({ stdout }) => stdout.trim());
    const entry = { key, version };
    remembered = entry;
    // A failure is not remembered: the next look-up tries again.
    version.catch(() => {
      if (remembered === entry) remembered = null;
    });
  }
  return remembered.version;
}

/** The yt-dlp in use: where it is, its version and how old that release is. Rejects when it cannot be run. */
export async function ytDlpStatus(now = new Date()): Promise<YtDlpInUse> {
  const command = ytDlpCommand();
  const file = executable(command);
  if (!file) throw new Error(`yt-dlp not found (${command})`);
  const version = await versionOf(file);
  const released = releaseDate(version);
  const ageDays = released ? ageInDays(released, now) : null;
  return {
    path: file,
    version,
    releasedOn: released?.toISOString().slice(0, 10) ?? null,
    ageDays,
    maxAgeDays: config.YTDLP_MAX_AGE_DAYS,
    stale: ageDays !== null && ageDays > config.YTDLP_MAX_AGE_DAYS,
  };
}

/** The maintenance job behind YTDLP_AUTO_UPDATE: the updater with the app's settings (it is used unless YTDLP_PATH names another binary). */
export const updateInstalledYtDlp = () => updateYtDlp({ releaseUrl: config.YTDLP_RELEASE_URL, dataDir: config.TVN_DATA_DIR });
