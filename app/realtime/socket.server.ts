import type { Server as HttpServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { Server } from "socket.io";
import { ADMIN_ROOM, userRoom } from "~/lib/rooms";
import type { ClientToServerEvents, ServerToClientEvents } from "~/lib/socket-events";
import { getUserFromCookie } from "~/accounts/index.server";
import { createBlockingRedis, logger } from "~/platform/index.server";
import { isCrossSite } from "~/web/index.server";

export type SocketData = { userId: string; admin: boolean };
export type SocketServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/**
 * socket.io on the same http.Server as Remix. A socket is accepted only with
 * a valid session cookie, and joins its user's room; events for a user are
 * emitted to that room, so they reach every tab the user has open.
 */
export function attachSocketServer(httpServer: HttpServer) {
  const io: SocketServer = new Server(httpServer, {
    serveClient: false,
    transports: ["websocket", "polling"],
    // A page on another site must not open a socket with the visitor's cookie.
    allowRequest: (req, callback) =>
      callback(null, !isCrossSite({ origin: req.headers.origin, host: req.headers["x-forwarded-host"]?.toString() ?? req.headers.host })),
  });
  // Every web process shares rooms through Redis: an event emitted to a user's
  // room in one process reaches that user's sockets on all of them.
  const pub = createBlockingRedis("tvn-socket-pub");
  const sub = pub.duplicate({ connectionName: "tvn-socket-sub" });
  sub.on("error", (err) => logger.warn({ err, redis: "tvn-socket-sub" }, "redis error"));
  io.adapter(createAdapter(pub, sub));
  io.of("/").adapter.on("error", (err: Error) => logger.warn({ err }, "socket.io adapter error"));

  io.use((socket, next) => {
    getUserFromCookie(socket.handshake.headers.cookie).then(
      (user) => {
        if (!user) return next(new Error("unauthorized"));
        socket.data.userId = user.id;
        socket.data.admin = user.role === "admin";
        next();
      },
      (err: unknown) => {
        logger.warn({ err }, "socket authentication failed");
        next(new Error("unavailable"));
      },
    );
  });

  /** Closes the sockets and the http server (letting requests finish), then the adapter's connections. */
  const close = async () => {
    await io.close();
    pub.disconnect();
    sub.disconnect();
  };

  io.on("connection", (socket) => {
    void socket.join(socket.data.admin ? [userRoom(socket.data.userId), ADMIN_ROOM] : userRoom(socket.data.userId));
  });

  return { io, close };
}
