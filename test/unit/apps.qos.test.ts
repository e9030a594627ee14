/**
 * The qos app: its pure halves (policy bodies, flows per version, meters, paths), then the app itself on the
 * fake network with topology, hosts and forwarding, asserting what packets get (meter, DSCP, port) and what
 * the switches end up with; and the OVSDB queue verbs over a fake OVSDB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  QosApp,
  QosError,
  QOS_LEARNED_KEY,
  QOS_METER_BASE,
  Routes,
  meterIdOf,
  parsePathBody,
  parsePolicyBody,
  parseQueuesBody,
  parseServiceBody,
  pathPlacements,
  placementFlow,
  placementMeter,
  policyToFloodlight,
  type Placement,
  type QosPath,
  type QueueStore,
  type Service,
} from '../../src/apps/qos/index.js';
import type { Host } from '../../src/apps/hosts/index.js';
import { ForwardingApp } from '../../src/apps/forwarding/index.js';
import { HostsApp } from '../../src/apps/hosts/index.js';
import { TopologyApp } from '../../src/apps/topology/index.js';
import { DEFAULT_PIPELINE } from '../../src/controller/index.js';
import {
  OFPMF,
  OFPP,
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  type Instruction,
  type OfVersion,
} from '../../src/openflow/index.js';
import {
  ETH_TYPE,
  IP_PROTO,
  buildEthernet,
  buildIpv4,
  buildUdpFrame,
  parseEthernet,
} from '../../src/packet/index.js';
import type { Store } from '../../src/store/index.js';
import { AppError } from '../../src/util/index.js';
import { FakeNetwork, linear, ring, type FakeHost } from './apps.fakenet.js';
import { fakeAppContext, quietLog, tempStore } from './apps.testctx.js';

const COOKIE = 6n << 48n;
const services = new Map<string, Service>([
  ['Best Effort', { sid: 1, name: 'Best Effort', tos: 0 }],
  ['EF', { sid: 2, name: 'EF', tos: 184 }],
]);
const svc = (n: string) => services.get(n);

/** The field and code of what `fn` throws: a QosError for bad input, another AppError (404...) otherwise. */
function fieldOf(fn: () => unknown): { field: string; code: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
    assert.equal(err instanceof QosError, err.code === 'SLU_QOS_INVALID', `${err.name} ${err.code}`);
    return { field: err.field, code: err.code };
  }
  assert.fail('expected a QosError');
}

test('policy validation names the field at fault', () => {
  const base = { name: 'p', sw: 'all' };
  const cases: [Record<string, unknown>, string, string?][] = [
    [{ ...base, queue: 1, 'enqueue-port': 2, service: 'EF' }, 'service'],
    [{ ...base, service: 'EF', 'rate-kbps': 10 }, 'rate-kbps'],
    [{ ...base, queue: 1 }, 'enqueue-port'],
    [{ ...base, 'enqueue-port': 2 }, 'queue'],
    [{ ...base }, 'queue'],
    [{ sw: 'all', queue: 1, 'enqueue-port': 2 }, 'name'],
    [{ ...base, 'rate-kbps': 0 }, 'rate-kbps'],
    [{ ...base, 'rate-kbps': 'fast' }, 'rate-kbps'],
    [{ ...base, service: 'EF', 'burst-kb': 10 }, 'burst-kb'],
    [{ ...base, queue: 1, 'enqueue-port': 2, 'out-port': 3 }, 'out-port'],
    [{ ...base, service: 'EF', 'enqueue-port': 2 }, 'enqueue-port'],
    [{ ...base, service: 'Gold' }, 'service', 'SLU_NOT_FOUND'],
    [{ ...base, 'rate-kbps': 10, 'dst-port': 80 }, 'dst-port'],
    [{ ...base, 'rate-kbps': 10, protocol: 1, 'src-port': 80 }, 'src-port'],
    [{ ...base, 'rate-kbps': 10, 'eth-type': '0x86dd', 'ip-src': '10.0.0.1' }, 'eth-type'],
    [{ ...base, service: 'EF', 'eth-type': '0x0806' }, 'eth-type'],
    [{ ...base, 'rate-kbps': 10, 'ip-src': '10.0.0.256' }, 'ip-src'],
    [{ ...base, 'rate-kbps': 10, 'eth-dst': 'zz:00:00:00:00:01' }, 'eth-dst'],
    [{ ...base, 'rate-kbps': 10, tos: 46 }, 'tos'],
    [{ ...base, 'rate-kbps': 10, 'vlan-id': 4096 }, 'vlan-id'],
    [{ ...base, 'rate-kbps': 10, 'ingress-port': 0 }, 'ingress-port'],
    [{ ...base, 'rate-kbps': 10, priority: 70000 }, 'priority'],
    [{ ...base, 'rate-kbps': 10, sw: 'switch-1' }, 'sw'],
    [{ ...base, 'rate-kbps': 10, colour: 'red' }, 'colour'],
  ];
  for (const [body, field, code = 'SLU_QOS_INVALID'] of cases) {
    assert.deepEqual(
      fieldOf(() => parsePolicyBody(body, svc)),
      { field, code },
      JSON.stringify(body),
    );
  }
  assert.equal(fieldOf(() => parsePolicyBody([1], svc)).field, 'body');
  assert.equal(fieldOf(() => parseServiceBody({ name: 'x', tos: 300 })).field, 'tos');
  assert.equal(fieldOf(() => parseServiceBody({ name: 'x', tos: 2 })).field, 'tos');
  assert.equal(fieldOf(() => parseServiceBody({ tos: 8 })).field, 'name');
});

