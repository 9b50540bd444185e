/**
 * Thumbnails from the app's own origin: the page's picture fetched under the
 * egress policy, or a frame of the video, as a small JPEG, cached, and only
 * for the analysis's owner.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMediaFixtures } from "../fixtures/media";
import { startOrigin, type Origin } from "../fixtures/origin";
import { analyzed } from "../support/api";
import { egressAllow, startApp, type RunningApp } from "../support/app";
import { signedUpClient, type Client } from "../support/http";

let origin: Origin;
let app: RunningApp;
let alice: Client;

beforeAll(async () => {
  origin = await startOrigin(await ensureMediaFixtures());
  app = await startApp({ env: egressAllow(origin) });
  alice = await signedUpClient(app.baseUrl, "thumbs");
});

afterAll(async () => {
  await app?.stop();
  await origin?.close();
});

/** Width and height of a JPEG, read by ffprobe from stdin. */
function dimensions(jpeg: Buffer) {
  const out = execFileSync("ffprobe", ["-v", "error", "-show_entries", "stream=width,height,codec_name", "-of", "json", "-i", "pipe:0"], { input: jpeg });
  return (JSON.parse(out.toString()) as { streams: Array<{ width: number; height: number; codec_name: string }> }).streams[0];
}

async function thumbnailOf(client: Client, url: string) {
  const { requestId } = await analyzed(client, url);
  const response = await client.request(`/thumbnails/${requestId}`);
  return { requestId, response, body: Buffer.from(await response.arrayBuffer()) };
}

const originHits = (fragment: string) => origin.log.filter((r) => r.path.includes(fragment)).length;

describe("GET /thumbnails/:requestId", () => {
  it("serves the page's own picture as a JPEG from the app's origin, and caches it", async () => {
    const { requestId, response, body } = await thumbnailOf(alice, origin.pageUrl("video"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/jpeg");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(dimensions(body)).toMatchObject({ codec_name: "mjpeg" });
    expect(dimensions(body).width).toBeLessThanOrEqual(640);
    const fetched = originHits("thumbnail.jpg");
    expect(fetched).toBeGreaterThanOrEqual(1);
    const again = await alice.request(`/thumbnails/${requestId}`);
    expect(Buffer.from(await again.arrayBuffer()).equals(body)).toBe(true);
    expect(originHits("thumbnail.jpg")).toBe(fetched);
  });

  it("takes a frame of the video when the page has no picture", async () => {
    const { response, body } = await thumbnailOf(alice, origin.url("mp4"));
    expect(response.status).toBe(200);
    const { width, height } = dimensions(body);
    expect(width).toBeGreaterThan(0);
    expect(height).toBeGreaterThan(0);
  });

  it("never fetches a picture in a private network: a frame of the video instead", async () => {
    const { response, body } = await thumbnailOf(alice, origin.pageUrl("private-thumbnail"));
    expect(response.status).toBe(200);
    expect(dimensions(body).codec_name).toBe("mjpeg");
  });

  it("answers 404 for sound without a picture, and for someone else's analysis", async () => {
    expect((await thumbnailOf(alice, origin.url("m4a"))).response.status).toBe(404);
    const { requestId } = await analyzed(alice, origin.pageUrl("video"));
    const bob = await signedUpClient(app.baseUrl, "thumbs-bob");
    expect((await bob.request(`/thumbnails/${requestId}`)).status).toBe(404);
  });
});
