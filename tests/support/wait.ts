/**
 * Waiting for a condition instead of sleeping a fixed time: a fixed sleep
 * races whatever timer the app runs (a SIGKILL grace period, a reconnect
 * back-off, a log flush) and fails on a slow machine or wastes time on a
 * fast one.
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
  /** Give up after this long (the default suits timers of a few seconds in the app). */
  timeoutMs?: number;
  /** Pause between two checks. */
  intervalMs?: number;
  /** What was awaited, for the error on timeout (a function when it is worth computing only then, e.g. logs). */
  message?: string | (() => string);
}

/**
 * Calls `condition` until it returns a truthy value, and returns that value.
 * A check that throws counts as "not yet". On timeout it throws, naming
 * `message` and the last value or error seen.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 15_000, intervalMs = 100, message = "condition" }: WaitOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const seen = last instanceof Error ? `${last.name}: ${last.message}` : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof message === "function" ? message() : message}; last seen: ${seen}`);
    }
    await sleep(intervalMs);
  }
}
