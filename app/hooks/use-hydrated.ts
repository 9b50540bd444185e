import { useSyncExternalStore } from "react";

const noSubscription = () => () => undefined;

/** False during server rendering and hydration; true once React runs in the browser. */
export function useHydrated() {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}