test('Floodlight-style string values and empty strings are accepted; defaults filled', () => {
  const p = parsePolicyBody(
    {
      name: 'Enqueue 2:2 s1',
      protocol: '6',
      'eth-type': '0x0800',
      'ingress-port': '1',
      'ip-src': '',
      sw: '00:00:00:00:00:00:00:01',
      queue: '2',
      'enqueue-port': '2',
    },
    svc,
  );
  assert.equal(p.sw, 1n);
  assert.equal(p.priority, 32767);
  assert.deepEqual(p.match, { ethType: 0x800, protocol: 6, ingressPort: 1 });
  assert.deepEqual(p.action, { kind: 'queue', queue: 2, enqueuePort: 2 });
  const fl = policyToFloodlight({ id: 7, ...p });
  assert.equal(fl.policyid, 7);
  assert.equal(fl.ipsrc, -1);
  assert.equal(fl.enqueueport, 2);
  assert.equal(fl.service, null);
  // An L3 key without eth-type gets IPv4.
  assert.equal(
    parsePolicyBody({ name: 'r', 'ip-dst': '10.0.0.2', 'rate-kbps': 5 }, svc).match.ethType,
    0x800,
  );
});

function placement(over: Partial<Placement>): Placement {
  return {
    id: 3,
    name: 'p',
    dpid: 1n,
    priority: 100,
    match: { ethType: 0x800, ipSrc: '10.0.0.1' },
    action: { kind: 'queue', queue: 2, enqueuePort: 2 },
    ...over,
  };
}

const QOS10 = DEFAULT_PIPELINE.place('qos', 'policies', OFP_VERSION_1_0);
const QOS13 = DEFAULT_PIPELINE.place('qos', 'policies', OFP_VERSION_1_3);
/** OpenFlow 1.3: after QoS, on to forwarding (the next stage's table). */
const GO_ON: Instruction = { type: 'goto_table', tableId: QOS13.next! };

test('queuing policy: enqueue on OpenFlow 1.0; set_queue then on to forwarding on 1.3', () => {
  const p = placement({});
  const f10 = placementFlow(p, OFP_VERSION_1_0, COOKIE);
  assert.deepEqual(f10.instructions, [
    { type: 'apply_actions', actions: [{ type: 'enqueue', port: 2, queueId: 2 }] },
  ]);
  assert.deepEqual(f10.match, { eth_type: 0x800, ipv4_src: '10.0.0.1' });
  assert.equal(f10.cookie, COOKIE | 3n);
  // One table on 1.0: the policy priority ranks inside the QoS band (below the filter band).
  assert.equal(f10.tableId, 0);
  assert.ok(f10.priority >= QOS10.low && f10.priority <= QOS10.high);
  assert.ok(placementFlow(placement({ priority: 60000 }), OFP_VERSION_1_0, COOKIE).priority > f10.priority);
  const f13 = placementFlow(p, OFP_VERSION_1_3, COOKIE);
  assert.equal(f13.tableId, QOS13.tableId);
  assert.equal(f13.priority, 100);
  assert.deepEqual(f13.instructions, [
    { type: 'apply_actions', actions: [{ type: 'set_queue', queueId: 2 }] },
    GO_ON,
  ]);
  // OpenFlow 1.0: out of the port it came in on is IN_PORT, or the switch would drop it.
  const back = placementFlow(
    placement({
      match: { ingressPort: 2 },
      action: { kind: 'service', service: 'EF' },
      tos: 184,
      outPort: 2,
    }),
    OFP_VERSION_1_0,
    COOKIE,
  );
  assert.deepEqual(back.instructions[0], {
    type: 'apply_actions',
    actions: [
      { type: 'set_field', field: 'ip_dscp', value: 46 },
      { type: 'output', port: OFPP.IN_PORT, maxLen: 0 },
    ],
  });
});

