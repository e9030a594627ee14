/**
 * The Nodes page in Chromium against `sluice controller --nodes-listen` with this machine's Open vSwitch as a
 * transport node over SSL (set-ssl, set-manager ssl:, set-controller ssl:): the node is listed connected on
 * OVSDB and OpenFlow with its DPID, its zone lists it, the cluster lists this controller's listeners; the
 * node's interfaces show counters that change live while traffic leaves its bridge port; two `sluice node
 * apply` revisions show in the description's history; an unknown node's link shows the API's error. A
 * controller without --nodes-listen says its listeners are off and still lists the stored descriptions. No
 * console error and no failed request beyond that rejection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  connectSslNode,
  ensureOvs,
  noteOvsManagers,
  openBrowser,
  removeSslNode,
  run,
  sluiceCli,
  sslNodeDescription,
  startController,
  startNodesController,
  waitSslNodeConnected,
  type BrowserSession,
  type NodesController,
  type OvsManagers,
} from './harness/index.js';
import {
  assertNoPageProblems,
  openLoggedIn,
  openPage,
  takeBackRejection,
  textOf,
  waitForShown,
  waitForText,
} from './helpers/ui.js';

const TOKEN = 'ui-nodes-token-5c1d';
const NODE = 'hv-ui';
const ZONE = 'tz-ui';
const BRIDGE = 'suinodebr';
const NODE_OPTS = { node: NODE, zone: ZONE, bridge: BRIDGE, dpid: '000000000000b0de' };

let dir: string;
let managers: OvsManagers | undefined;
let nodes: NodesController;
let b: BrowserSession;

before(async () => {
  await ensureOvs();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ui-nodes-'));
  managers = await noteOvsManagers();
  nodes = await startNodesController(TOKEN);
  await connectSslNode(nodes, managers, { ...NODE_OPTS, dir });
  await waitSslNodeConnected(nodes, NODE);
  b = await openBrowser();
  await openLoggedIn(b, nodes.ctl, 'nodes', TOKEN);
  b.resetProblems();
});

after(async () => {
  await b?.close();
  await removeSslNode(managers, BRIDGE);
  await nodes?.ctl.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('nodes: the connected node, its zone, the cluster; its interfaces with live counters', async () => {
  const { ctl, ovsdbPort } = nodes;
  const page = b.page;
  const row = page.getByTestId('transport-nodes').locator(`tr[data-node="${NODE}"]`);
  await waitForText(b, ctl, row.getByTestId('ovsdb-state'), /^connected/, 'the OVSDB state');
  await waitForText(b, ctl, row.getByTestId('openflow-state'), /^connected/, 'the OpenFlow state');
  assert.equal(await textOf(row.getByTestId('dpid')), '00:00:00:00:00:00:b0:de');
  assert.match(await textOf(row), new RegExp(`hypervisor${ZONE}127\\.0\\.0\\.1`));
  const zone = page.getByTestId('transport-zones').locator(`tr[data-zone="${ZONE}"]`);
  await waitForText(b, ctl, zone, new RegExp(`${NODE}1 of 1`), 'the zone with its node');
  const cluster = await waitForText(b, ctl, page.getByTestId('cluster'), /ovsdb-manager/, 'the cluster');
  assert.match(cluster, new RegExp(`ovsdb-manager ssl:127\\.0\\.0\\.1:${ovsdbPort}`));
  assert.match(cluster, /api \S*127\.0\.0\.1:\d+/);
  assert.equal(await page.getByTestId('listeners-off').count(), 0, 'the listeners are on');
  await b.screenshot('nodes');

  // The node's page: its interfaces, counters and rates as the node reports them (every few seconds).
  await row.getByRole('link', { name: NODE }).click();
  const iface = page.getByTestId('interfaces').locator(`tr[data-iface="${BRIDGE}"]`);
  const first = await waitForText(b, ctl, iface, /\d/, `${BRIDGE}'s counters`);
  // Traffic out of the bridge's port (ARP for a neighbour that is not there) moves its counters.
  await run('ip', ['link', 'set', BRIDGE, 'up']);
  await run('ip', ['addr', 'replace', '169.254.231.1/30', 'dev', BRIDGE]);
  const traffic = run('ping', ['-c', '12', '-i', '0.5', '-I', BRIDGE, '169.254.231.2'], {
    timeoutMs: 20_000,
  });
  const changed = await waitForText(
    b,
    ctl,
    iface,
    (t) => t !== first && /\d+(\.\d+)? k?bit\/s/.test(t),
    `${BRIDGE}'s counters to change and a rate to show`,
    30_000,
  );
  assert.notEqual(changed, first);
  await traffic;
  await b.screenshot('nodes-interfaces');
  assertNoPageProblems(b);
});

test('nodes: two `sluice node apply` revisions in the history; an unknown node shows the API error', async () => {
  const { ctl } = nodes;
  const page = b.page;
  const file = path.join(dir, 'nodes.json');
  for (const rack of ['rack 7', 'rack 8']) {
    fs.writeFileSync(
      file,
      JSON.stringify({ nodes: [{ ...sslNodeDescription({ ...NODE_OPTS, dir }), description: rack }] }),
    );
    const r = await sluiceCli(ctl, ['node', 'apply', file, '--token', TOKEN]);
    assert.equal(r.code, 0, r.stderr);
  }
  await openPage(b, `${ctl.apiUrl}/ui/nodes`);
  const described = page.getByTestId('descriptions').locator(`tr[data-description="${NODE}"]`);
  await waitForText(b, ctl, described, /hypervisor/, 'the description');
  await described.getByRole('link', { name: NODE }).click();
  const history = page.getByTestId('history');
  const shown = await waitForShown(
    b,
    ctl,
    'the history, newest first',
    async () => (await history.locator('tbody tr').allTextContents()).join(' | '),
    /^3.*updated.* \| 2.*updated.* \| 1.*created/s,
  );
  assert.ok(shown);
  assert.match(await textOf(history.locator('tr[data-revision="3"]')), /rack 8/);
  assert.match(await textOf(history.locator('tr[data-revision="2"]')), /rack 7/);
  await b.screenshot('nodes-history');
  assertNoPageProblems(b);

  // An unknown node's link: the API's reason in place (each poll's 404 taken back).
  await openPage(b, `${ctl.apiUrl}/ui/nodes/hv-nobody`);
  await waitForText(
    b,
    ctl,
    page.getByTestId('problem'),
    /transport node hv-nobody is not registered/,
    "the unknown node's error",
  );
  while (b.failedRequests.some((r) => r.includes('/api/v1/transport-nodes/hv-nobody'))) {
    takeBackRejection(b, 'GET', '/api/v1/transport-nodes/hv-nobody', 404);
  }
  assertNoPageProblems(b);
});

test('nodes: without --nodes-listen the page says the listeners are off and lists the descriptions', async () => {
  const plain = await startController();
  try {
    const put = await fetch(`${plain.apiUrl}/api/v1/nodes/${NODE}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sslNodeDescription({ ...NODE_OPTS, dir })),
    });
    assert.equal(put.status, 200, await put.text());
    await openPage(b, `${plain.apiUrl}/ui/nodes`);
    const page = b.page;
    await waitForText(
      b,
      plain,
      page.getByTestId('listeners-off'),
      /--nodes-listen/,
      'the listeners-off note',
    );
    const described = page.getByTestId('descriptions').locator(`tr[data-description="${NODE}"]`);
    await waitForText(b, plain, described, new RegExp(`${NODE}hypervisor${ZONE}`), 'the stored description');
    assert.match(await textOf(page.locator('section.nodes')), /No transport node is registered/);
    await b.screenshot('nodes-listeners-off');
    assertNoPageProblems(b);
  } finally {
    await openPage(b, 'about:blank');
    await plain.stop();
  }
});

test('nodes: a node presenting another system-id than registered is flagged, and counted out of its zone', async () => {
  const { ctl, api } = nodes;
  const page = b.page;
  type Node = Record<string, unknown> & { system_id: string };
  const registration = (await api<Node>('GET', `/api/v1/transport-nodes/${NODE}`)).body;
  const keep = [
    'type',
    'transport_zone',
    'management_address',
    'system_id',
    'integration_bridge',
    'certificate_fingerprint',
  ];
  const body = Object.fromEntries(keep.map((k) => [k, registration[k]]));
  const elsewhere = '0badc0de-0000-4000-8000-00000000beef';
  const put = await api('PUT', `/api/v1/transport-nodes/${NODE}`, { ...body, system_id: elsewhere });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  try {
    await openPage(b, `${ctl.apiUrl}/ui/nodes`);
    const row = page.getByTestId('transport-nodes').locator(`tr[data-node="${NODE}"]`);
    await waitForText(b, ctl, row.getByTestId('node-fault'), /system_id mismatch/, 'the fault badge');
    const zone = page.getByTestId('transport-zones').locator(`tr[data-zone="${ZONE}"]`);
    await waitForText(b, ctl, zone, new RegExp(`${NODE}0 of 1`), 'the zone counting the node out');
    await row.getByRole('link', { name: NODE }).click();
    const faults = await waitForText(
      b,
      ctl,
      page.getByTestId('node-faults'),
      new RegExp(
        `system_id: the node's OVSDB reports system-id ${registration.system_id}, registered ${elsewhere}`,
      ),
      "the node's faults",
    );
    assert.match(faults, /re-provision it \(sluice node provision\)/);
    await b.screenshot('nodes-fault');
    // The CLI says it too.
    const shown = await sluiceCli(ctl, ['transport-node', 'show', NODE, '--token', TOKEN]);
    assert.match(shown.stdout, /^FAULT system_id: /m);
    assertNoPageProblems(b);
  } finally {
    const back = await api('PUT', `/api/v1/transport-nodes/${NODE}`, body);
    assert.equal(back.status, 200, JSON.stringify(back.body));
  }
});
