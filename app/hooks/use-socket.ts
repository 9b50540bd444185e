import { useCallback, useEffect, useSyncExternalStore } from "react";
import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "~/lib/socket-events";

type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let shared: AppSocket | null = null;

/** One socket per tab, opened on first use; the session cookie authenticates it. */
function getSocket(): AppSocket {
  shared ??= io({ transports: ["websocket", "polling"], withCredentials: true });
  return shared;
}

/** Subscribes to a server event for the component's lifetime; returns whether the socket is connected. */
export function useSocketEvent<E extends keyof ServerToClientEvents>(event: E, handler: ServerToClientEvents[E]) {
  const subscribe = useCallback((onChange: () => void) => {
    const socket = getSocket();
    socket.on("connect", onChange);
    socket.on("disconnect", onChange);
    return () => {
      socket.off("connect", onChange);
      socket.off("disconnect", onChange);
    };
  }, []);
  const connected = useSyncExternalStore(
    subscribe,
    () => getSocket().connected,
    () => false,
  );
  useEffect(() => {
    const socket = getSocket();
    socket.on(event, handler as never);
    return () => {
      socket.off(event, handler as never);
    };
  }, [event, handler]);
  return connected;
}
