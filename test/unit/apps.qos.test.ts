import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  QosApp,
  QosError,
  QOS_METER_BASE,
  diffMeters,
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
import type {
  AppContext,
  ControllerApi,
  ControllerMetrics,
  OfMessageBody,
  SwitchSession,
} from '../../src/controller/index.js';
import {
  OFPMF,
  OFPP,
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  type MeterConfigEntry,
  type OfVersion,
} from '../../src/openflow/index.js';
import { openEmbeddedStore, type Store } from '../../src/store/index.js';
import { AppError } from '../../src/util/index.js';
import { quietLog, tempDir } from './apps.testctx.js';

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

test('queuing policy: enqueue on OpenFlow 1.0, set_queue + output on 1.3', () => {
  const p = placement({});
  const f10 = placementFlow(p, OFP_VERSION_1_0, COOKIE);
  assert.deepEqual(f10.instructions, [
    { type: 'apply_actions', actions: [{ type: 'enqueue', port: 2, queueId: 2 }] },
  ]);
  assert.deepEqual(f10.match, { eth_type: 0x800, ipv4_src: '10.0.0.1' });
  assert.equal(f10.cookie, COOKIE | 3n);
  assert.equal(f10.priority, 100);
  const f13 = placementFlow(p, OFP_VERSION_1_3, COOKIE);
  assert.deepEqual(f13.instructions, [
    {
      type: 'apply_actions',
      actions: [
        { type: 'set_queue', queueId: 2 },
        { type: 'output', port: 2, maxLen: 0 },
      ],
    },
  ]);
  // Out of the port it came in on: IN_PORT, or the switch would drop it.
  const back = placementFlow(placement({ match: { ingressPort: 2 } }), OFP_VERSION_1_3, COOKIE);
  assert.deepEqual(back.instructions[0], {
    type: 'apply_actions',
    actions: [
      { type: 'set_queue', queueId: 2 },
      { type: 'output', port: OFPP.IN_PORT, maxLen: 0 },
    ],
  });
});

test('ToS policy: set_field ip_dscp = tos >> 2, then output, on both versions', () => {
  const p = placement({ action: { kind: 'service', service: 'EF' }, tos: 184, outPort: 3 });
  for (const v of [OFP_VERSION_1_0, OFP_VERSION_1_3] as OfVersion[]) {
    assert.deepEqual(placementFlow(p, v, COOKIE).instructions, [
      {
        type: 'apply_actions',
        actions: [
          { type: 'set_field', field: 'ip_dscp', value: 46 },
          { type: 'output', port: 3, maxLen: 0 },
        ],
      },
    ]);
  }
  const noPort = placement({ action: { kind: 'service', service: 'EF' }, tos: 184 });
  assert.equal(fieldOf(() => placementFlow(noPort, OFP_VERSION_1_3, COOKIE)).field, 'out-port');
});

