import { ADMIN_ROOM } from "~/lib/rooms";
import { dashboardLive } from "~/monitoring/index.server";
import { logger } from "~/platform/index.server";
import type { SocketServer } from "./socket.server";

const PUSH_MS = 1_500;

/**
 * Pushes the dashboard's live figures to the administrators connected to
 * this web process, every 1.5 s while at least one is. `io.local`: with
 * several web processes each feeds its own sockets, never the others'.
 */
export function startDashboardFeed(io: SocketServer) {
  let busy = false;
  const push = async () => {
    busy = true;
    try {
      io.local.to(ADMIN_ROOM).emit("dashboard:update", await dashboardLive());
    } catch (err) {
      logger.warn({ err }, "could not update the dashboard");
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => {
    if (!busy && io.of("/").adapter.rooms.get(ADMIN_ROOM)?.size) void push();
  }, PUSH_MS);
  timer.unref();
  return () => clearInterval(timer);
}
