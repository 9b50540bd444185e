import type { DashboardLive } from "./monitoring";

/** The socket.io events, typed once for the server and the browser. */
export type AnalysisUpdate = {
  requestId: string;
  status: "queued" | "active" | "completed" | "failed";
  stage: string;
  progress: number;
};

/** `sentAt` (ms since the epoch) lets a client tell how fresh a report is. */
export type StreamProgress = { tokenId: string; bytes: number; total: number | null; speed: number; eta: number | null; sentAt: number };
/** completed; aborted (the client went away or the link was revoked); failed (source or server); interrupted (the server shut down). */
export type StreamOutcome = "completed" | "aborted" | "failed" | "interrupted";
/** `handedOff`: the nginx front moves the bytes (STREAM_OFFLOAD), so the server knows neither progress nor bytes. */
export type StreamEnd = { tokenId: string; status: StreamOutcome; bytes: number; handedOff?: boolean };
/** A playlist ZIP's entry `position` of `count` (`index` is its number in the playlist). */
export type StreamEntry = { tokenId: string; index: number; position: number; count: number; status: "started" | "done" | "failed" };

export type ServerToClientEvents = {
  "analysis:update": (update: AnalysisUpdate) => void;
  "stream:progress": (progress: StreamProgress) => void;
  "stream:end": (end: StreamEnd) => void;
  "stream:entry": (entry: StreamEntry) => void;
  /** Administrators' sockets only. */
  "dashboard:update": (data: DashboardLive) => void;
};

export type ClientToServerEvents = Record<string, never>;

/** Emits a typed event to every socket of one user, on whichever web process holds them. */
export type EmitToUser = <E extends keyof ServerToClientEvents>(userId: string, event: E, ...args: Parameters<ServerToClientEvents[E]>) => void;
