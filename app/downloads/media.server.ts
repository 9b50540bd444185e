import NodeID3 from "node-id3";
import { fetchUnderPolicy } from "~/egress/index.server";
import { codecName, subtitleSourceKey, type FormatSource, type MediaFormat } from "~/lib/formats";
import type { MediaOptions } from "~/lib/media-options";
import { AppError, logger } from "~/platform/index.server";
import type { Upstream } from "./direct.server";
import { mediaInputs } from "./media-plan.server";
import { ffmpegCommand, FRAGMENTED_MP4, openTool, type ToolCommand } from "./pipe.server";

/**
 * Media operations on the pipe path (issue 15): converted audio with tags
 * and cover art, clips, subtitle files and embedded subtitles. ffmpeg reads
 * the sources over the network (through the egress proxy) and writes to
 * stdout; nothing touches the disk.
 */

export type MediaJob = {
  format: MediaFormat;
  sources: Record<string, FormatSource>;
  meta: { title: string; artist: string | null; thumbnail: string | null };
  options: MediaOptions;
};

/** Cover art is read into memory, so it is bounded; a larger picture is left out. */
const MAX_COVER_BYTES = 2 * 1024 * 1024;
/** Ogg carries the cover as a base64 comment in ffmpeg's argument list, which the kernel caps at 128 KiB. */
const MAX_OGG_COVER_BYTES = 90 * 1024;

type Cover = { data: Buffer; mime: "image/jpeg" | "image/png" };

function imageType(data: Buffer): Cover["mime"] | null {
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return "image/jpeg";
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  return null;
}

/** The thumbnail as cover art, fetched under the egress policy; null (logged) when it cannot serve. */
async function fetchCover(url: string | null, signal: AbortSignal): Promise<Cover | null> {
  if (!url) return null;
  try {
    const { response } = await fetchUnderPolicy(url, { signal, headers: { "Accept-Encoding": "identity" } });
    if (response.statusCode !== 200) {
      response.resume();
      logger.info({ status: response.statusCode }, "no cover art: the thumbnail did not load");
      return null;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_COVER_BYTES) {
        response.destroy();
        logger.info({ size }, "no cover art: the thumbnail is too large");
        return null;
      }
      chunks.push(chunk);
    }
    const data = Buffer.concat(chunks);
    const mime = imageType(data);
    return mime ? { data, mime } : null;
  } catch (err) {
    if (signal.aborted) throw err;
    logger.info({ err }, "no cover art: the thumbnail could not be fetched");
    return null;
  }
}

/** FLAC's METADATA_BLOCK_PICTURE, the cover art Ogg Opus players read from a comment. */
function flacPicture({ data, mime }: Cover) {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const description = Buffer.from("Cover");
  const mimeBytes = Buffer.from(mime);
  return Buffer.concat([
    u32(3), // front cover
    u32(mimeBytes.length),
    mimeBytes,
    u32(description.length),
    description,
    u32(0), // width, height, depth, colours: unknown
    u32(0),
    u32(0),
    u32(0),
    u32(data.length),
    data,
  ]).toString("base64");
}

/** MP4 wants ISO 639-2 codes for its tracks; the common ones are mapped, others left undetermined. */
const ISO_639_2: Record<string, string> = { vi: "vie", en: "eng", fr: "fra", de: "deu", es: "spa", ja: "jpn", ko: "kor", zh: "zho", th: "tha", ru: "rus" };

const mp4Friendly = (format: MediaFormat) =>
  /^(H\.264|H\.265)$/.test(codecName(format.vcodec) ?? "") && (!format.hasAudio || /^(AAC|MP3)$/.test(codecName(format.acodec) ?? ""));

