/**
 * The nodes' OVSDB manager side over loopback TLS: a fake ovsdb-server dials the listener with a certificate of
 * the cluster CA (as `set-manager ssl:` makes OVS do) and answers the controller's monitor; a certificate of
 * another CA is refused in the handshake.
 */
import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import tls from 'node:tls';
import * as x509 from '@peculiar/x509';
import { NodeConnections } from '../../src/apps/nodes/connections.js';
import { openClusterCa, type ClusterCa } from '../../src/pki/index.js';
import { JsonStreamParser } from '../../src/ovsdb/index.js';
import { Controller } from '../../src/controller/index.js';
import { FakeSwitch } from './controller.fake-switch.js';
import { waitFor } from '../support/wait.js';
import { quietLog, tempStore } from './apps.testctx.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A node's key and the certificate `ca` signs for it. */
async function nodeCredentials(ca: ClusterCa, node: string): Promise<{ key: string; cert: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=x',
    keys,
    signingAlgorithm: EC,
  });
  const signed = await ca.sign(node, req.toString('pem'));
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), cert: signed.certificate };
}

/** Both listeners on free loopback ports, with a controller certificate of `ca`. */
async function listenOnLoopback(nodes: NodeConnections, ca: ClusterCa): Promise<void> {
  const own = await ca.issue({ commonName: 'ctl', altNames: ['127.0.0.1'] });
  await nodes.start({
    host: '127.0.0.1',
    ovsdbPort: 0,
    openflowPort: 0,
    tls: { key: own.privateKey, cert: own.certificate, ca: ca.certificate },
  });
}

const IFACE_ROWS = {
  'aaaaaaaa-0000-0000-0000-000000000001': {
    new: {
      name: 'br-int',
      type: 'internal',
      options: ['map', []],
      link_state: 'up',
      statistics: [
        'map',
        [
          ['rx_packets', 3],
          ['tx_bytes', 420],
        ],
      ],
    },
  },
  'aaaaaaaa-0000-0000-0000-000000000002': {
    new: {
      name: 'vx-hv2',
      type: 'vxlan',
      options: ['map', [['remote_ip', '192.0.2.2']]],
      link_state: ['set', []],
      statistics: ['map', []],
    },
  },
};

/** Plays the node's ovsdb-server on the manager connection: answers list_dbs/monitor/echo, can push updates. */
class FakeOvsdbServer {
  readonly methods: string[] = [];
  private monitorId: unknown;
  private readonly parser = new JsonStreamParser();
  constructor(readonly socket: tls.TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      for (const m of this.parser.push(chunk) as { method: string; params: unknown[]; id: unknown }[]) {
        this.methods.push(m.method);
        if (m.method === 'monitor') {
          this.monitorId = m.params[1];
          this.send({
            id: m.id,
            error: null,
            result: {
              Open_vSwitch: {
                'bbbbbbbb-0000-0000-0000-000000000001': {
                  new: { external_ids: ['map', [['system-id', 'sys-1']]] },
                },
              },
              Interface: IFACE_ROWS,
            },
          });
        } else if (m.method === 'echo') this.send({ id: m.id, error: null, result: m.params });
        else this.send({ id: m.id, error: null, result: ['Open_vSwitch'] });
      }
    });
  }
  send(msg: object): void {
    this.socket.write(JSON.stringify(msg));
  }
  update(rows: object): void {
    this.send({ id: null, method: 'update', params: [this.monitorId, { Interface: rows }] });
  }
}

function dial(port: number, creds: { key: string; cert: string }, ca: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect(
      { host: '127.0.0.1', port, ...creds, ca, checkServerIdentity: () => undefined },
      () => resolve(s),
    );
    s.once('error', reject);
  });
}

