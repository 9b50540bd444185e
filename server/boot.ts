import { watch } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { broadcastDevReady, type ServerBuild } from "@remix-run/node";
import closeWithGrace from "close-with-grace";
import { config } from "~/config.server";
import { closeDatabase } from "~/db/client.server";
import { runMigrations } from "~/db/migrate.server";
import { userRoom } from "~/lib/rooms";
import { logger } from "~/services/logger.server";
import type { EmitToUser } from "~/services/streaming.server";
import { closeRedis, redisReady } from "~/services/redis.server";
import { startProcessStatsPublisher } from "~/services/process-stats.server";
import { relayAnalysisEvents } from "./analysis-events";
import { startDashboardFeed } from "./dashboard-feed";
import { createApp } from "./app";
import { attachSocketServer, type SocketServer } from "./socket";
import { subscribeToStreamAborts } from "./stream-aborts";

const BUILD_PATH = path.resolve("build/index.js");
const mode = config.NODE_ENV === "production" ? "production" : "development";

async function importBuild(): Promise<ServerBuild> {
  // The query defeats the ESM cache so a dev rebuild is really re-imported.
  return import(`${pathToFileURL(BUILD_PATH).href}?t=${Date.now()}`);
}

await runMigrations(config.DATABASE_URL);
await redisReady();

let build = await importBuild();
if (mode === "development") {
  await broadcastDevReady(build);
  let reloading: NodeJS.Timeout | undefined;
  watch(path.dirname(BUILD_PATH), () => {
    clearTimeout(reloading);
    reloading = setTimeout(async () => {
      build = await importBuild();
      await broadcastDevReady(build);
    }, 100);
  });
}

// The app's routes emit socket events; io exists once the http server does.
let io: SocketServer | undefined;
const emitToUser: EmitToUser = (userId, event, ...args) => io?.to(userRoom(userId)).emit(event, ...args);
const app = createApp({ getBuild: () => build, mode, emitToUser });
const httpServer = createServer(app);
const sockets = attachSocketServer(httpServer);
io = sockets.io;
const streamAborts = subscribeToStreamAborts();
const analysisEvents = relayAnalysisEvents(io);
const stopDashboardFeed = startDashboardFeed(io);
const stopPublishing = startProcessStatsPublisher();

httpServer.listen(config.PORT, config.HOST, () => {
  const address = httpServer.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  logger.info({ port, mode }, `web server listening on http://localhost:${port}`);
});

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) logger.error({ err }, "web server crashed");
  logger.info({ signal }, "web server shutting down");
  // io.close() also closes the http server, letting in-flight requests finish.
  stopDashboardFeed();
  await sockets.close();
  await analysisEvents.close();
  await stopPublishing();
  streamAborts.disconnect();
  await closeRedis();
  await closeDatabase();
  logger.info("web server stopped");
});
