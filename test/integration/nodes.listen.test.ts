/**
 * The controller as the nodes' manager, with real Open vSwitch: the node's key and request made by `openssl req`
 * (as provisioning does), signed through the API, `ovs-vsctl set-ssl`, `set-manager ssl:` and `set-controller
 * ssl:` to the node listeners; the controller then sees the node on both connections (its DPID, its interfaces
 * and their counters). A certificate of another CA is refused on both ports.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { makeTestPki, type TestPki } from '../support/pki.js';
import {
  connectSslNode,
  ensureOvs,
  noteOvsManagers,
  removeSslNode,
  startNodesController,
  waitFor,
  waitSslNodeConnected,
  type NodesController,
  type OvsManagers,
  type SeenNode,
} from './harness/index.js';

const NODE = 'hv-it';
const BRIDGE = 'sitnodebr';
const TOKEN = 'nodes-listen-it-token';

let dir: string;
let pki: TestPki;
let nodes: NodesController;
let managers: OvsManagers | undefined;

before(async () => {
  await ensureOvs();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-nodes-it-'));
  pki = await makeTestPki();
  managers = await noteOvsManagers();
  nodes = await startNodesController(TOKEN);
});

after(async () => {
  await removeSslNode(managers, BRIDGE);
  await nodes?.ctl.stop();
  pki?.remove();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('a node signed through the API connects its OVSDB and OpenFlow over SSL; another CA is refused', async () => {
  const { api, ovsdbPort, openflowPort } = nodes;
  // The cluster view lists the node listeners as roles: where nodes point set-manager and set-controller.
  type Roles = { members: Array<{ roles: Array<{ role: string; listen_addr: string }> }> };
  const { roles } = (await api<Roles>('GET', '/api/v1/cluster')).body.members[0];
  assert.ok(
    roles.some((r) => r.role === 'openflow' && r.listen_addr === `ssl:127.0.0.1:${openflowPort}`),
    JSON.stringify(roles),
  );
  assert.ok(
    roles.some((r) => r.role === 'ovsdb-manager' && r.listen_addr === `ssl:127.0.0.1:${ovsdbPort}`),
    JSON.stringify(roles),
  );
  const signed = await connectSslNode(nodes, managers!, {
    node: NODE,
    zone: 'tz-it',
    bridge: BRIDGE,
    dpid: '000000000000a11e',
    dir,
  });
  // The CA signs only for described nodes, and what it signed with is the CA the API hands out.
  const unknown = await api<{ field: string }>('POST', '/api/v1/pki/sign', {
    node: 'hv-nobody',
    csr: signed.csr,
  });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.field, 'node');
  const ca = await api<{ certificate: string }>('GET', '/api/v1/pki/ca');
  assert.equal(ca.body.certificate, signed.ca);

  const seen = await waitSslNodeConnected(nodes, NODE);
  assert.equal(seen.openflow.dpid, '00:00:00:00:00:00:a1:1e');
  const stats = await waitFor(
    async () => {
      const r = await api<{ statistics: Record<string, number> }>(
        'GET',
        `/api/v1/transport-nodes/${NODE}/interfaces/${BRIDGE}/stats`,
      );
      return r.status === 200 && 'rx_packets' in r.body.statistics ? r.body : undefined;
    },
    { what: `statistics of ${BRIDGE}`, timeoutMs: 15_000, intervalMs: 250 },
  );
  assert.equal(typeof stats.statistics.tx_packets, 'number');
  // The monitor that brought the statistics brought the system-id too: the registered one, so no fault,
  // and the zone counts the node (a node reporting another system-id is counted out).
  const node = await api<{ faults?: unknown[] }>('GET', `/api/v1/transport-nodes/${NODE}`);
  assert.equal(node.body.faults, undefined, JSON.stringify(node.body));
  const zone = await api<{ connected: number; nodes: string[] }>('GET', '/api/v1/transport-zones/tz-it');
  assert.deepEqual(zone.body, { name: 'tz-it', nodes: [NODE], connected: 1 });

  // A client with a certificate of another CA gets no further than the handshake, on either port.
  for (const port of [ovsdbPort, openflowPort]) {
    const outcome = await new Promise<string>((resolve) => {
      const s = tls.connect({
        host: '127.0.0.1',
        port,
        key: fs.readFileSync(pki.strangerKey),
        cert: fs.readFileSync(pki.strangerCert),
        ca: signed.ca,
        checkServerIdentity: () => undefined,
      });
      s.on('secureConnect', () => s.write('{"id":1,"method":"echo","params":[]}'));
      s.on('data', () => resolve('answered'));
      s.on('error', (e) => resolve(`refused: ${e.message}`));
      s.on('close', () => resolve('refused: closed'));
    });
    assert.match(outcome, /^refused/, `port ${port}`);
  }
  // The node itself stays connected.
  const still = (await api<SeenNode>('GET', `/api/v1/transport-nodes/${NODE}`)).body;
  assert.ok(still.ovsdb.connected && still.openflow.connected);

  // A node that goes away is seen going.
  await managers!.dropNodeManager();
  await waitFor(
    async () => !(await api<SeenNode>('GET', `/api/v1/transport-nodes/${NODE}`)).body.ovsdb.connected,
    {
      what: 'the OVSDB connection to end after del-manager',
      timeoutMs: 15_000,
      intervalMs: 250,
    },
  );
});
