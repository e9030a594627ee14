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
  addTestBridge,
  deleteBridge,
  ensureOvs,
  freePorts,
  runOk,
  sluiceCommand,
  startController,
  vsctl,
  waitFor,
  type RunningController,
} from './harness/index.js';

const NODE = 'hv-it';
const BRIDGE = 'sitnodebr';
const DPID = '000000000000a11e';
const TOKEN = 'nodes-listen-it-token';

let dir: string;
let pki: TestPki;
let ctl: RunningController;
let ovsdbPort: number;
let openflowPort: number;
let managersBefore: string[] = [];
let sslWasSet = false;

async function api<T>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(`${ctl.apiUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, body: (await r.json()) as T };
}

before(async () => {
  await ensureOvs();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-nodes-it-'));
  pki = await makeTestPki();
  [ovsdbPort, openflowPort] = await freePorts(2);
  // The SSL settings and managers are global to this OVS: note what was there to put it back.
  sslWasSet = (await vsctl('get-ssl')).trim() !== '';
  managersBefore = (await vsctl('get-manager')).split('\n').filter(Boolean);
  ctl = await startController({
    command: sluiceCommand([
      ...['--api-token', TOKEN, '--nodes-listen', '127.0.0.1'],
      ...['--nodes-ovsdb-port', String(ovsdbPort), '--nodes-openflow-port', String(openflowPort)],
    ]),
  });
});

after(async () => {
  await deleteBridge(BRIDGE);
  if (managersBefore.length) await vsctl('set-manager', ...managersBefore);
  else await vsctl('del-manager');
  if (!sslWasSet) await vsctl('del-ssl');
  await ctl?.stop();
  pki?.remove();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('a node signed through the API connects its OVSDB and OpenFlow over SSL; another CA is refused', async () => {
  assert.equal(sslWasSet, false, 'OVS already has SSL settings; this test would overwrite them');
  // The node's description first: the CA signs only for described nodes.
  const described = await api('PUT', `/api/v1/nodes/${NODE}`, {
    type: 'hypervisor',
    name: NODE,
    management_address: '127.0.0.1',
    transport_zone: 'tz-it',
    data_interface: 'eth9',
    integration_bridge: BRIDGE,
    datapath_type: 'netdev',
  });
  assert.equal(described.status, 200, JSON.stringify(described.body));

  const key = path.join(dir, 'node-privkey.pem');
  const csr = await runOk(
    'openssl',
    ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-subj', `/CN=${NODE}`],
    { timeoutMs: 30_000 },
  );
  const unknown = await api<{ field: string }>('POST', '/api/v1/pki/sign', { node: 'hv-nobody', csr });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.field, 'node');
  const signed = await api<{ certificate: string; ca: string; fingerprint: string }>(
    'POST',
    '/api/v1/pki/sign',
    {
      node: NODE,
      csr,
    },
  );
  assert.equal(signed.status, 200, JSON.stringify(signed.body));
  const cert = path.join(dir, 'node-cert.pem');
  const cacert = path.join(dir, 'node-cacert.pem');
  fs.writeFileSync(cert, signed.body.certificate);
  fs.writeFileSync(cacert, signed.body.ca);
  const ca = await api<{ certificate: string }>('GET', '/api/v1/pki/ca');
  assert.equal(ca.body.certificate, signed.body.ca);

  await vsctl('set-ssl', key, cert, cacert);
  await vsctl('set-manager', ...managersBefore, `ssl:127.0.0.1:${ovsdbPort}`);
  await addTestBridge(BRIDGE, {
    protocols: 'OpenFlow13',
    controllers: [`ssl:127.0.0.1:${openflowPort}`],
    failMode: 'secure',
    dpid: DPID,
  });
  const systemId = (await vsctl('get', 'Open_vSwitch', '.', 'external_ids:system-id'))
    .trim()
    .replace(/"/g, '');
  const registered = await api('PUT', `/api/v1/transport-nodes/${NODE}`, {
    type: 'hypervisor',
    transport_zone: 'tz-it',
    management_address: '127.0.0.1',
    system_id: systemId,
    integration_bridge: BRIDGE,
    certificate_fingerprint: signed.body.fingerprint,
  });
  assert.equal(registered.status, 200, JSON.stringify(registered.body));

  type Seen = { ovsdb: { connected: boolean }; openflow: { connected: boolean; dpid?: string } };
  const seen = await waitFor(
    async () => {
      const n = (await api<Seen>('GET', `/api/v1/transport-nodes/${NODE}`)).body;
      return n.ovsdb.connected && n.openflow.connected ? n : undefined;
    },
    {
      what: 'the node connected on OVSDB and OpenFlow',
      timeoutMs: 20_000,
      intervalMs: 250,
      detail: async () =>
        `node: ${JSON.stringify((await api('GET', `/api/v1/transport-nodes/${NODE}`)).body)}\n` +
        `${await vsctl('show')}\ncontroller log:\n${ctl.logTail(30)}`,
    },
  );
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
        ca: signed.body.ca,
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
  const still = (await api<Seen>('GET', `/api/v1/transport-nodes/${NODE}`)).body;
  assert.ok(still.ovsdb.connected && still.openflow.connected);

  // A node that goes away is seen going.
  if (managersBefore.length) await vsctl('set-manager', ...managersBefore);
  else await vsctl('del-manager');
  await waitFor(
    async () => !(await api<Seen>('GET', `/api/v1/transport-nodes/${NODE}`)).body.ovsdb.connected,
    {
      what: 'the OVSDB connection to end after del-manager',
      timeoutMs: 15_000,
      intervalMs: 250,
    },
  );
});
