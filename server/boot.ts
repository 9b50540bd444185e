import { createServer } from "node:http";
import * as build from "@remix-run/dev/server-build";
import { broadcastDevReady } from "@remix-run/node";
import closeWithGrace from "close-with-grace";
import { config } from "~/config.server";
import { closeDatabase } from "~/db/client.server";
import { runMigrations } from "~/db/migrate.server";
import { clearOwnLeftovers, drainStreams, subscribeToStreamAborts } from "~/downloads/index.server";
import { closeEgress } from "~/egress/index.server";
import { userRoom } from "~/lib/rooms";
import type { EmitToUser } from "~/lib/socket-events";
import { startProcessStatsPublisher } from "~/monitoring/index.server";
import { closeRedis, logger, redisReady } from "~/platform/index.server";
import { attachSocketServer, relayAnalysisEvents, startDashboardFeed, type SocketServer } from "~/realtime/index.server";
import { createApp } from "./app";

/**
 * The web process. The Remix compiler bundles this file together with the
 * app (remix.config.js `server`), so the routes and the server share one copy
 * of every module. Under `remix dev` the dev server restarts this process on
 * each rebuild and is told when it is ready.
 */
const mode = config.NODE_ENV === "production" ? "production" : "development";
const { REMIX_DEV_ORIGIN: devOrigin } = process.env;

await runMigrations(config.DATABASE_URL);
await redisReady();
await clearOwnLeftovers();

// The app's routes emit socket events; io exists once the http server does.
const live: { io?: SocketServer } = {};
const emitToUser: EmitToUser = (userId, event, ...args) => live.io?.to(userRoom(userId)).emit(event, ...args);
const app = createApp({ build, mode, emitToUser });
const httpServer = createServer(app);
const sockets = attachSocketServer(httpServer);
live.io = sockets.io;
const streamAborts = subscribeToStreamAborts();
const analysisEvents = relayAnalysisEvents(sockets.io);
const stopDashboardFeed = startDashboardFeed(sockets.io);
const stopPublishing = startProcessStatsPublisher();

httpServer.listen(config.PORT, config.HOST, () => {
  const address = httpServer.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  logger.info({ port, mode }, `web server listening on http://localhost:${port}`);
  // Only under `remix dev`, which sets it in this process' environment (read at run time, not
  // inlined by the compiler): tell the dev server this build is up so browsers reload.
  if (devOrigin) broadcastDevReady(build, devOrigin).catch((err: unknown) => logger.warn({ err }, "could not tell the dev server this build is ready"));
});

// Longer than the downloads' grace: the drain ends them itself, in order, before the rest closes.
const graceMs = config.SHUTDOWN_GRACE_SECONDS * 1000;
closeWithGrace({ delay: graceMs + 15_000 }, async ({ signal, err }) => {
  if (err) logger.error({ err }, "web server crashed");
  logger.info({ signal }, "web server shutting down");
  // New downloads are refused from here; running ones may finish within the grace.
  await drainStreams(err ? 0 : graceMs);
  // io.close() also closes the http server, letting in-flight requests finish.
  stopDashboardFeed();
  await sockets.close();
  await analysisEvents.close();
  await stopPublishing();
  streamAborts.disconnect();
  await closeEgress();
  await closeRedis();
  await closeDatabase();
  logger.info("web server stopped");
});
