/**
 * What the dashboard's browser tests share: reading an element by test id, waiting until it shows something
 * (the failure names what it showed and what the page collected), and opening a page logged in.
 */
import { waitFor, type BrowserSession, type RunningController } from '../harness/index.js';

/** The trimmed text of [data-testid=`testid`] (the first one), or '' when it is not there. */
export async function textOf(b: BrowserSession, testid: string): Promise<string> {
  const el = b.page.getByTestId(testid).first();
  if ((await el.count()) === 0) return '';
  return ((await el.textContent({ timeout: 1000 })) ?? '').trim();
}

/** Waits until `read()` passes `want`; the detail has what it read last, the page's errors and the log. */
export async function waitForShown(
  b: BrowserSession,
  ctl: RunningController,
  what: string,
  read: () => Promise<string>,
  want: string | RegExp,
  timeoutMs = 20_000,
): Promise<string> {
  let last = '';
  return waitFor(
    async () => {
      last = await read();
      return (typeof want === 'string' ? last === want : want.test(last)) ? last : undefined;
    },
    {
      what: `${what} to show ${String(want)}`,
      timeoutMs,
      detail: () =>
        `it showed ${JSON.stringify(last)}; console errors: ${JSON.stringify(b.consoleErrors)}; failed ` +
        `requests: ${JSON.stringify(b.failedRequests)}\ncontroller log:\n${ctl.logTail(20)}`,
    },
  );
}

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
