import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import yazl from "yazl";
import { fetchVideoInfo } from "~/analysis/index.server";
import { uniqueFileName } from "~/lib/file-name";
import { normaliseInfo, type PlaylistEntry } from "~/lib/formats";
import { AppError, logger } from "~/platform/index.server";
import { openWhole, type Upstream } from "./direct.server";
import { openMedia } from "./media.server";
import { openPipe } from "./pipe.server";

/**
 * A playlist as one ZIP, written while it streams (yazl: store method, data
 * descriptors, ZIP64 when sizes or offsets need it; no temporary files).
 * Entries are resolved and fetched one after another through the same
 * direct and pipe paths as single downloads. An entry that fails before its
 * first byte is skipped and named in errors.txt; one that fails midway
 * aborts the whole ZIP (its first part is already sent), so the client never
 * keeps a ZIP that looks complete but is not.
 */

export type EntryReport = { index: number; position: number; count: number; status: "started" | "done" | "failed" };

/** One entry resolved (flat playlists name entries only): its formats, and the one chosen. */
async function resolveEntry(entry: PlaylistEntry, formatId: string, signal: AbortSignal) {
  const info = await fetchVideoInfo(entry.url, { signal });
  if (info._type === "playlist") throw new AppError("upstream", "no_video", "This entry is a playlist itself.");
  const { result, sources } = normaliseInfo(info);
  const format =
    formatId === "best"
      ? (result.formats.find((f) => f.derived === "best") ?? result.formats.find((f) => !f.derived && sources[f.id]))
      : result.formats.find((f) => f.id === formatId);
  if (!format) throw new AppError("upstream", "format_not_found", "This entry has no such format.");
  return { entry, result, sources, format };
}

/** A resolved entry opened as the chosen kind of file. */
async function openEntry(
  { entry, result, sources, format }: Awaited<ReturnType<typeof resolveEntry>>,
  signal: AbortSignal,
): Promise<{ upstream: Upstream; ext: string }> {
  if (format.derived === "mp3") {
    const meta = { title: entry.title, artist: result.uploader, thumbnail: result.thumbnail };
    return { upstream: await openMedia({ format, sources, meta, options: {} }, signal), ext: format.ext };
  }
  if (format.delivery === "direct" && sources[format.id]) return { upstream: await openWhole(sources[format.id], signal), ext: format.ext };
  return { upstream: await openPipe(format, result.formats, sources, entry.url, signal), ext: format.ext };
}

const reason = (err: unknown) => (err instanceof AppError || err instanceof Error ? err.message : String(err));

export function openPlaylistZip({
  entries,
  formatId,
  onEntry,
}: {
  entries: PlaylistEntry[];
  formatId: string;
  onEntry: (report: EntryReport) => void;
}): Upstream {
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  const controller = new AbortController();
  let current: Upstream | null = null;
  const stop = () => {
    controller.abort();
    current?.kill?.();
    current?.body.destroy();
  };
  output.once("close", stop);

  // The next entry is resolved (yt-dlp, about a second) while the current one streams.
  // Settled results, so a failure waits for its turn instead of going unhandled meanwhile.
  type Resolution = { resolved: Awaited<ReturnType<typeof resolveEntry>> } | { failure: unknown };
  const resolutions = new Map<number, Promise<Resolution>>();
  const resolution = (i: number) => {
    let pending = resolutions.get(i);
    if (!pending && i < entries.length) {
      pending = resolveEntry(entries[i], formatId, controller.signal).then(
        (resolved) => ({ resolved }),
        (failure: unknown) => ({ failure }),
      );
      resolutions.set(i, pending);
    }
    return pending;
  };

  const run = async () => {
    const taken = new Set<string>();
    const errors: string[] = [];
    for (const [i, entry] of entries.entries()) {
      if (controller.signal.aborted) return;
      const report = (status: EntryReport["status"]) => onEntry({ index: entry.index, position: i + 1, count: entries.length, status });
      report("started");
      let opened: Awaited<ReturnType<typeof openEntry>>;
      try {
        const settled = (await resolution(i))!;
        resolutions.delete(i);
        void resolution(i + 1);
        if ("failure" in settled) throw settled.failure;
        opened = await openEntry(settled.resolved, controller.signal);
      } catch (err) {
        if (controller.signal.aborted) return;
        logger.warn({ err, entry: entry.index }, "a playlist entry failed; skipped");
        errors.push(`${entry.index}. ${entry.title}: ${reason(err)}`);
        report("failed");
        continue;
      }
      if (controller.signal.aborted) {
        // The client left while this entry was opening: stop() found nothing to stop, so stop it here.
        opened.upstream.kill?.();
        opened.upstream.body.destroy();
        return;
      }
      current = opened.upstream;
      zip.addReadStream(opened.upstream.body, uniqueFileName(taken, entry.title, opened.ext), { compress: false, mtime: new Date() });
      await finished(opened.upstream.body);
      current = null;
      report("done");
    }
    if (errors.length) zip.addBuffer(Buffer.from(`${errors.join("\n")}\n`, "utf8"), "errors.txt", { compress: false, mtime: new Date() });
    zip.end();
  };
  run().catch((err: unknown) => {
    if (!controller.signal.aborted) logger.warn({ err }, "a playlist entry broke off midway; the ZIP is aborted");
    output.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  return { status: 200, headers: {}, body: output, kill: stop };
}
