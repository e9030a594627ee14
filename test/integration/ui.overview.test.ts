/**
 * The dashboard in headless Chromium against `sluice controller` (with an API token) and a Mininet linear,2
 * network: the login screen takes the token, the overview shows the real counts and its chart with no console
 * error and no failed request, every page in the nav renders, and a stopped controller shows as a message in
 * place. Screenshots of each page go to test-artifacts/ui/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, type BrowserSession, type MininetNet, type RunningController } from './harness/index.js';
import { openLoggedIn, startUi, textOf, waitForShown, type UiRig } from './helpers/ui.js';

const TOKEN = 'ui-test-token-7d1c';
/** The nav's pages (web/src/pages/index.ts), by path and heading. */
const PAGES: [string, string][] = [
  ['overview', 'Overview'],
  ['topology', 'Topology'],
  ['switches', 'Switches'],
  ['hosts', 'Hosts'],
  ['staticflows', 'Static flows'],
  ['firewall', 'Firewall & ACL'],
  ['qos', 'QoS'],
  ['hostaware', 'Host-aware'],
  ['networks', 'Container networks'],
];

let rig: UiRig;
let ctl: RunningController;
let net: MininetNet;
let b: BrowserSession;

before(async () => {
  rig = await startUi({ topo: 'linear,2', token: TOKEN });
  ({ ctl, net, b } = rig);
});

after(async () => {
  await rig?.stop();
});

const text = (testid: string) => textOf(b.page.getByTestId(testid));
const waitForText = (testid: string, want: string | RegExp, timeoutMs?: number) =>
  waitForShown(b, ctl, `[data-testid=${testid}]`, () => text(testid), want, timeoutMs);

test('login with the token, then the overview shows the network and every page renders', async () => {
  await b.page.goto(`${ctl.apiUrl}/ui/`);
  await b.page.getByRole('form', { name: 'Log in' }).waitFor({ timeout: 20_000 });
  await b.screenshot('login');

  // A wrong token is refused in place.
  await b.page.getByLabel('API token').fill('not-the-token');
  await b.page.getByRole('button', { name: 'Log in' }).click();
  await b.page.getByText('The controller refused this token.').waitFor({ timeout: 10_000 });

  await b.page.getByLabel('API token').fill(TOKEN);
  await b.page.getByRole('button', { name: 'Log in' }).click();
  await b.page.getByRole('navigation', { name: 'Pages' }).waitFor({ timeout: 20_000 });
  // The 401s so far were the login's own (the probe and the wrong token); from here on, none.
  b.resetProblems();

  // Run in the page (the test's own tsconfig has no DOM types, hence the text).
  const stored = await b.page.evaluate(
    '({ session: sessionStorage.getItem("sluice.apiToken"), local: localStorage.length })',
  );
  assert.deepEqual(stored, { session: TOKEN, local: 0 });

  await waitForText('count-switches', '2');
  await waitForText('count-links', '1');
  await waitForText('health', 'ok');
  assert.match(await text('version'), /\d+\.\d+\.\d+/);
  assert.match(await text('apps'), /forwarding/);
  // Traffic makes hosts and forwarding flows the overview then counts.
  await net.pingallUntil(0, 20_000);
  await waitForText('count-hosts', '2');
  await waitForText('count-flows', /^[1-9]\d*$/);
  assert.equal(await b.page.locator('[data-testid=chart] canvas').count(), 1, 'the chart draws on a canvas');
  // A line needs readings: each poll (2 s) adds one.
  await waitFor(async () => Number(await b.page.getByTestId('chart').getAttribute('data-points')) >= 3, {
    what: 'the chart to hold 3 readings',
    timeoutMs: 20_000,
  });
  await b.screenshot('overview');

  for (const [path, title] of PAGES) {
    await b.page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: title }).click();
    await b.page.getByRole('heading', { level: 1, name: title }).waitFor({ timeout: 10_000 });
    assert.equal(new URL(b.page.url()).pathname, `/ui/${path}`);
    await b.screenshot(path);
  }

  // A deep link survives a reload: index.html for the route, the token still in the session.
  await b.page.goto(`${ctl.apiUrl}/ui/hosts`);
  await b.page.getByRole('heading', { level: 1, name: 'Hosts' }).waitFor({ timeout: 10_000 });

  assert.deepEqual(b.consoleErrors, [], 'no console errors');
  assert.deepEqual(b.failedRequests, [], 'no failed requests');
});

test('a stopped controller shows as a message in place, and the page recovers', async () => {
  await openLoggedIn(b, ctl, 'overview', TOKEN);
  await waitForText('count-switches', '2');
  await ctl.stop({ keepData: true });
  try {
    const shown = await waitForText(
      'problem',
      /Lost connection to the controller at http:\/\/127\.0\.0\.1:\d+/,
    );
    assert.match(shown, /Is `sluice controller` still running\?/);
    // The last figures stay on the page under the message: never a blank page.
    assert.equal(await text('count-switches'), '2');
    await b.screenshot('overview-lost-connection');
  } finally {
    await ctl.restart();
  }
  // Polling resumes by itself once the controller is back (the token is still in the session).
  await waitFor(async () => (await b.page.getByTestId('problem').count()) === 0, {
    what: 'the lost-connection message to clear after the restart',
    timeoutMs: 20_000,
  });
  await waitForText('count-switches', '2', 30_000);
});
