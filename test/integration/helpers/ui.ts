/**
 * What the dashboard's browser tests share: the set-up they start from (a controller, maybe with an API token,
 * a Mininet network, Chromium, maybe logged in at a page), reading text by locator and waiting until it shows
 * something (the failure names what it showed and what the page collected), and the "no console error, no
 * failed request" check, with a way to take back the 4xx a test provoked on purpose.
 */
import assert from 'node:assert/strict';
import type { Locator } from 'playwright-core';
import {
  ensureOvs,
  MininetNet,
  openBrowser,
  sluiceCommand,
  startController,
  waitFor,
  type BrowserSession,
  type RunningController,
  type Topo,
} from '../harness/index.js';

/** The forms pages' API token (a controller started with `token: FORMS_TOKEN`). */
export const FORMS_TOKEN = 'ui-forms-token-3b9e';
export const S1 = '00:00:00:00:00:00:00:01';

export interface UiRig {
  ctl: RunningController;
  net: MininetNet;
  b: BrowserSession;
  /** Closes the browser, stops Mininet and the controller (what was started). */
  stop(): Promise<void>;
}

/**
 * A controller (with `token` when given), Mininet `topo` over OpenFlow 1.3 and Chromium; with `path`, logged
 * in at /ui/<path>, the login's own 401 forgotten. What started is stopped again when a later step fails.
 */
export async function startUi(opts: { topo: Topo; token?: string; path?: string }): Promise<UiRig> {
  await ensureOvs();
  const ctl = await startController(
    opts.token === undefined ? {} : { command: sluiceCommand(['--api-token', opts.token]) },
  );
  let net: MininetNet | undefined;
  let b: BrowserSession | undefined;
  const stop = async () => {
    await b?.close();
    await net?.stop();
    await ctl.stop();
  };
  try {
    net = await MininetNet.start({
      topo: opts.topo,
      protocols: 'OpenFlow13',
      controllerPort: ctl.openflowPort,
    });
    b = await openBrowser();
    if (opts.path !== undefined) {
      await openLoggedIn(b, ctl, opts.path, opts.token ?? '');
      // The login's own 401 (the probe before the token) is not the page's.
      b.resetProblems();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ctl, net, b, stop };
}

/** The forms pages' set-up: Mininet linear,2 and a controller with FORMS_TOKEN, logged in at /ui/<path>. */
export const startFormsRig = (path: string): Promise<UiRig> =>
  startUi({ topo: 'linear,2', token: FORMS_TOKEN, path });

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

/**
 * Waits until `read()` passes `want` (the exact text, a regexp or a predicate); returns that text. The
 * detail has what it read last, the page's errors and the controller's log.
 */
export async function waitForShown(
  b: BrowserSession,
  ctl: RunningController,
  what: string,
  read: () => Promise<string>,
  want: string | RegExp | ((text: string) => boolean),
  timeoutMs = 20_000,
): Promise<string> {
  let last = '';
  const ok =
    typeof want === 'function'
      ? want
      : typeof want === 'string'
        ? (t: string) => t === want
        : (t: string) => want.test(t);
  return waitFor(
    async () => {
      last = await read();
      return ok(last) ? last : undefined;
    },
    {
      what: typeof want === 'function' ? what : `${what} to show ${String(want)}`,
      timeoutMs,
      detail: () => `it showed ${JSON.stringify(last.slice(0, 2000))}; ${pageProblems(b, ctl)}`,
    },
  );
}

/** Waits until `target`'s text passes `want`; returns that text. */
export const waitForText = (
  b: BrowserSession,
  ctl: RunningController,
  target: Locator,
  want: RegExp | ((text: string) => boolean),
  what: string,
  timeoutMs?: number,
): Promise<string> => waitForShown(b, ctl, what, () => textOf(target), want, timeoutMs);

/** Opens /ui/<path> and logs in with `token` when the login screen asks (it lives in sessionStorage). */
export async function openLoggedIn(
  b: BrowserSession,
  ctl: RunningController,
  path: string,
  token: string,
): Promise<void> {
  await b.page.goto(`${ctl.apiUrl}/ui/${path}`);
  const form = b.page.getByRole('form', { name: 'Log in' });
  const nav = b.page.getByRole('navigation', { name: 'Pages' });
  await form.or(nav).first().waitFor({ timeout: 20_000 });
  if (await form.isVisible()) {
    await b.page.getByLabel('API token').fill(token);
    await b.page.getByRole('button', { name: 'Log in' }).click();
    await nav.waitFor({ timeout: 20_000 });
  }
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

/** The page logged no console error and no request failed (beyond what was taken back). */
export function assertNoPageProblems(b: BrowserSession): void {
  assert.deepEqual(b.consoleErrors, [], 'no console errors');
  assert.deepEqual(b.failedRequests, [], 'no failed requests');
}

/**
 * Takes back the one failed request `method path` answered `status` (a rejection the test caused on
 * purpose) and the console line Chromium logs for it; fails when there was none.
 */
export function takeBackRejection(b: BrowserSession, method: string, path: string, status: number): void {
  const i = b.failedRequests.findIndex((r) => {
    const m = /^(\S+) (\S+): (\S+)$/.exec(r);
    return m !== null && m[1] === method && new URL(m[2]).pathname === path && m[3] === String(status);
  });
  assert.ok(i >= 0, `a ${method} ${path} answered ${status} among ${JSON.stringify(b.failedRequests)}`);
  b.failedRequests.splice(i, 1);
  const j = b.consoleErrors.findIndex((e) => e.includes(`status of ${status}`) && e.includes(path));
  if (j >= 0) b.consoleErrors.splice(j, 1);
}
