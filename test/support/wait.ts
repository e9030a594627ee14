/**
 * Polling instead of sleeping: every wait names what it waited for, so a timeout says what never happened.
 * The one polling helper of the tests: unit tests import it from here, integration tests through the harness.
 */

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Time between attempts (default 100 ms; unit tests polling in-process state pass a few ms). */
  intervalMs?: number;
  /** What we are waiting for, in words: it is the subject of the timeout error. */
  what: string;
  /** Extra text for the timeout error (e.g. a log tail), computed only when the wait fails. */
  detail?: () => string | Promise<string>;
}

export class WaitTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastError: unknown,
    detail: string,
  ) {
    const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
    super(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${detail ? `\n${detail}` : ''}`);
    this.name = 'WaitTimeoutError';
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `condition` until it returns a value other than false/undefined/null (that value is returned) or the
 * timeout passes. A condition that throws counts as "not yet"; the last error is reported on timeout.
 */
export async function waitFor<T>(
  condition: () => T | false | undefined | null | Promise<T | false | undefined | null>,
  opts: WaitOptions,
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await condition();
      if (v !== false && v !== undefined && v !== null) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const detail = opts.detail ? await Promise.resolve(opts.detail()).catch(() => '') : '';
      throw new WaitTimeoutError(opts.what, timeoutMs, lastError, detail);
    }
    await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}