test('ToS policy: set_field ip_dscp = tos >> 2, then output (1.0) or on to forwarding (1.3)', () => {
  const p = placement({ action: { kind: 'service', service: 'EF' }, tos: 184, outPort: 3 });
  assert.deepEqual(placementFlow(p, OFP_VERSION_1_0, COOKIE).instructions, [
    {
      type: 'apply_actions',
      actions: [
        { type: 'set_field', field: 'ip_dscp', value: 46 },
        { type: 'output', port: 3, maxLen: 0 },
      ],
    },
  ]);
  assert.deepEqual(placementFlow(p, OFP_VERSION_1_3, COOKIE).instructions, [
    { type: 'apply_actions', actions: [{ type: 'set_field', field: 'ip_dscp', value: 46 }] },
    GO_ON,
  ]);
  const noPort = placement({ action: { kind: 'service', service: 'EF' }, tos: 184 });
  assert.equal(fieldOf(() => placementFlow(noPort, OFP_VERSION_1_0, COOKIE)).field, 'out-port');
  // 1.3 needs no port of its own: forwarding picks it.
  assert.equal(placementFlow(noPort, OFP_VERSION_1_3, COOKIE).instructions.length, 2);
});

test('rate policy: a meter then on to forwarding on 1.3, refused on 1.0 naming rate-kbps', () => {
  const p = placement({ action: { kind: 'rate', rateKbps: 2000, burstKb: 100 }, outPort: 2 });
  const f = placementFlow(p, OFP_VERSION_1_3, COOKIE);
  assert.deepEqual(f.instructions, [{ type: 'meter', meterId: QOS_METER_BASE + 3 }, GO_ON]);
  assert.deepEqual(placementMeter(p), {
    meterId: QOS_METER_BASE + 3,
    flags: OFPMF.KBPS | OFPMF.STATS | OFPMF.BURST,
    bands: [{ type: 'drop', rate: 2000, burstSize: 100 }],
  });
  assert.equal(placementMeter(placement({})), undefined);
  assert.deepEqual(
    fieldOf(() => placementFlow(p, OFP_VERSION_1_0, COOKIE)),
    { field: 'rate-kbps', code: 'SLU_QOS_INVALID' },
  );
});

test('path expansion: the policy on every hop, each with its own out port, matching src and dst', () => {
  const path: QosPath = {
    id: 9,
    name: 'h1-h2',
    srcIp: '10.0.0.1',
    dstIp: '10.0.0.2',
    template: parsePathBody(
      { name: 'x', 'src-ip': '10.0.0.1', 'dst-ip': '10.0.0.2', policy: { queue: 1, protocol: 6 } },
      svc,
    ).template,
  };
  const pls = pathPlacements(path, [
    { dpid: 1n, inPort: 1, outPort: 2 },
    { dpid: 2n, inPort: 2, outPort: 1 },
  ]);
  assert.deepEqual(
    pls.map((p) => [p.dpid, p.name, p.outPort]),
    [
      [1n, 'h1-h2.00:00:00:00:00:00:00:01', 2],
      [2n, 'h1-h2.00:00:00:00:00:00:00:02', 1],
    ],
  );
  const f = placementFlow(pls[1], OFP_VERSION_1_0, COOKIE);
  assert.deepEqual(f.match, { eth_type: 0x800, ip_proto: 6, ipv4_src: '10.0.0.1', ipv4_dst: '10.0.0.2' });
  assert.deepEqual(f.instructions, [
    { type: 'apply_actions', actions: [{ type: 'enqueue', port: 1, queueId: 1 }] },
  ]);
  // A path template must not carry what the path fills in.
  for (const k of ['sw', 'ip-src', 'enqueue-port', 'out-port']) {
    const body = {
      name: 'x',
      'src-ip': '10.0.0.1',
      'dst-ip': '10.0.0.2',
      policy: { 'rate-kbps': 1, [k]: '1' },
    };
    assert.equal(fieldOf(() => parsePathBody(body, svc)).field, `policy.${k}`);
  }
  assert.equal(
    fieldOf(() => parsePathBody({ name: 'x', 'src-ip': '10.0.0.1', 'dst-ip': '10.0.0.1', policy: {} }, svc))
      .field,
    'dst-ip',
  );
});

