/**
 * The host-aware and container-network pages in headless Chromium against `sluice controller` (with an API
 * token, so the message stream must send it: fetch, not EventSource) and a real gmond on loopback reporting a
 * spoofed host h1. The host-aware page shows the gmond source healthy, h1's metrics as gmetric changes them
 * (with a sparkline), a rule added through the API with its state going idle -> active, and the rule's messages
 * arriving on the live stream without a reload; a bad source from its form is refused in place naming the
 * field. The networks page, with no agent sharing the store, explains how networks get there. No console
 * errors, no failed API calls; screenshots in test-artifacts/ui/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceClient } from '../../src/client/node.js';
import {
  openBrowser,
  sluiceCommand,
  startController,
  startGmond,
  type BrowserSession,
  type GmondInstance,
  type RunningController,
} from './harness/index.js';
import { openLoggedIn, textOf, waitForShown } from './helpers/ui.js';

const TOKEN = 'ui-hostaware-token-3f9a';
const SOURCE = 'ui-gmond';
const RULE = 'ui-hot-h1';

let ctl: RunningController;
let gmond: GmondInstance;
let api: SluiceClient;
let b: BrowserSession;

const setBytesOut = (v: number) =>
  gmond.gmetric('bytes_out', v, { spoof: '10.0.0.1:h1', units: 'bytes/sec' });

before(async () => {
  ctl = await startController({ command: sluiceCommand(['--api-token', TOKEN]) });
  api = new SluiceClient({ baseUrl: ctl.apiUrl!, token: TOKEN });
  gmond = await startGmond();
  await setBytesOut(1000);
  await gmond.waitForMetric('h1', 'bytes_out');
  await api.hostaware.addSource({
    type: 'gmond',
    name: SOURCE,
    address: `127.0.0.1:${gmond.xmlPort}`,
    interval: 1,
  });
  b = await openBrowser();
});

after(async () => {
  await b?.close();
  await gmond?.close();
  await ctl?.stop();
});

const shows = (what: string, read: () => Promise<string>, want: string | RegExp, timeoutMs?: number) =>
  waitForShown(b, ctl, what, read, want, timeoutMs);
const inHost = (testid: string) => () =>
  b.page
    .getByTestId('host-h1')
    .getByTestId(testid)
    .first()
    .innerText({ timeout: 1000 })
    .catch(() => '');

test('host-aware: a healthy gmond source, h1 live, a rule and its messages as they happen', async () => {
  await openLoggedIn(b, ctl, 'hostaware', TOKEN);
  // The 401s so far were the login's own probe; from here on, none.
  b.resetProblems();

  const source = b.page.getByTestId(`source-${SOURCE}`);
  await shows('the source health', () => source.getByTestId('source-state').innerText(), 'ok');
  await shows('h1 bytes_out', inHost('metric-bytes_out'), /^bytes_out\s+1000 bytes\/sec/);
  await shows('the stream state', () => textOf(b.page.getByTestId('stream-state')), 'live');

  // A new value shows without a reload, and the sparkline has both.
  await b.page.evaluate('window.sluiceMarker = 1');
  await setBytesOut(2000);
  await shows('h1 bytes_out', inHost('metric-bytes_out'), /^bytes_out\s+2000 bytes\/sec/);
  const points = await b.page
    .getByTestId('host-h1')
    .getByTestId('metric-bytes_out')
    .getByTestId('sparkline')
    .getAttribute('data-points');
  assert.ok(Number(points) >= 2, `the sparkline holds both values (data-points ${points})`);

  // A rule added through the API: its row and state, and its message on the stream.
  await api.hostaware.addRule({
    name: RULE,
    host: 'h1',
    conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 1e6 }],
    checkLimit: 1,
    action: { type: 'report' },
  });
  const rule = b.page.getByTestId(`rule-${RULE}`);
  const ruleMessages = () =>
    b.page
      .getByTestId('message')
      .filter({ hasText: `rule ${RULE}` })
      .allInnerTexts()
      .then((t) => t.join('\n'));
  await shows('the rule added message', ruleMessages, /INFO[\s\S]*rule added/);
  await shows('the rule state on h1', () => rule.getByTestId('rule-state-h1').innerText(), /^h1:\s*idle$/);
  await b.screenshot('hostaware');

  await setBytesOut(5e6);
  await shows('the rule state on h1', () => rule.getByTestId('rule-state-h1').innerText(), /^h1:\s*active/);
  await shows('the threshold message', ruleMessages, /THRESHOLD_MET[\s\S]*host h1/);
  await shows('h1 bytes_out', inHost('metric-bytes_out'), /^bytes_out\s+5000000 bytes\/sec/);
  assert.equal(await b.page.evaluate('window.sluiceMarker'), 1, 'the page was not reloaded');
  assert.equal(await textOf(b.page.getByTestId('stream-state')), 'live');
  await b.screenshot('hostaware-rule-active');

  assert.deepEqual(b.consoleErrors, [], 'no console errors');
  assert.deepEqual(b.failedRequests, [], 'no failed requests');

  // A source the API refuses: the reason and the field, in place.
  const form = b.page.getByRole('form', { name: 'Add a source' });
  await form.getByRole('textbox', { name: 'address' }).fill('not an address');
  await form.getByRole('button', { name: 'Add' }).click();
  const refused = await shows('the refusal', () => textOf(b.page.getByTestId('problem')), /field: address/);
  assert.match(refused, /The API answered 400/);
  await b.screenshot('hostaware-source-refused');
  assert.deepEqual(
    Array.from<string>(b.failedRequests).map((f) => f.replace(/^(\w+) http:\/\/[^/]+/, '$1 ')),
    ['POST /api/v1/hostaware/sources: 400'],
    'only the refused source failed',
  );
  assert.deepEqual(
    b.consoleErrors.filter((e) => !/status of 400/.test(e)),
    [],
    'no other console error',
  );
});

test('networks: with no agent sharing the store, the page explains how networks get there', async () => {
  await openLoggedIn(b, ctl, 'networks', TOKEN);
  b.resetProblems();
  const empty = await shows(
    'the empty state',
    () => textOf(b.page.getByTestId('networks-empty')),
    /No container network yet/,
  );
  assert.match(empty, /sluice agent/);
  assert.match(empty, /sluice network create/);
  assert.equal(await b.page.getByTestId('problem').count(), 0, 'no error shown');
  // Still there after the next polls (live, not a one-off).
  await b.page.waitForResponse((r) => r.url().endsWith('/api/v1/agents'), { timeout: 10_000 });
  await shows(
    'the empty state',
    () => textOf(b.page.getByTestId('networks-empty')),
    /No container network yet/,
  );
  await b.screenshot('networks-empty');
  assert.deepEqual(b.consoleErrors, [], 'no console errors');
  assert.deepEqual(b.failedRequests, [], 'no failed requests');
});
