/**
 * The QoS page in Chromium against `sluice controller` and Mininet linear,2 (OpenFlow 1.3): QoS enabled from
 * the page; a queuing policy added in the form is listed with where it is placed and its flow is on s1
 * (ovs-ofctl dump-flows), a malformed address comes back as the API's error next to the field; a service
 * and a path (listed with its hops) are added and deleted. The path's "Show on topology" draws it on the
 * topology page (its switches and the links between its hops, in its direction; read from the page's
 * window.__sluiceTopology handle), and once deleted the drawing is cleared. No console error and no failed
 * request beyond that rejection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceClient } from '../../src/client/index.js';
import { dumpFlows, waitFor } from './harness/index.js';
import {
  assertNoPageProblems,
  FORMS_TOKEN,
  S1,
  startFormsRig,
  takeBackRejection,
  waitForShown,
  type UiRig,
} from './helpers/ui.js';

let rig: UiRig;

before(async () => {
  rig = await startFormsRig('qos');
});

after(async () => {
  await rig?.stop();
});

/** QoS flows carry the qos app's cookie (0x6 in the top bits). */
const qosFlowOnS1 = (pred: (line: string) => boolean, what: string, present = true) =>
  waitFor(
    async () =>
      (await dumpFlows('s1')).some((l) => /cookie=0x6[0-9a-f]{12}\b/.test(l) && pred(l)) === present,
    {
      what: `${what} ${present ? 'on' : 'gone from'} s1`,
      timeoutMs: 15_000,
      detail: async () => (await dumpFlows('s1')).join('\n'),
    },
  );

/** What the topology page draws as the QoS path (TopologyDebug.qosPath in web/src/pages/topology.tsx). */
interface DrawnPath {
  nodes: string[];
  edges: { id: string; from: string; to: string }[];
}
const drawnPath = (rig: UiRig) =>
  rig.b.page.evaluate('window.__sluiceTopology?.qosPath()') as Promise<DrawnPath | undefined>;