test('a node dialing the OVSDB manager port is known by its CN, with its interfaces, tunnels and counters', async () => {
  const store = tempStore();
  const ca = await openClusterCa(store);
  let now = Date.parse('2026-12-06T05:00:00Z');
  const nodes = new NodeConnections({
    controller: {
      listenTls: async (addr) => addr,
      on: () => () => undefined,
    },
    log: { ...quietLog },
    now: () => now,
  });
  await listenOnLoopback(nodes, ca);
  const port = nodes.ovsdbAddress!.port;
  const changes: string[] = [];
  nodes.onChange((n) => changes.push(`${n}:${nodes.ovsdb(n).connected}`));
  assert.deepEqual(nodes.ovsdb('hv1'), { connected: false });

  const peer = new FakeOvsdbServer(await dial(port, await nodeCredentials(ca, 'hv1'), ca.certificate));
  await waitFor(() => nodes.interfaces('hv1').length === 2, {
    what: 'the monitor snapshot',
    detail: () => `methods seen: ${peer.methods.join(',')}`,
  });
  assert.ok(peer.methods.includes('monitor'));
  const state = nodes.ovsdb('hv1');
  assert.equal(state.connected, true);
  assert.equal(state.since, '2026-12-06T05:00:00.000Z');
  assert.match(state.remote ?? '', /^127\.0\.0\.1:\d+$/);
  assert.equal(nodes.systemId('hv1'), 'sys-1');
  assert.deepEqual(nodes.interfaces('hv1'), ['br-int', 'vx-hv2']);
  assert.deepEqual(nodes.tunnels('hv1'), [
    { name: 'vx-hv2', type: 'vxlan', remote_ip: '192.0.2.2', state: 'unknown' },
  ]);
  assert.deepEqual(nodes.interfaceStatistics('hv1', 'br-int'), {
    node: 'hv1',
    interface: 'br-int',
    sampled: '2026-12-06T05:00:00.000Z',
    statistics: { rx_packets: 3, tx_bytes: 420 },
  });
  assert.equal(nodes.interfaceStatistics('hv1', 'nope'), undefined);
  assert.equal(nodes.interfaceStatistics('hv9', 'br-int'), undefined);

  // OVS pushes new counters every few seconds: the sample time follows them.
  now += 5000;
  peer.update({
    'aaaaaaaa-0000-0000-0000-000000000001': {
      old: {
        statistics: [
          'map',
          [
            ['rx_packets', 3],
            ['tx_bytes', 420],
          ],
        ],
      },
      new: {
        ...IFACE_ROWS['aaaaaaaa-0000-0000-0000-000000000001'].new,
        statistics: ['map', [['rx_packets', 9]]],
      },
    },
    'aaaaaaaa-0000-0000-0000-000000000002': {
      old: { link_state: ['set', []] },
      new: { ...IFACE_ROWS['aaaaaaaa-0000-0000-0000-000000000002'].new, link_state: 'up' },
    },
  });
  await waitFor(() => nodes.interfaceStatistics('hv1', 'br-int')?.statistics.rx_packets === 9, {
    what: 'the counters update',
  });
  assert.equal(nodes.interfaceStatistics('hv1', 'br-int')?.sampled, '2026-12-06T05:00:05.000Z');
  assert.equal(nodes.tunnels('hv1')[0].state, 'up');

  // A certificate of another CA never gets a session.
  const other = await openClusterCa(tempStore());
  await assert.rejects(async () => {
    const s = await dial(port, await nodeCredentials(other, 'hv-evil'), ca.certificate);
    // TLS 1.3: the server's refusal arrives after the client's handshake is done.
    await new Promise((resolve, reject) => {
      s.once('error', reject);
      s.once('close', () => reject(new Error('closed by the server')));
      s.write('{"id":1,"method":"echo","params":[]}');
    });
  });
  await waitFor(() => nodes.refusedOvsdb === 1, { what: 'the refused handshake to be counted' });
  assert.deepEqual(nodes.ovsdb('hv-evil'), { connected: false });

  now += 1000;
  peer.socket.destroy();
  await waitFor(() => !nodes.ovsdb('hv1').connected, { what: 'the node to go away' });
  assert.equal(nodes.ovsdb('hv1').since, '2026-12-06T05:00:06.000Z');
  assert.deepEqual(changes, ['hv1:true', 'hv1:false']);
  await nodes.stop();
  await store.close();
});

test("a node's integration bridge on the OpenFlow TLS port is known by its CN, with its DPID", async () => {
  const store = tempStore();
  const ca = await openClusterCa(store);
  const controller = new Controller({ listen: [{ host: '127.0.0.1', port: 0 }], log: quietLog, store });
  await controller.start();
  const nodes = new NodeConnections({ controller, log: quietLog });
  await listenOnLoopback(nodes, ca);
  const port = nodes.openflowAddress!.port;
  assert.notEqual(port, controller.addresses[0].port);

  const sw = new FakeSwitch({ dpid: 0xa11en });
  await sw.connect(port, {
    ...(await nodeCredentials(ca, 'hv2')),
    ca: ca.certificate,
    checkServerIdentity: () => undefined,
  });
  const state = await waitFor(() => (nodes.openflow('hv2').connected ? nodes.openflow('hv2') : undefined), {
    what: 'the node on the OpenFlow TLS port',
  });
  assert.equal(state.dpid, '00:00:00:00:00:00:a1:1e');
  assert.ok(controller.switches.has(0xa11en), 'an ordinary switch to the apps');

  // A switch on the plain listener is nobody's node.
  const plain = new FakeSwitch({ dpid: 0xb0n });
  await plain.connect(controller.addresses[0].port);
  await waitFor(() => controller.switches.has(0xb0n), { what: 'the plain switch' });
  assert.deepEqual(nodes.openflow('b0'), { connected: false });

  // Another CA's certificate is refused in the handshake: no switch, no node.
  const other = await openClusterCa(tempStore());
  const stranger = new FakeSwitch({ dpid: 0xeeen });
  await stranger
    .connect(port, {
      ...(await nodeCredentials(other, 'hv-evil')),
      ca: ca.certificate,
      checkServerIdentity: () => undefined,
    })
    .catch(() => undefined);
  await waitFor(() => stranger.closed, { what: 'the stranger to be dropped' });
  assert.equal(controller.switches.has(0xeeen), false);
  assert.deepEqual(nodes.openflow('hv-evil'), { connected: false });

  sw.close();
  await waitFor(() => !nodes.openflow('hv2').connected, { what: 'the node to go away' });
  assert.equal(nodes.openflow('hv2').dpid, '00:00:00:00:00:00:a1:1e');
  plain.close();
  await nodes.stop();
  await controller.stop();
  await store.close();
});
