/**
 * The Switches page in headless Chromium against `sluice controller`, a Mininet linear,2 network over OpenFlow
 * 1.3 and one OVS bridge speaking only OpenFlow 1.0: the list shows the real switches; a switch's page shows
 * its ports with counters that move after a ping, its flow table as ovs-ofctl prints it, a meter added with
 * ovs-ofctl; the 1.0 switch's meters and groups say they are not in OpenFlow 1.0. No console error, no failed
 * request; screenshots in test-artifacts/ui/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addTestBridge,
  deleteBridge,
  ofctl,
  waitFor,
  type BrowserSession,
  type MininetNet,
  type RunningController,
} from './harness/index.js';
import {
  assertNoPageProblems,
  openPage,
  pageProblems,
  S1,
  startUi,
  textOf,
  waitForText,
  type UiRig,
} from './helpers/ui.js';

const S2 = '00:00:00:00:00:00:00:02';
/** The OpenFlow 1.0 bridge (not part of the Mininet network). */
const OF10_BRIDGE = 'uisw10';
const OF10_DPID = '00:00:00:00:00:00:00:aa';

let rig: UiRig;
let ctl: RunningController;
let net: MininetNet;
let b: BrowserSession;

before(async () => {
  rig = await startUi({ topo: 'linear,2' });
  ({ ctl, net, b } = rig);
  await addTestBridge(OF10_BRIDGE, {
    protocols: 'OpenFlow10',
    dpid: OF10_DPID.replaceAll(':', ''),
    controllers: [`tcp:127.0.0.1:${ctl.openflowPort}`],
  });
});

after(async () => {
  await deleteBridge(OF10_BRIDGE).catch(() => undefined);
  await rig?.stop();
});

const row = (table: string, attr: string, value: string) =>
  b.page.locator(`[data-testid=${table}] tbody tr[${attr}="${value}"]`);

/** The number in a counter cell (thousands separators dropped); NaN for a dash. */
const counter = async (port: string, col: string) =>
  Number((await textOf(row('ports', 'data-port', port).locator(`td[data-col=${col}]`))).replaceAll(',', ''));

