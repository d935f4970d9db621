import { ScanproofError } from "./errors.js";

export interface WaitOptions {
  readonly intervalMs?: number;
  readonly maxIntervalMs?: number;
}

/**
 * Polls `check` with backoff until it returns a value other than false/undefined, or fails with
 * an error naming what was awaited. Returns the value and how long the wait took.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | false | undefined | Promise<T | false | undefined>,
  timeoutMs: number,
  { intervalMs = 100, maxIntervalMs = 1000 }: WaitOptions = {},
): Promise<{ value: T; waitedMs: number }> {
  const started = Date.now();
  let interval = intervalMs;
  for (;;) {
    const value = await check();
    if (value !== false && value !== undefined) return { value, waitedMs: Date.now() - started };
    if (Date.now() - started >= timeoutMs) {
      throw new ScanproofError(`Timed out after ${timeoutMs / 1000} s waiting for ${what}.`);
    }
    await new Promise((r) => setTimeout(r, interval));
    interval = Math.min(maxIntervalMs, interval * 1.5);
  }
}