test('queue bodies: rates in bit/s, each queue below the port, names the key', () => {
  const { port, spec } = parseQueuesBody({
    port: 's1-eth2',
    'max-rate': 1_000_000_000,
    queues: { '0': { 'max-rate': 1_000_000_000 }, '2': { 'max-rate': '2000000', 'min-rate': 1000000 } },
  });
  assert.equal(port, 's1-eth2');
  assert.deepEqual(spec, {
    type: 'linux-htb',
    maxRate: 1_000_000_000,
    queues: { 0: { maxRate: 1_000_000_000 }, 2: { maxRate: 2_000_000, minRate: 1_000_000 } },
  });
  const bad: [unknown, string][] = [
    [{ 'max-rate': 1, queues: { 1: {} } }, 'port'],
    [{ port: 's1 eth2', 'max-rate': 1, queues: { 1: {} } }, 'port'],
    [{ port: 'p', queues: { 1: {} } }, 'max-rate'],
    [{ port: 'p', 'max-rate': 10, queues: {} }, 'queues'],
    [{ port: 'p', 'max-rate': 10, queues: { x: {} } }, 'queues.x'],
    [{ port: 'p', 'max-rate': 10, queues: { 1: { 'max-rate': 20 } } }, 'queues.1.max-rate'],
    [{ port: 'p', 'max-rate': 10, queues: { 1: { 'min-rate': 5, 'max-rate': 4 } } }, 'queues.1.min-rate'],
    [{ port: 'p', 'max-rate': 10, queues: { 1: { speed: 4 } } }, 'queues.1.speed'],
    [{ port: 'p', 'max-rate': 10, queues: { 1: {} }, type: 'cbq' }, 'type'],
  ];
  for (const [body, field] of bad)
    assert.equal(fieldOf(() => parseQueuesBody(body)).field, field, JSON.stringify(body));
});

// ------------------------------------------------------------------------------------------ on the fake network

/** A network of OpenFlow 1.3 switches with topology, hosts, forwarding and qos, hosts already learned. */
async function qosNetwork(build: (net: FakeNetwork) => void, store: Store = tempStore('sluice-qos-')) {
  const net = new FakeNetwork({ store });
  build(net);
  const topo = new TopologyApp({ timers: false });
  const hosts = new HostsApp({ timers: false, topology: topo });
  const qos = new QosApp({
    queueStore: () => Promise.reject(new Error('no OVSDB here')),
    topology: topo,
    hosts,
  });
  await net.start([topo, hosts, new ForwardingApp({ topology: topo, hosts }), qos]);
  net.connectAll();
  net.advance(topo.quarantineMs);
  assert.deepEqual(net.pingAll(), [], 'hosts learned');
  return { net, qos, store };
}

const udp = (a: FakeHost, b: FakeHost) =>
  buildUdpFrame({ ethSrc: a.mac, ethDst: b.mac, ipSrc: a.ip, ipDst: b.ip, srcPort: 5000, dstPort: 5001 });
const of13 = { version: OFP_VERSION_1_3 as OfVersion };
/** Flow and meter mods the reconciler sent for qos, over the runs from `from` on. */
const qosMods = (net: FakeNetwork, from = 0) =>
  net.reconciles
    .slice(from)
    .filter((r) => r.apps.includes('qos'))
    .reduce((n, r) => n + r.flows.length + r.meters.length, 0);