test('the list shows the switches; a switch shows ports, moving counters, flows and meters', async () => {
  await openPage(b, `${ctl.apiUrl}/ui/switches`);
  await waitForText(b, ctl, b.page.getByTestId('switch-count'), /^3 switches connected$/, 'three switches');
  assert.match(await textOf(row('switches', 'data-dpid', S1)), /1\.3/);
  assert.match(await textOf(row('switches', 'data-dpid', S2)), /1\.3/);
  assert.match(await textOf(row('switches', 'data-dpid', OF10_DPID)), /1\.0/);
  // The flow count comes from aggregate stats: s1 has at least its table-miss entry.
  await waitForText(
    b,
    ctl,
    row('switches', 'data-dpid', S1).locator('td').nth(5),
    (t) => Number(t) >= 1,
    's1 flow count',
  );
  await b.screenshot('switches');

  await row('switches', 'data-dpid', S1).getByRole('link', { name: S1 }).click();
  await waitFor(() => new URL(b.page.url()).pathname === `/ui/switches/${S1}`, {
    what: 'the switch page URL',
    detail: () => b.page.url(),
  });
  await waitForText(b, ctl, b.page.getByTestId('sw-openflow'), /^1\.3$/, 's1 OpenFlow version');
  for (const port of ['s1-eth1', 's1-eth2']) {
    await waitForText(b, ctl, row('ports', 'data-port', port), /\S/, `port ${port} listed`);
  }

  const before = await waitFor(
    async () => {
      const n = await counter('s1-eth1', 'rxPackets');
      return Number.isFinite(n) ? n : undefined;
    },
    { what: 's1-eth1 rx counter', timeoutMs: 20_000, detail: () => pageProblems(b, ctl) },
  );
  await net.pingallUntil(0, 20_000);
  await waitFor(async () => (await counter('s1-eth1', 'rxPackets')) > before, {
    what: `s1-eth1 rx packets to pass ${before} after pingall`,
    timeoutMs: 20_000,
    detail: async () => `shows ${await counter('s1-eth1', 'rxPackets')}; ${pageProblems(b, ctl)}`,
  });
  // Rates need two rounds of the statistics app (every 5 s): the rx rate turns from a dash into a number.
  await waitForText(
    b,
    ctl,
    row('ports', 'data-port', 's1-eth1').locator('td').nth(10),
    /bit\/s$/,
    's1-eth1 rx rate',
    30_000,
  );
  await b.screenshot('switch-ports');

  await b.page.getByTestId('tab-flows').click();
  const flows = await waitForText(
    b,
    ctl,
    b.page.getByTestId('flows-text'),
    /priority=0 actions=CONTROLLER:65535/,
    's1 flows text with the table-miss entry',
  );
  assert.match(flows, /^ ?cookie=0x[0-9a-f]+, duration=[\d.]+s, table=0, n_packets=\d+, n_bytes=\d+, /m);
  assert.equal(new URL(b.page.url()).searchParams.get('tab'), 'flows', 'the tab is in the URL');
  await b.screenshot('switch-flows');

  await b.page.getByTestId('tab-meters').click();
  await waitForText(b, ctl, b.page.getByTestId('none'), /No meters/, 's1 has no meters yet');
  await ofctl(['add-meter', 's1', 'meter=7,kbps,band=type=drop,rate=2000']);
  await waitForText(b, ctl, b.page.getByTestId('meters'), /7\s*drop rate=2000 kbps/, 'meter 7 listed');
  await b.screenshot('switch-meters');

  for (const tab of ['queues', 'groups'] as const) {
    await b.page.getByTestId(`tab-${tab}`).click();
    await waitForText(b, ctl, b.page.getByTestId('none'), /^No /, `s1 ${tab}: none`);
  }
  await b.page.getByTestId('tab-desc').click();
  await waitForText(b, ctl, b.page.getByTestId('desc'), /Open vSwitch/, 's1 description');
  assertNoPageProblems(b);
});

test("an OpenFlow 1.0 switch's meters and groups say they are not in OpenFlow 1.0", async () => {
  await openPage(b, `${ctl.apiUrl}/ui/switches/${OF10_DPID}?tab=meters`);
  await waitForText(b, ctl, b.page.getByTestId('sw-openflow'), /^1\.0$/, 'the 1.0 switch');
  await waitForText(b, ctl, b.page.getByTestId('not-in-of10'), /not in OpenFlow 1\.0/, 'meters: not in 1.0');
  await b.screenshot('switch-of10-meters');
  await b.page.getByTestId('tab-groups').click();
  await waitForText(b, ctl, b.page.getByTestId('not-in-of10'), /Groups are not in OpenFlow 1\.0/, 'groups');
  // What 1.0 has still works: its flow table and description.
  await b.page.getByTestId('tab-flows').click();
  await waitForText(b, ctl, b.page.getByTestId('flow-count'), /^\d+ flows? /, 'the 1.0 switch flows');
  await b.page.getByTestId('tab-desc').click();
  await waitForText(b, ctl, b.page.getByTestId('desc'), /Open vSwitch/, 'the 1.0 switch description');

  assertNoPageProblems(b);

  // A switch that is not connected is said so in place.
  await openPage(b, `${ctl.apiUrl}/ui/switches/00:00:00:00:00:00:0b:ad`);
  await waitForText(b, ctl, b.page.getByTestId('problem'), /not connected|not found/i, 'unknown switch');
  assert.equal(b.consoleErrors.filter((e) => !/404/.test(e)).length, 0, `console: ${b.consoleErrors}`);
  assert.ok(
    b.failedRequests.every((r) => /\/api\/v1\/switches\/[0-9a-f%:A]+0b(%3A|:)ad: 404$/i.test(r)),
    `only the unknown switch's own 404s failed: ${JSON.stringify(b.failedRequests)}`,
  );
});
