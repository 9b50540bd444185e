/** The streaming API as a client uses it: analyse and wait, then ask for a download link. */
import { setTimeout as sleep } from "node:timers/promises";
import type { Client } from "./http";

export type AnalysisFormat = { id: string; derived: string | null; delivery: string; ext: string; kind: string };
export type Analysis = { requestId: string; result: { title: string; formats: AnalysisFormat[] } };

export async function analyzed(client: Client, url: string): Promise<Analysis> {
  const response = await client.request("/api/streaming/analyze", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ url }),
  });
  if (!response.ok) throw new Error(`analysis refused (${response.status}): ${await response.text()}`);
  const { requestId } = (await response.json()) as { requestId: string };
  for (let i = 0; i < 300; i++) {
    const view = (await (await client.request(`/api/streaming/analyze/${requestId}`)).json()) as Analysis & { status: string };
    if (view.status === "completed") return view;
    if (view.status === "failed") throw new Error(`analysis failed: ${JSON.stringify(view)}`);
    await sleep(100);
  }
  throw new Error("analysis timed out");
}

/** The first format the source itself offers (not a derived merge or conversion). */
export const plainFormat = (analysis: Analysis) => analysis.result.formats.find((f) => !f.derived)!;

export async function createToken(client: Client, requestId: string, formatId: string) {
  const response = await client.request("/api/streaming/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ requestId, formatId }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as {
      token: string;
      streamUrl: string;
      fileName: string;
      expiresAt: string;
      tokenId: string;
      error?: { code: string; message: string };
    },
  };
}