test('a rate path meters h1 -> h2 on every hop and not h2 -> h1; it follows a route change; disable clears it', async () => {
  const { net, qos } = await qosNetwork((n) => ring(n, 3, of13));
  const [h1, h2] = [net.host('h1'), net.host('h2')];
  const [s1, s2, s3] = [1n, 2n, 3n].map((d) => net.switches.get(d)!);
  const view = await qos.addPath({
    name: 'h1-h2',
    'src-ip': h1.ip,
    'dst-ip': h2.ip,
    policy: { 'rate-kbps': 2000 },
  });
  assert.equal(view.state, 'active');
  assert.deepEqual(s1.treat(1, udp(h1, h2)), { output: [3] }, 'disabled: plain forwarding');

  await qos.setEnabled(true);
  const meter = meterIdOf(view.path['path-id'] as number);
  assert.deepEqual(s1.treat(1, udp(h1, h2)), { output: [3], meterId: meter });
  assert.deepEqual(s2.treat(2, udp(h1, h2)), { output: [1], meterId: meter });
  assert.equal(s2.treat(1, udp(h2, h1)).meterId, undefined, 'h2 -> h1 is not limited');
  assert.deepEqual(
    [...s1.meters.values()].map((m) => [m.meterId, m.bands[0].rate]),
    [[meter, 2000]],
  );
  assert.equal(s3.meters.size, 0, 's3 is not on the path');
  assert.equal(net.ping('h1', 'h2'), true);

  // s1-s2 fails: the path goes round by s3, which gets the meter before its flow. QoS meters and goes on
  // to forwarding (OpenFlow 1.3 pipeline), whose flows the next packet re-installs along the new route.
  net.setLink(1n, 3, 2n, 2, false);
  assert.equal(net.ping('h1', 'h2'), true);
  assert.deepEqual(s1.treat(1, udp(h1, h2)), { output: [2], meterId: meter });
  assert.deepEqual(s3.treat(3, udp(h1, h2)), { output: [2], meterId: meter });
  assert.deepEqual(s2.treat(3, udp(h1, h2)), { output: [1], meterId: meter });

  await qos.setEnabled(false);
  for (const sw of [s1, s2, s3]) {
    assert.equal(sw.meters.size, 0, `meters gone from s${sw.dpid}`);
    assert.equal(sw.flows.filter((f) => f.cookie >> 48n === 6n).length, 0, `flows gone from s${sw.dpid}`);
  }
  assert.equal(qos.listPaths().length, 1, 'state kept while disabled');
});

test('a ToS policy marks h1 -> h3 with DSCP 46 where forwarding would send it; h1 -> h2 stays unmarked', async () => {
  const { net, qos } = await qosNetwork((n) => linear(n, 3));
  await qos.setEnabled(true);
  await qos.addService({ name: 'EF', tos: 184 });
  const [h1, h2, h3] = ['h1', 'h2', 'h3'].map((n) => net.host(n));
  const p = await qos.addPolicy({ name: 'mark', service: 'EF', 'ip-src': h1.ip, 'ip-dst': h3.ip, sw: '1' });
  assert.deepEqual(net.switches.get(1n)!.treat(1, udp(h1, h3)), { output: [3], dscp: 46 });
  assert.deepEqual((qos.policyView(p).placements as unknown[])[0], {
    switch: '00:00:00:00:00:00:00:01',
    'out-port': 3,
  });
  const before = new Map([h2, h3].map((h) => [h, h.received.length]));
  const dscps = (h: FakeHost, from: FakeHost) =>
    h.received
      .slice(before.get(h))
      .map((d) => parseEthernet(d))
      .filter((f) => f.ipv4?.src === from.ip)
      .map((f) => f.ipv4!.dscp);
  const sent = (a: FakeHost, b: FakeHost) => {
    const ip = buildIpv4({ src: a.ip, dst: b.ip, proto: IP_PROTO.UDP, payload: Buffer.alloc(8) });
    net.sendFrom(a, buildEthernet({ dst: b.mac, src: a.mac, ethType: ETH_TYPE.IPV4, payload: ip }));
    net.run();
  };
  sent(h1, h3);
  sent(h1, h2);
  assert.ok(dscps(h3, h1).length > 0 && dscps(h3, h1).every((d) => d === 46), `h3 got ${dscps(h3, h1)}`);
  assert.ok(dscps(h2, h1).every((d) => d === 0));
});

