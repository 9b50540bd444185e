/**
 * `npm run ytdlp:update`: installs the newest yt-dlp release into
 * <TVN_DATA_DIR>/bin/yt-dlp (see app/analysis/ytdlp-release.server.ts).
 * Exits non-zero, leaving the installed binary as it was, when the download
 * fails or does not match the release's SHA2-256SUMS. Like the supervisor it
 * reads only its own two variables, so it runs without a database (a Docker
 * build, an operator's shell); web and workers use the new binary from their
 * next yt-dlp run on.
 */
import { DEFAULT_YTDLP_RELEASE_URL, updateYtDlp } from "../app/analysis/ytdlp-release.server";

const releaseUrl = process.env.YTDLP_RELEASE_URL || DEFAULT_YTDLP_RELEASE_URL;
const dataDir = process.env.TVN_DATA_DIR || ".data";

try {
  const result = await updateYtDlp({ releaseUrl, dataDir });
  console.log(
    result.updated
      ? `[ytdlp] installed yt-dlp ${result.version} at ${result.path} (sha256 ${result.sha256})`
      : `[ytdlp] yt-dlp ${result.version} at ${result.path} is the newest release already`,
  );
} catch (err) {
  console.error(`[ytdlp] update refused, the installed yt-dlp is unchanged: ${err instanceof Error ? err.message : String(err)}`);
  if (err instanceof Error && err.cause) console.error(err.cause);
  process.exitCode = 1;
}
