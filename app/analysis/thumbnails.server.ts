import { config } from "~/config.server";
import { childEgress, ffmpegInputOptions } from "~/egress/index.server";
import { logger, redis, spawnTool } from "~/platform/index.server";
import { urlHash } from "./cache.server";
import { getAnalysis } from "./requests.server";
import type { AnalysisRequest } from "./tables";

/**
 * Thumbnails served from the app's own origin: the page's picture, or when
 * it has none a frame of the video, fetched by ffmpeg through the egress
 * proxy (the same policy as everything else the server fetches), made a
 * small JPEG (at most 640 px wide), and kept in Redis for a day. Browsers
 * never load third-party images, and a hostile "image" is re-encoded, never
 * passed on.
 */
const MAX_BYTES = 256 * 1024;
const TTL_SECONDS = 24 * 3600;
/** A page without any picture is asked again after this long, not on every view. */
const MISS_TTL_SECONDS = 600;
const GRAB_TIMEOUT_MS = 10_000;

const cacheKey = (url: string) => `thumb:${urlHash(url)}`;
const inFlight = new Map<string, Promise<Buffer | null>>();

type Picture = { url: string; headers: Record<string, string>; seekSeconds: number | null };

/** The JPEG for one of the user's analyses, or null when neither the page nor the video gives a picture. */
export async function thumbnailFor({ requestId, userId }: { requestId: string; userId: string }): Promise<Buffer | null> {
  const row = await getAnalysis({ requestId, userId });
  if (!row?.result) return null;
  const key = cacheKey(row.url);
  const cached = await redis.getBuffer(key);
  if (cached) return cached.length ? cached : null;
  let pending = inFlight.get(key);
  if (!pending) {
    pending = render(key, candidates(row.result, row.sources ?? {})).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

type Result = NonNullable<AnalysisRequest["result"]>;
type Sources = NonNullable<AnalysisRequest["sources"]>;

/** The page's own picture first, then a frame about a second in (or halfway through a shorter video). */
function candidates(result: Result, sources: Sources): Picture[] {
  const pictures: Picture[] = [];
  if (result.thumbnail) pictures.push({ url: result.thumbnail, headers: {}, seekSeconds: null });
  const video = result.formats.filter((f) => f.hasVideo && sources[f.id]).sort((a, b) => Number(b.delivery === "direct") - Number(a.delivery === "direct"))[0];
  if (video) {
    const seekSeconds = result.durationSeconds ? Math.min(1, result.durationSeconds / 2) : 1;
    pictures.push({ ...sources[video.id], seekSeconds });
  }
  return pictures;
}

async function render(key: string, pictures: Picture[]): Promise<Buffer | null> {
  for (const picture of pictures) {
    const image = await grab(picture);
    if (image) {
      await redis.set(key, image, "EX", TTL_SECONDS);
      return image;
    }
  }
  await redis.set(key, Buffer.alloc(0), "EX", MISS_TTL_SECONDS);
  return null;
}

/** One frame of an image or a video as a JPEG, through the egress proxy, bounded in time and size. */
async function grab({ url, headers, seekSeconds }: Picture): Promise<Buffer | null> {
  const { proxyUrl, env } = await childEgress();
  const args = ["-nostdin", "-v", "error", ...ffmpegInputOptions({ proxyUrl, headers, readTimeoutSeconds: 5 })];
  if (seekSeconds !== null) args.push("-ss", String(seekSeconds));
  args.push("-i", url, "-frames:v", "1", "-vf", "scale='min(640,iw)':-2", "-f", "image2", "-c:v", "mjpeg", "-q:v", "5", "pipe:1");

  const child = spawnTool(config.FFMPEG_PATH, args, { env });
  const chunks: Buffer[] = [];
  let size = 0;
  const timer = setTimeout(() => child.kill("SIGKILL"), GRAB_TIMEOUT_MS);
  child.stdout.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BYTES) child.kill("SIGKILL");
    else chunks.push(chunk);
  });
  // ffmpeg's messages name the source URL (signed CDN URLs are secrets): read and dropped, never logged.
  child.stderr.resume();
  const code = await new Promise<number | null>((resolve) => {
    child.on("error", (err) => {
      logger.error({ err }, "could not start ffmpeg for a thumbnail");
      resolve(null);
    });
    child.on("close", resolve);
  });
  clearTimeout(timer);
  if (code === 0 && size > 0 && size <= MAX_BYTES) return Buffer.concat(chunks);
  logger.info({ code, size }, "no thumbnail from this source");
  return null;
}
