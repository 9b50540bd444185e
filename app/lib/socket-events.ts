/** The socket.io events, typed once for the server and the browser. */
export type AnalysisUpdate = {
  requestId: string;
  status: "queued" | "active" | "completed" | "failed";
  stage: string;
  progress: number;
};

export type ServerToClientEvents = {
  "analysis:update": (update: AnalysisUpdate) => void;
};

export type ClientToServerEvents = Record<string, never>;