/** ffmpeg's command for a media job (with the bytes to send ahead of its output, for MP3). */
export function mediaCommand(job: MediaJob, proxyUrl: string, cover: Cover | null): ToolCommand {
  const { format, sources, meta, options } = job;
  const media = mediaInputs(format, sources);
  if (!media) throw new AppError("upstream", "upstream_failed", "This format cannot be converted; choose another one.");
  const { clip, embedSubtitles = [] } = options;
  const seek = clip ? ["-ss", clip.start.toFixed(3)] : [];
  const length = clip ? ["-t", (clip.end - clip.start).toFixed(3)] : [];
  const audio = `${media.length - 1}:a:0`;
  const tags = ["-map_metadata", "-1", "-metadata", `title=${meta.title}`, ...(meta.artist ? ["-metadata", `artist=${meta.artist}`] : [])];

  if (format.derived === "mp3") {
    // ffmpeg finishes an ID3 tag by seeking back, which a pipe cannot: the tag is written here instead.
    const image = cover ? { mime: cover.mime, type: { id: 3 as const }, description: "Cover", imageBuffer: cover.data } : undefined;
    const prefix = NodeID3.create({ title: meta.title, ...(meta.artist ? { artist: meta.artist } : {}), ...(image ? { image } : {}) });
    const output = [
      "-map",
      audio,
      "-vn",
      "-c:a",
      "libmp3lame",
      "-b:a",
      "192k",
      ...length,
      "-map_metadata",
      "-1",
      "-write_id3v2",
      "0",
      "-write_xing",
      "0",
      "-f",
      "mp3",
    ];
    return { ...ffmpegCommand(media, output, proxyUrl, seek), prefix };
  }
  if (format.derived === "opus") {
    const picture = cover && cover.data.length <= MAX_OGG_COVER_BYTES ? ["-metadata", `METADATA_BLOCK_PICTURE=${flacPicture(cover)}`] : [];
    const output = ["-map", audio, "-vn", "-c:a", "libopus", "-b:a", "128k", ...length, ...tags, ...picture, "-f", "opus"];
    return ffmpegCommand(media, output, proxyUrl, seek);
  }
  if (!format.hasVideo) {
    // M4A (the m4a choice, or any sound cut to a clip); fragmented MP4 cannot carry cover art.
    const output = ["-map", audio, "-vn", "-c:a", "aac", "-b:a", "192k", ...length, ...tags, ...FRAGMENTED_MP4];
    return ffmpegCommand(media, output, proxyUrl, seek);
  }

  const subtitleInputs = embedSubtitles.map((lang) => sources[subtitleSourceKey(lang)]);
  if (subtitleInputs.some((s) => !s)) throw new AppError("gone", "format_gone", "The subtitles behind this link are no longer known.");
  const maps = media.length === 2 ? ["-map", "0:v:0", "-map", "1:a:0"] : ["-map", "0:v:0", "-map", "0:a:0?"];
  const subtitleMaps = embedSubtitles.flatMap((lang, i) => [
    "-map",
    `${media.length + i}:s:0`,
    `-metadata:s:s:${i}`,
    `language=${ISO_639_2[lang.slice(0, 2).toLowerCase()] ?? "und"}`,
  ]);
  // A cut is re-encoded so it starts on the asked frame, not the keyframe before it (±0.5 s at most).
  const codecs =
    clip || !mp4Friendly(format) ? ["-c:v", "libx264", "-preset", "veryfast", "-crf", "21", "-c:a", "aac", "-b:a", "160k"] : ["-c:v", "copy", "-c:a", "copy"];
  const output = [...maps, ...subtitleMaps, ...codecs, ...(subtitleInputs.length ? ["-c:s", "mov_text"] : []), ...length, ...FRAGMENTED_MP4];
  return ffmpegCommand([...media, ...subtitleInputs], output, proxyUrl, seek);
}

/** Converted audio, a clip or embedded subtitles, streamed from ffmpeg. */
export async function openMedia(job: MediaJob, signal: AbortSignal): Promise<Upstream> {
  const wantsCover = job.format.derived === "mp3" || job.format.derived === "opus";
  const cover = wantsCover ? await fetchCover(job.meta.thumbnail, signal) : null;
  return openTool((proxyUrl) => mediaCommand(job, proxyUrl, cover), { signal });
}

/** A subtitle track as an SRT or WebVTT file. */
export function openSubtitles(source: FormatSource, format: "srt" | "vtt", signal: AbortSignal): Promise<Upstream> {
  const muxer = format === "srt" ? "srt" : "webvtt";
  return openTool((proxyUrl) => ffmpegCommand([source], ["-map", "0:s:0", "-c:s", muxer, "-f", muxer], proxyUrl), { signal });
}
