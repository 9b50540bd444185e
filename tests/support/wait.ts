import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls a condition until it holds, instead of sleeping a fixed time that
 * races the timers under test. Fails with the message (or its thunk) once
 * the deadline passes.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 100, message = "condition not met" }: { timeoutMs?: number; intervalMs?: number; message?: string | (() => string) } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${typeof message === "function" ? message() : message}`);
    await sleep(intervalMs);
  }
}
