/** Reading the dashboard in a browser test: text by test id or locator, waited for with the page's problems. */
import assert from 'node:assert/strict';
import type { Locator } from 'playwright-core';
import { waitFor, type BrowserSession, type RunningController } from '../harness/index.js';

/** What went wrong so far, for a failed wait's detail. */
export const pageProblems = (b: BrowserSession, ctl: RunningController): string =>
  `console errors: ${JSON.stringify(b.consoleErrors)}; failed requests: ${JSON.stringify(b.failedRequests)}` +
  `\ncontroller log:\n${ctl.logTail(20)}`;

/** The element's text (trimmed), or '' when it is not there (yet). */
export async function textOf(target: Locator): Promise<string> {
  return (
    (await target
      .first()
      .textContent({ timeout: 1000 })
      .catch(() => null)) ?? ''
  ).trim();
}

/** Waits until `target`'s text passes `want` (a regexp or a predicate); returns that text. */
export async function waitForText(
  b: BrowserSession,
  ctl: RunningController,
  target: Locator,
  want: RegExp | ((text: string) => boolean),
  what: string,
  timeoutMs = 20_000,
): Promise<string> {
  let last = '';
  const ok = typeof want === 'function' ? want : (t: string) => want.test(t);
  return waitFor(
    async () => {
      last = await textOf(target);
      return ok(last) ? last : undefined;
    },
    {
      what,
      timeoutMs,
      detail: () => `it showed ${JSON.stringify(last.slice(0, 2000))}; ${pageProblems(b, ctl)}`,
    },
  );
}

/** The page logged no console error and no request failed (or answered an error status). */
export function assertNoPageProblems(b: BrowserSession): void {
  assert.deepEqual(b.consoleErrors, [], 'no console errors');
  assert.deepEqual(b.failedRequests, [], 'no failed requests');
}

/**
 * Opens `url` afresh: leaving a polling page aborts its request in flight (a "failed request"), so the old page
 * is left for about:blank first and what it collected is forgotten before `url` loads. Assert before calling.
 */
export async function openPage(b: BrowserSession, url: string): Promise<void> {
  await b.page.goto('about:blank');
  b.resetProblems();
  await b.page.goto(url);
}