test("a switch's rejection comes back from the command, which then leaves no trace", async () => {
  const { net, qos } = await qosNetwork((n) => linear(n, 2, of13));
  await qos.setEnabled(true);
  const s1 = net.switches.get(1n)!;
  s1.refuse = (m) => (m.type === 'meter_mod' && m.command === 0 ? { errType: 12, code: 6 } : undefined);
  await assert.rejects(
    qos.addPolicy({ name: 'r', 'rate-kbps': 100, 'ip-dst': '10.0.0.2', sw: '1' }),
    (e: QosError) =>
      e.field === 'rate-kbps' &&
      /switch 00:00:00:00:00:00:00:01 rejected meter .*type 12 code 6/.test(e.reason),
  );
  assert.deepEqual(qos.listPolicies(), []);
  s1.refuse = (m) =>
    m.type === 'flow_mod' && m.cookie >> 48n === 6n && m.command === 0 ? { errType: 5, code: 0 } : undefined;
  await assert.rejects(
    qos.addPath({ name: 'p', 'src-ip': '10.0.0.1', 'dst-ip': '10.0.0.2', policy: { 'rate-kbps': 100 } }),
    (e: QosError) => e.field === 'policy' && /rejected the flow/.test(e.reason),
  );
  assert.deepEqual(qos.listPaths(), []);
  s1.refuse = undefined;
  assert.equal(
    s1.meters.size + net.switches.get(2n)!.meters.size,
    0,
    'the meters of the undone changes went too',
  );
});

test('a controller restart sends no QoS flow or meter mod when everything is in place; state survives', async () => {
  const { net, qos, store } = await qosNetwork((n) => linear(n, 3, of13));
  await qos.setEnabled(true);
  await qos.addService({ name: 'EF', tos: 184 });
  await qos.addPath({
    name: 'h1-h3',
    'src-ip': '10.0.0.1',
    'dst-ip': '10.0.0.3',
    policy: { 'rate-kbps': 500 },
  });
  await qos.addPolicy({ name: 'tos', service: 'EF', 'ip-dst': '10.0.0.2', sw: 'all' });
  await qos.addPolicy({ name: 'q', queue: 1, 'enqueue-port': 2, sw: '1' });
  const flowsBefore = [...net.switches.values()].map(
    (s) => s.flows.filter((f) => f.cookie >> 48n === 6n).length,
  );
  assert.deepEqual(flowsBefore, [3, 2, 2], 'path hop and ToS flow on each switch, the queue on s1');

  const runs = net.reconciles.length;
  // Hosts and links are not re-learned yet: the stored hints keep the path and ports in place.
  const topology = new TopologyApp({ timers: false });
  const hosts = new HostsApp({ timers: false, topology });
  const again = new QosApp({ topology, hosts });
  await net.restartController([topology, hosts, new ForwardingApp({ topology, hosts }), again]);
  assert.ok(
    net.reconciles.slice(runs).some((r) => r.apps.includes('qos')),
    'qos was reconciled',
  );
  assert.equal(qosMods(net, runs), 0, 'no QoS flow or meter mod after the restart');
  assert.equal(again.enabled, true);
  assert.deepEqual(
    again.listPolicies().map((x) => x.name),
    ['tos', 'q'],
  );
  assert.deepEqual(
    again.listServices().map((s) => s.name),
    ['Best Effort', 'EF'],
  );
  await again.stop();
  await store.close();
});

test('learned routes: the changes of one turn are one store write, and saved() waits for it', async () => {
  const store = tempStore('sluice-qos-routes-');
  let puts = 0;
  const counting: Store = Object.create(store) as Store;
  counting.put = (key, value, opts) => (puts++, store.put(key, value, opts));
  const host = (ipv4: number, port: number) => ({ ipv4, dpid: 1n, port }) as Host;
  const hosts = new Map([
    ['10.0.0.1', host(0x0a000001, 1)],
    ['10.0.0.2', host(0x0a000002, 2)],
    ['10.0.0.3', host(0x0a000003, 3)],
  ]);
  const routes = new Routes(
    { hostByIp: (ip) => hosts.get(ip), hostByMac: () => undefined, route: () => undefined },
    counting,
    quietLog,
  );
  const path = (id: number, dstIp: string) => ({ id, name: `p${id}`, srcIp: '10.0.0.1', dstIp }) as QosPath;
  routes.routeOf(path(1, '10.0.0.2'));
  routes.routeOf(path(2, '10.0.0.3'));
  await routes.saved();
  assert.equal(puts, 1, 'both routes in one write');
  assert.deepEqual((await store.get(QOS_LEARNED_KEY))?.value, {
    paths: {
      1: [['00:00:00:00:00:00:00:01', 1, 2]],
      2: [['00:00:00:00:00:00:00:01', 1, 3]],
    },
    ports: {},
  });
  routes.forget(2);
  await routes.saved();
  assert.equal(puts, 2, 'a later change is a second write');
  const after = (await store.get(QOS_LEARNED_KEY))?.value as { paths: object };
  assert.deepEqual(Object.keys(after.paths), ['1'], 'the forgotten path is gone from the store');
  await store.close();
});