test('QoS: enable, a policy from the form on the switch, a bad address named, services and paths', async () => {
  const { b, ctl, net } = rig;
  const page = b.page;

  await waitForShown(b, ctl, 'the QoS switch', () => page.getByTestId('enabled').innerText(), /disabled/);
  await page.getByRole('button', { name: 'Enable QoS' }).click();
  await waitForShown(b, ctl, 'the QoS switch', () => page.getByTestId('enabled').innerText(), /enabled/);

  const policy = page.getByRole('form', { name: 'QoS policy' });
  const input = (name: string) => policy.locator(`[name="${name}"]`);
  await policy.getByLabel('Does').selectOption('queue');
  await input('name').fill('ui-queue');
  await waitFor(async () => (await input('sw').locator('option').count()) === 4, {
    what: 'all, none and both switches offered',
    timeoutMs: 10_000,
  });
  await input('sw').selectOption(S1);
  await input('ip-dst').fill('10.0.0.999');
  await input('queue').fill('1');
  await input('enqueue-port').fill('2');
  await policy.getByRole('button', { name: 'Add policy' }).click();
  await waitForShown(
    b,
    ctl,
    'the ip-dst error',
    () => page.getByTestId('field-error-ip-dst').innerText(),
    /10\.0\.0\.999/,
  );
  takeBackRejection(b, 'POST', '/api/v1/qos/policies', 400);
  await b.screenshot('qos-field-error');

  await input('ip-dst').fill('10.0.0.2');
  await policy.getByRole('button', { name: 'Add policy' }).click();
  const row = page.getByTestId('qos-policies').locator('tr[data-name="ui-queue"]');
  await waitForShown(b, ctl, 'the ui-queue policy', () => row.innerText(), new RegExp(`${S1} → port 2`));
  await qosFlowOnS1((l) => /nw_dst=10\.0\.0\.2.*actions=set_queue:1/.test(l), 'the ui-queue flow');

  // A service, and a path between the hosts (once they are known) listed with its hops.
  const service = page.getByRole('form', { name: 'QoS service' });
  await service.locator('[name="name"]').fill('Expedited');
  await service.locator('[name="tos"]').fill('184');
  await service.getByRole('button', { name: 'Add service' }).click();
  await waitForShown(
    b,
    ctl,
    'the service',
    () => page.getByTestId('qos-services').innerText(),
    /Expedited\s+184 \(DSCP 46\)/,
  );

  await net.pingallUntil(0, 20_000);
  const path = page.getByRole('form', { name: 'QoS path' });
  await path.locator('[name="name"]').fill('ui-path');
  await path.locator('[name="src-ip"]').fill('10.0.0.1');
  await path.locator('[name="dst-ip"]').fill('10.0.0.2');
  await path.locator('[name="rate-kbps"]').fill('2000');
  await path.getByRole('button', { name: 'Add path' }).click();
  const pathRow = page.getByTestId('qos-paths').locator('tr[data-name="ui-path"]');
  const shown = await waitForShown(
    b,
    ctl,
    'the ui-path hops',
    () => pathRow.innerText(),
    /active[\s\S]*:02: port \d+ → \d+/,
  );
  assert.match(shown, /00:00:00:00:00:00:00:01: port 1 → 2/);
  await b.screenshot('qos');

  // On the topology: each hop's switch outlined, and between hop i and i+1 the link of i's out-port and
  // i+1's in-port, its arrow from i to i+1.
  const client = new SluiceClient({ baseUrl: ctl.apiUrl!, token: FORMS_TOKEN });
  const { hops } = (await client.qos.paths()).find((p) => p.path.name === 'ui-path')!;
  await pathRow.getByRole('link', { name: 'Show on topology' }).click();
  const drawnAll = () =>
    waitFor(
      async () => {
        const d = await drawnPath(rig);
        return d?.edges.length === hops.length - 1 ? d : undefined;
      },
      {
        what: 'the path drawn on the topology',
        timeoutMs: 20_000,
        detail: async () => `drawn ${JSON.stringify(await drawnPath(rig))}; hops ${JSON.stringify(hops)}`,
      },
    );
  const drawn = await drawnAll();
  assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/ui/topology?path=ui-path');
  assert.deepEqual([...drawn.nodes].sort(), hops.map((h) => h.switch).sort());
  hops.slice(1).forEach((next, i) => {
    const ends = [`${hops[i].switch}/${hops[i]['out-port']}`, `${next.switch}/${next['in-port']}`];
    const edge = drawn.edges.find((e) => ends.every((end) => e.id.includes(end)));
    assert.ok(edge, `an edge between ${ends.join(' and ')} among ${JSON.stringify(drawn.edges)}`);
    assert.deepEqual([edge.from, edge.to], [hops[i].switch, next.switch], 'drawn in the path direction');
  });
  await waitForShown(
    b,
    ctl,
    'the path in the side panel',
    () => page.getByTestId('topology-path').innerText(),
    /ui-path[\s\S]*10\.0\.0\.1 → 10\.0\.0\.2, active[\s\S]*:01: port 1 → 2/,
  );
  await b.screenshot('topology-qos-path');

  // The picker clears and redraws it.
  const picker = page.getByLabel('QoS path');
  assert.equal(await picker.inputValue(), 'ui-path');
  await picker.selectOption('');
  await waitFor(async () => (await drawnPath(rig))?.edges.length === 0, {
    what: 'the path cleared',
    timeoutMs: 10_000,
  });
  assert.equal(new URL(page.url()).search, '');
  await picker.selectOption('ui-path');
  await drawnAll();

  // Deleted on the QoS page: back on the topology, nothing is drawn and the panel says why.
  await page.goBack();
  await pathRow.getByRole('button', { name: 'Delete' }).click();
  await waitFor(async () => (await pathRow.count()) === 0, { what: 'the path to go', timeoutMs: 10_000 });
  await page.goForward();
  await waitForShown(
    b,
    ctl,
    'the deleted path in the side panel',
    () => page.getByTestId('topology-path').innerText(),
    /There is no QoS path “ui-path”/,
  );
  const cleared = await waitFor(drawnPath.bind(null, rig), { what: 'the graph', timeoutMs: 10_000 });
  assert.deepEqual(cleared, { nodes: [], edges: [] });
  await page.goBack();
  await row.getByRole('button', { name: 'Delete' }).click();
  await waitFor(async () => (await row.count()) === 0, { what: 'the policy to go', timeoutMs: 10_000 });
  await qosFlowOnS1((l) => l.includes('set_queue:1'), 'the ui-queue flow', false);
  assertNoPageProblems(b);
});