test('rate policy: a meter and its flow on 1.3, refused on 1.0 naming rate-kbps', () => {
  const p = placement({ action: { kind: 'rate', rateKbps: 2000, burstKb: 100 }, outPort: 2 });
  const f = placementFlow(p, OFP_VERSION_1_3, COOKIE);
  assert.deepEqual(f.instructions, [
    { type: 'meter', meterId: QOS_METER_BASE + 3 },
    { type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] },
  ]);
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

test('meter diff: add missing, modify changed, remove extra QoS meters, leave others alone', () => {
  const m = (id: number, rate: number): MeterConfigEntry => ({
    meterId: meterIdOf(id),
    flags: OFPMF.KBPS | OFPMF.STATS,
    bands: [{ type: 'drop', rate, burstSize: 0 }],
  });
  const foreign: MeterConfigEntry = {
    meterId: 7,
    flags: OFPMF.KBPS,
    bands: [{ type: 'drop', rate: 1, burstSize: 0 }],
  };
  const d = diffMeters([m(1, 100), m(2, 200), m(3, 300)], [m(2, 200), { ...m(3, 999) }, m(4, 1), foreign]);
  assert.deepEqual(d.add, [m(1, 100)]);
  assert.deepEqual(d.modify, [m(3, 300)]);
  assert.deepEqual(d.remove, [meterIdOf(4)]);
  // OVS reports the STATS flag and burst size its own way: only kbps/pktps/burst and rates count.
  assert.deepEqual(diffMeters([m(1, 100)], [{ ...m(1, 100), flags: OFPMF.KBPS }]), {
    add: [],
    modify: [],
    remove: [],
  });
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

// ------------------------------------------------------------------------------------------ the app with fakes

class FakeSw {
  readonly sent: OfMessageBody[] = [];
  meters: MeterConfigEntry[] = [];
  connected = true;
  readonly ports = new Map();
  constructor(
    readonly dpid: bigint,
    readonly version: OfVersion,
  ) {}
  send(msg: OfMessageBody): number {
    this.sent.push(msg);
    if (msg.type === 'meter_mod') {
      this.meters = this.meters.filter((m) => m.meterId !== msg.meterId);
      if (msg.command !== 2) this.meters.push({ meterId: msg.meterId, flags: msg.flags, bands: msg.bands });
    }
    return this.sent.length;
  }
  async stats() {
    return { kind: 'meter_config' as const, meters: this.meters };
  }
  async barrier() {}
}

interface Net {
  route: (a: bigint, b: bigint) => { dpid: bigint; inPort: number; outPort: number }[] | undefined;
}

function world(dir: string, store?: Store) {
  const st = store ?? openEmbeddedStore(dir);
  const switches = new Map<bigint, FakeSw>([
    [1n, new FakeSw(1n, OFP_VERSION_1_3)],
    [2n, new FakeSw(2n, OFP_VERSION_1_3)],
    [3n, new FakeSw(3n, OFP_VERSION_1_3)],
  ]);
  const listeners: (() => void)[] = [];
  const net: Net = {
    route: () => [
      { dpid: 1n, inPort: 1, outPort: 2 },
      { dpid: 2n, inPort: 2, outPort: 1 },
    ],
  };
  const hosts = [
    { ipv4: '10.0.0.1', dpid: 1n, port: 1 },
    { ipv4: '10.0.0.2', dpid: 2n, port: 1 },
  ];
  const topology = {
    on: (_e: string, l: () => void) => (listeners.push(l), () => {}),
    route: (a: bigint, _ap: number, b: bigint) => net.route(a, b),
  };
  const hostsApp = {
    on: () => () => {},
    find: (f: { ipv4?: string }) => hosts.filter((h) => h.ipv4 === f.ipv4),
    get: () => undefined,
  };
  const reconciles: bigint[] = [];
  const controller = {
    switches,
    on: () => () => {},
    off: () => {},
    requestReconcile: (_n: string, d?: bigint) => void reconciles.push(d ?? 0n),
    metrics: {} as ControllerMetrics,
  } as unknown as ControllerApi;
  const ctx: AppContext = {
    controller,
    store: st,
    log: quietLog,
    now: Date.now,
    requestReconcile: controller.requestReconcile,
    reconcile: async () => [],
    app: ((name: string) =>
      name === 'topology' ? topology : name === 'hosts' ? hostsApp : undefined) as AppContext['app'],
  };
  return { store: st, switches, net, reconciles, ctx, changed: () => listeners.forEach((l) => l()) };
}

const tick = () => new Promise((r) => setImmediate(r));
async function settle() {
  for (let i = 0; i < 5; i++) await tick();
}

const tmp = () => tempDir('sluice-qos-');

test('QoS path: flows and meters on each hop; a route change moves them; disable removes all', async () => {
  const w = world(tmp());
  const app = new QosApp();
  await app.start(w.ctx);
  assert.equal(app.enabled, false, 'starts disabled, like Floodlight');
  assert.deepEqual(app.listServices(), [{ sid: 1, name: 'Best Effort', tos: 0 }]);
  const view = await app.addPath({
    name: 'h1-h2',
    'src-ip': '10.0.0.1',
    'dst-ip': '10.0.0.2',
    policy: { 'rate-kbps': 2000 },
  });
  assert.equal(view.state, 'active');
  const sw = (d: bigint) => w.switches.get(d)! as unknown as SwitchSession;
  assert.deepEqual(app.desiredFlows(sw(1n)), [], 'nothing while disabled');

  await app.setEnabled(true);
  await settle();
  const outs = (d: bigint) =>
    app
      .desiredFlows(sw(d))
      .map((f) => (f.instructions[1] as { actions: { port: number }[] }).actions[0].port);
  assert.deepEqual([outs(1n), outs(2n), outs(3n)], [[2], [1], []]);
  const meter = meterIdOf(view.path['path-id'] as number);
  assert.deepEqual(
    w.switches.get(1n)!.meters.map((m) => m.meterId),
    [meter],
  );
  assert.deepEqual(w.switches.get(3n)!.meters, []);
  assert.ok(w.reconciles.includes(1n) && w.reconciles.includes(2n));

  // The route now goes through s3: the flows follow, and s3 gets the meter first.
  w.net.route = () => [
    { dpid: 1n, inPort: 1, outPort: 3 },
    { dpid: 3n, inPort: 1, outPort: 2 },
    { dpid: 2n, inPort: 3, outPort: 1 },
  ];
  w.changed();
  await settle();
  assert.deepEqual([outs(1n), outs(2n), outs(3n)], [[3], [1], [2]]);
  assert.deepEqual(
    w.switches.get(3n)!.meters.map((m) => m.meterId),
    [meter],
  );

  await app.setEnabled(false);
  await settle();
  assert.deepEqual([outs(1n), outs(2n), outs(3n)], [[], [], []]);
  assert.deepEqual(w.switches.get(1n)!.meters, [], 'meters removed when disabled');
  assert.equal(app.listPaths().length, 1, 'state kept while disabled');
});

test('policies survive a restart; ids, names and services checked; OF1.0 refuses rate naming rate-kbps', async () => {
  const dir = tmp();
  const w = world(dir);
  const app = new QosApp();
  await app.start(w.ctx);
  await app.setEnabled(true);
  await app.addService({ name: 'EF', tos: 184 });
  const p = await app.addPolicy({ name: 'tos', service: 'EF', 'ip-dst': '10.0.0.2', sw: 'all' });
  await app.addPolicy({ name: 'q', queue: 1, 'enqueue-port': 2, sw: '1' });
  await assert.rejects(app.addPolicy({ name: 'q', queue: 1, 'enqueue-port': 2 }), {
    field: 'name',
    code: 'SLU_CONFLICT',
  });
  await assert.rejects(app.deleteService(2), { field: 'sid', code: 'SLU_CONFLICT' });
  await assert.rejects(app.deletePolicy(99), { field: 'policy-id', code: 'SLU_NOT_FOUND' });
  // The ToS policy outputs where forwarding would: toward 10.0.0.2 (route from s1, host port on s2).
  const sw1 = w.switches.get(1n)! as unknown as SwitchSession;
  const tosFlow = app.desiredFlows(sw1).find((f) => f.cookie === (app.cookie | BigInt(p.id)))!;
  assert.deepEqual((tosFlow.instructions[0] as { actions: unknown[] }).actions, [
    { type: 'set_field', field: 'ip_dscp', value: 46 },
    { type: 'output', port: 2, maxLen: 0 },
  ]);
  w.switches.set(4n, new FakeSw(4n, OFP_VERSION_1_0));
  await assert.rejects(app.addPolicy({ name: 'r', 'rate-kbps': 100, sw: 'all' }), {
    field: 'rate-kbps',
    code: 'SLU_QOS_INVALID',
  });
  await app.stop();

  const again = new QosApp();
  await again.start(world(dir, w.store).ctx);
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
  await w.store.close();
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
  const w = world(tmp());
  const app = new QosApp({ queueStore: async () => fake });
  await app.start(w.ctx);
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
  await down.start(world(tmp()).ctx);
  await assert.rejects(down.listQueues(), { field: 'ovsdb', code: 'SLU_OVSDB_UNAVAILABLE' });
});