test('rate policies are refused naming rate-kbps while an OpenFlow 1.0 switch is a target', async () => {
  const { net, qos } = await qosNetwork((n) => linear(n, 2));
  await qos.setEnabled(true);
  for (const sw of ['all', '1']) {
    await assert.rejects(qos.addPolicy({ name: 'r', 'rate-kbps': 100, sw }), {
      field: 'rate-kbps',
      code: 'SLU_QOS_INVALID',
    });
  }
  await assert.rejects(
    qos.addPath({ name: 'p', 'src-ip': '10.0.0.1', 'dst-ip': '10.0.0.2', policy: { 'rate-kbps': 1 } }),
    { field: 'policy.rate-kbps' },
  );
  // Names, ids and services are checked before anything reaches a switch.
  await qos.addPolicy({ name: 'q', queue: 1, 'enqueue-port': 2, sw: '1' });
  assert.deepEqual(net.switches.get(1n)!.treat(1, udp(net.host('h1'), net.host('h2'))), {
    output: [2],
    queue: 1,
  });
  await assert.rejects(qos.addPolicy({ name: 'q', queue: 1, 'enqueue-port': 2 }), {
    field: 'name',
    code: 'SLU_CONFLICT',
  });
  await assert.rejects(qos.deletePolicy(99), { field: 'policy-id', code: 'SLU_NOT_FOUND' });
  await qos.addService({ name: 'EF', tos: 184 });
  await qos.addPolicy({ name: 'tos', service: 'EF', 'out-port': 2 });
  await assert.rejects(qos.deleteService(2), { field: 'sid', code: 'SLU_CONFLICT' });
});

test('queues go through OVSDB (fake): set, list, clear, errors name the key', async () => {
  const rows = new Map<string, Parameters<QueueStore['setPortQos']>[1]>();
  const fake: QueueStore = {
    listBridges: async () => ['s1'],
    listPorts: async () => ['s1-eth1', 's1-eth2'],
    getPortQos: async (port) => {
      const s = rows.get(port);
      if (!s) return undefined;
      const queues = Object.fromEntries(
        Object.entries(s.queues ?? {}).map(([id, q]) => [id, { ...q, uuid: 'u' }]),
      );
      return { uuid: 'q', type: s.type ?? 'linux-htb', maxRate: s.maxRate, queues };
    },
    setPortQos: async (port, spec) => (rows.set(port, spec), true),
    clearPortQos: async (port) => rows.delete(port),
  };
  const app = new QosApp({ queueStore: async () => fake });
  await app.start(fakeAppContext(tempStore('sluice-qos-')).ctx);
  const res = await app.setQueues({
    port: 's1-eth2',
    'max-rate': 10_000_000,
    queues: { 1: { 'max-rate': 2_000_000 } },
  });
  assert.deepEqual(res.queues, {
    port: 's1-eth2',
    type: 'linux-htb',
    'max-rate': 10_000_000,
    queues: { 1: { 'max-rate': 2_000_000 } },
  });
  assert.deepEqual(
    (await app.listQueues()).map((q) => q.port),
    ['s1-eth2'],
  );
  await assert.rejects(app.setQueues({ port: 's1-eth2', 'max-rate': 1, queues: { 1: { 'max-rate': 2 } } }), {
    field: 'queues.1.max-rate',
  });
  assert.deepEqual(await app.clearQueues('s1-eth2'), { port: 's1-eth2', cleared: true });
  assert.deepEqual(await app.listQueues(), []);

  const down = new QosApp({ queueStore: async () => Promise.reject(new Error('ECONNREFUSED')) });
  await down.start(fakeAppContext(tempStore('sluice-qos-')).ctx);
  await assert.rejects(down.listQueues(), { field: 'ovsdb', code: 'SLU_OVSDB_UNAVAILABLE' });
});
