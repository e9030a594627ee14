import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Controller,
  OfErrorReplyError,
  PipelineError,
  RequestTimeoutError,
  SLUICE_PIPELINE,
  appCookie,
  type App,
  type BandDecl,
  type PipelineDecl,
  type ControllerOptions,
  type Logger,
  type SwitchSession,
} from '../../src/controller/index.js';
import { TABLE_MISS } from '../../src/controller/controller.js';
import { mergeStatsParts } from '../../src/controller/session.js';
import { OFPFC, negotiateVersion, type FlowStatsEntry, type StatsReply } from '../../src/openflow/index.js';
import type { Store } from '../../src/store/index.js';
import { FakeSwitch } from './controller.fake-switch.js';
import { waitFor } from '../support/wait.js';
import { FakeClock } from '../../src/util/index.js';

const logs: { level: string; msg?: string; obj: object }[] = [];
const log: Logger = {
  debug: (obj, msg) => logs.push({ level: 'debug', obj, msg }),
  info: (obj, msg) => logs.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => logs.push({ level: 'error', obj, msg }),
};

const running: Controller[] = [];
const switches: FakeSwitch[] = [];
after(async () => {
  for (const s of switches) s.close();
  for (const c of running) await c.stop();
});

/** Sluice's pipeline plus one band for a test app: table 0 (OF1.3 filter stage), priorities 1..100. */
function withBand(app: string, band: Partial<BandDecl> = {}): PipelineDecl {
  const own: BandDecl = { app, role: 'test', stage: 'filter', of13: [1, 100], of10: [1, 100], intent: true };
  return { ...SLUICE_PIPELINE, bands: [...SLUICE_PIPELINE.bands, { ...own, ...band }] };
}

async function startController(opts: Partial<ControllerOptions> = {}, apps: App[] = []): Promise<Controller> {
  const c = new Controller({
    listen: [{ host: '127.0.0.1', port: 0 }],
    log,
    store: {} as Store,
    requestTimeoutMs: 1000,
    handshakeTimeoutMs: 2000,
    reconcileDebounceMs: 10,
    ...opts,
  });
  for (const a of apps) c.use(a);
  await c.start();
  running.push(c);
  return c;
}

async function connect(
  c: Controller,
  opts: ConstructorParameters<typeof FakeSwitch>[0],
): Promise<FakeSwitch> {
  const sw = new FakeSwitch(opts);
  switches.push(sw);
  await sw.connect(c.addresses[0].port);
  return sw;
}

async function connected(c: Controller, dpid: bigint): Promise<SwitchSession> {
  await waitFor(() => c.switches.has(dpid), { what: `switch ${dpid} connected`, intervalMs: 5 });
  return c.switches.get(dpid)!;
}

/** A 60-byte IPv4 frame from 02:00:00:00:00:02 to 02:00:00:00:00:01, not buffered, in on `inPort`. */
function unbufferedPacketIn(inPort: number) {
  const data = Buffer.alloc(60);
  Buffer.from('0200000000010200000000020800', 'hex').copy(data);
  return {
    type: 'packet_in',
    bufferId: 0xffffffff,
    totalLen: 60,
    reason: 0,
    tableId: 0,
    cookie: 0n,
    match: { in_port: inPort },
    data,
  } as const;
}

test('version negotiation picks the highest common version', () => {
  assert.equal(negotiateVersion([1, 4], 4, [1, 4]), 4);
  assert.equal(negotiateVersion([1, 4], 4, [1]), 1);
  assert.equal(negotiateVersion([1, 4], 1, []), 1);
  assert.equal(negotiateVersion([1, 4], 6, []), 4);
  assert.equal(negotiateVersion([1, 4], 3, []), undefined);
  assert.equal(negotiateVersion([1, 4], 2, [2, 3]), undefined);
  assert.equal(negotiateVersion([1], 4, [4]), undefined);
});

test('multipart parts are merged; single bodies pass through', () => {
  const part = (n: number, flags: number): StatsReply => ({
    type: 'stats_reply',
    version: 4,
    xid: 1,
    flags,
    body: { kind: 'flow', flows: Array.from({ length: n }, () => ({}) as FlowStatsEntry) },
  });
  const merged = mergeStatsParts([part(2, 1), part(3, 1), part(1, 0)]);
  assert.equal(merged.kind === 'flow' && merged.flows.length, 6);
  assert.throws(() => mergeStatsParts([]), /parts/);
});

test('OF1.3 handshake: features, config, port-desc, desc, table-miss, then switch_connected', async () => {
  const c = await startController();
  const events: string[] = [];
  c.on('switch_connected', (s) => events.push(`up ${s.dpid}`));
  const fake = await connect(c, { dpid: 0x13n });
  const sw = await connected(c, 0x13n);
  assert.equal(sw.version, 4);
  assert.deepEqual([...sw.ports.keys()].sort(), [1, 2]);
  assert.equal(sw.desc?.mfrDesc, 'Fake');
  assert.equal(sw.features.datapathId, 0x13n);
  assert.deepEqual(events, ['up 19']);
  const cfg = fake.of('set_config');
  assert.equal(cfg[0].missSendLen, 0xffff);
  // The table-miss entries were on the switch before the announcement: each table goes on to the next,
  // the last one (forwarding) to the controller.
  const misses = [...fake.flows].sort((x, y) => x.tableId - y.tableId);
  assert.deepEqual(
    misses.map((f) => [f.tableId, f.priority, f.match, f.cookie]),
    [0, 1, 2].map((t) => [t, 0, {}, appCookie(0xffff)]),
  );
  assert.deepEqual(misses[0].instructions, [{ type: 'goto_table', tableId: 1 }]);
  assert.deepEqual(misses[1].instructions, [{ type: 'goto_table', tableId: 2 }]);
  assert.deepEqual(misses[2].instructions, TABLE_MISS.instructions);
  assert.equal(c.metrics.switches, 1);
});

test('OF1.0 handshake: ports from FEATURES, no flow written', async () => {
  const c = await startController();
  const fake = await connect(c, { dpid: 0x10n, versions: [1] });
  const sw = await connected(c, 0x10n);
  assert.equal(sw.version, 1);
  assert.deepEqual([...sw.ports.keys()].sort(), [1, 2]);
  assert.equal(fake.of('flow_mod').length, 0);
  assert.equal(fake.of('stats_request').filter((m) => m.body.kind === 'port_desc').length, 0);
});

test('a controller limited to 1.0 talks 1.0 to a 1.3-capable switch; HELLO without bitmap uses its header', async () => {
  const c = await startController({ versions: [1] });
  await connect(c, { dpid: 0x21n });
  assert.equal((await connected(c, 0x21n)).version, 1);
  const c2 = await startController();
  await connect(c2, { dpid: 0x22n, versions: [], helloVersion: 1 });
  assert.equal((await connected(c2, 0x22n)).version, 1);
});

test('incompatible version: HELLO_FAILED error, then the connection is closed', async () => {
  const c = await startController();
  const fake = await connect(c, { dpid: 0x30n, versions: [], helloVersion: 3 });
  await waitFor(() => fake.closed, { what: 'connection closed', intervalMs: 5 });
  const errs = fake.of('error');
  assert.equal(errs.length, 1);
  assert.equal(errs[0].errType, 0);
  assert.equal(errs[0].code, 0);
  assert.match(errs[0].data.toString('ascii'), /incompatible/);
  assert.equal(c.switches.has(0x30n), false);
  assert.equal(c.metrics.handshakeFailures, 1);
});

test('echo keepalive on the fake clock: a silent switch is dropped, an answering one stays', async () => {
  const clock = new FakeClock();
  const c = await startController({ echoIntervalMs: 1000, echoTimeoutMs: 3000, clock });
  const gone: bigint[] = [];
  c.on('switch_disconnected', (dpid) => gone.push(dpid));
  const dead = await connect(c, { dpid: 0x40n, silentTo: ['echo_request'] });
  const alive = await connect(c, { dpid: 0x41n });
  await connected(c, 0x40n);
  await connected(c, 0x41n);
  // Idle past the echo interval: the sweep (a timer on the same clock) sends each an ECHO_REQUEST.
  clock.advance(1500);
  await waitFor(() => dead.of('echo_request').length === 1 && alive.of('echo_request').length === 1, {
    what: 'one echo request each',
    intervalMs: 5,
  });
  await c.switches.get(0x41n)!.barrier(); // the live switch's reply has been read
  assert.equal(gone.length, 0);
  // Past the echo timeout only the silent switch has said nothing since.
  clock.advance(2000);
  await waitFor(() => gone.includes(0x40n), { what: 'silent switch dropped', intervalMs: 5 });
  await waitFor(() => dead.closed, { what: 'socket closed', intervalMs: 5 });
  assert.deepEqual(gone, [0x40n]);
  assert.ok(c.switches.has(0x41n));
  assert.equal(c.metrics.echoTimeouts, 1);
});

test('requests: replies matched by xid, timeouts and OFPT_ERROR reject with typed errors', async () => {
  const clock = new FakeClock();
  const c = await startController({ clock });
  await connect(c, { dpid: 0x50n, silentTo: ['get_config_request'], errorFor: ['table'] });
  const sw = await connected(c, 0x50n);
  const [a, b] = await Promise.all([sw.stats({ kind: 'desc' }), sw.barrier()]);
  assert.equal(a.desc.hwDesc, 'fake');
  assert.equal(b, undefined);
  const unanswered = sw.request({ type: 'get_config_request' }, { timeoutMs: 50 });
  clock.advance(49);
  assert.equal(c.metrics.requestTimeouts, 0, 'not before its time');
  clock.advance(1);
  await assert.rejects(unanswered, (err: unknown) => {
    assert.ok(err instanceof RequestTimeoutError);
    assert.equal(err.code, 'CTL_REQUEST_TIMEOUT');
    assert.equal(err.timeoutMs, 50);
    return true;
  });
  await assert.rejects(sw.stats({ kind: 'table' }), (err: unknown) => {
    assert.ok(err instanceof OfErrorReplyError);
    assert.equal(err.errType, 1);
    assert.equal(err.errCode, 2);
    return true;
  });
  // A late reply after a timeout is ignored, and the session still works.
  await sw.barrier();
});

test('multipart flow stats are collected until MORE clears', async () => {
  const flows = Array.from({ length: 7 }, (_, i) => ({
    tableId: 0,
    durationSec: 0,
    durationNsec: 0,
    priority: 100 + i,
    idleTimeout: 0,
    hardTimeout: 0,
    flags: 0,
    cookie: 5n,
    packetCount: 0n,
    byteCount: 0n,
    match: { in_port: i + 1 },
    instructions: [],
  }));
  const c = await startController();
  const fake = await connect(c, { dpid: 0x60n, flowStatsPartSize: 3, flows });
  const sw = await connected(c, 0x60n);
  const r = await sw.stats({
    kind: 'flow',
    tableId: 0xff,
    outPort: 0xffffffff,
    outGroup: 0xffffffff,
    cookie: 0n,
    cookieMask: 0n,
    match: {},
  });
  // 7 seeded + the three tables' miss entries, delivered in parts of 3.
  assert.equal(r.flows.length, 10);
  const last = fake.received.filter((m) => m.type === 'stats_request').pop()!;
  assert.equal(last.type === 'stats_request' && last.body.kind, 'flow');
});

test('pipeline: apps run in `after` order, STOP ends it, a throwing app is contained', async () => {
  const seen: string[] = [];
  const mk = (
    name: string,
    id: number,
    result: 'continue' | 'stop' | 'throw',
    afterNames?: string[],
  ): App => ({
    name,
    cookie: appCookie(id),
    after: afterNames,
    packetIn: (_sw, msg, frame, decision) => {
      seen.push(`${name}:${frame.src}:${decision.verdict ?? '-'}:${msg.match.in_port}`);
      if (name === 'fw') decision.verdict = 'deny';
      if (result === 'throw') throw new Error('boom');
      return result;
    },
  });
  const c = await startController({}, [
    mk('fwd', 1, 'stop', ['fw', 'broken']),
    mk('never', 2, 'continue', ['fwd']),
    mk('fw', 3, 'continue'),
    mk('broken', 4, 'throw'),
  ]);
  const fake = await connect(c, { dpid: 0x70n });
  await connected(c, 0x70n);
  fake.send(unbufferedPacketIn(2));
  await waitFor(() => seen.length === 3, { what: 'three apps saw the packet', intervalMs: 5 });
  assert.deepEqual(seen, [
    'fw:02:00:00:00:00:02:-:2',
    'broken:02:00:00:00:00:02:deny:2',
    'fwd:02:00:00:00:00:02:deny:2',
  ]);
  assert.equal(c.metrics.packetIn, 1);
  assert.equal(c.metrics.appErrors, 1);
  assert.ok(logs.some((l) => l.level === 'error' && l.msg === 'app hook threw'));
});

test('packet-ins a switch sent just before hanging up are still handled, then it is gone', async () => {
  const inPorts: number[] = [];
  const c = await startController({}, [
    {
      name: 'count',
      cookie: appCookie(7),
      packetIn: (_sw, msg) => {
        inPorts.push(msg.match.in_port ?? -1);
        return 'stop';
      },
    },
  ]);
  const fake = await connect(c, { dpid: 0x71n });
  await connected(c, 0x71n);
  fake.sendAndHangUp([unbufferedPacketIn(1), unbufferedPacketIn(2), unbufferedPacketIn(3)]);
  await waitFor(() => !c.switches.has(0x71n), { what: 'switch 0x71 gone', intervalMs: 5 });
  assert.deepEqual(inPorts, [1, 2, 3]);
});

test('a cycle in `after` is a startup error', async () => {
  const c = new Controller({ listen: [{ host: '127.0.0.1', port: 0 }], log, store: {} as Store });
  c.use({ name: 'a', cookie: appCookie(1), after: ['b'] });
  c.use({ name: 'b', cookie: appCookie(2), after: ['a'] });
  await assert.rejects(c.start(), /cycle/);
});

test('options are validated with the field named', () => {
  const base = { log, store: {} as Store };
  assert.throws(() => new Controller({ ...base, listen: [{ host: '', port: 1 }] }), /listen\[0\]\.host/);
  assert.throws(() => new Controller({ ...base, listen: [{ host: 'x', port: 70000 }] }), /listen\[0\]\.port/);
  assert.throws(() => new Controller({ ...base, echoIntervalMs: 0 }), /echoIntervalMs/);
  assert.throws(() => new Controller({ ...base, versions: [2 as 1] }), /versions/);
  const c = new Controller(base);
  assert.throws(() => c.use({ name: 'core', cookie: appCookie(3) }), /already registered/);
  assert.throws(() => c.use({ name: 'x', cookie: 5n }), /app\.cookie/);
});

test('reconciler: adds missing, deletes extras of its own cookie only, restart sends nothing', async () => {
  const APP = appCookie(9);
  let wanted = [{ tableId: 0, priority: 10, match: { in_port: 1 }, instructions: [] }];
  const app: App = { name: 'static', cookie: APP, desiredFlows: () => wanted };
  const stale: FlowStatsEntry = {
    tableId: 0,
    durationSec: 0,
    durationNsec: 0,
    priority: 20,
    idleTimeout: 0,
    hardTimeout: 0,
    flags: 0,
    cookie: APP | 1n,
    packetCount: 0n,
    byteCount: 0n,
    match: { in_port: 7 },
    instructions: [],
  };
  const foreign = { ...stale, cookie: appCookie(10), match: { in_port: 8 } };
  const pipeline = withBand('static');
  const c = await startController({ pipeline }, [app]);
  const fake = await connect(c, { dpid: 0x80n, flows: [stale, foreign] });
  await connected(c, 0x80n);
  await waitFor(() => fake.flows.some((f) => f.priority === 10), {
    what: 'desired flow added',
    intervalMs: 5,
  });
  await waitFor(() => !fake.flows.includes(stale), { what: 'stale flow removed', intervalMs: 5 });
  assert.ok(fake.flows.includes(foreign));
  assert.equal(fake.flows.length, 5); // 3 table-misses + desired + foreign
  await c.stop();

  // A new controller (a restart) finds everything in place and changes nothing.
  const clock = new FakeClock();
  const c2 = await startController({ pipeline, clock, reconcileDebounceMs: 200 }, [app]);
  const fake2 = new FakeSwitch({ dpid: 0x80n, flows: fake.flows });
  switches.push(fake2);
  await fake2.connect(c2.addresses[0].port);
  const sw2 = await connected(c2, 0x80n);
  await waitFor(() => fake2.of('stats_request').filter((m) => m.body.kind === 'flow').length >= 2, {
    what: 'both owners read',
    intervalMs: 5,
  });
  await sw2.barrier();
  assert.equal(fake2.of('flow_mod').length, 0);

  // Changed intent + requestReconcile: only the difference goes out.
  wanted = [...wanted, { tableId: 0, priority: 11, match: { in_port: 2 }, instructions: [] }];
  c2.requestReconcile('static');
  // The debounce window is a timer on the controller's clock: nothing goes out until it has passed.
  clock.advance(199);
  await sw2.barrier();
  assert.equal(fake2.of('flow_mod').length, 0);
  clock.advance(1);
  await waitFor(() => fake2.flows.some((f) => f.priority === 11), {
    what: 'new desired flow added',
    intervalMs: 5,
  });
  const mods = fake2.of('flow_mod');
  assert.equal(mods.length, 1);
  assert.equal(mods[0].command, OFPFC.ADD);
  assert.throws(() => c2.requestReconcile('nope'), /appName/);
});

test("pipeline: a flow outside its app's band is refused, the others go in", async () => {
  const APP = appCookie(11);
  const app: App = {
    name: 'banded',
    cookie: APP,
    desiredFlows: () => [
      { tableId: 0, priority: 50, match: { in_port: 1 }, instructions: [] },
      { tableId: 0, priority: 500, match: { in_port: 2 }, instructions: [] },
      { tableId: 1, priority: 50, match: { in_port: 3 }, instructions: [] },
    ],
  };
  const pipeline = withBand('banded');
  const c = await startController({ pipeline }, [app]);
  const fake = await connect(c, { dpid: 0x81n });
  await connected(c, 0x81n);
  await waitFor(() => fake.flows.some((f) => f.priority === 50), {
    what: 'the flow inside the band added',
    intervalMs: 5,
  });
  await waitFor(() => c.metrics.appErrors === 2, { what: 'both others refused', intervalMs: 5 });
  assert.deepEqual(
    fake.flows.filter((f) => f.cookie === APP).map((f) => [f.tableId, f.priority]),
    [[0, 50]],
  );
});

test("pipeline: registering an app whose band overlaps another app's names both apps", () => {
  const pipeline = withBand('intruder', { of13: [0x9000, 0x9000], of10: [0x10, 0x10] });
  const c = new Controller({ listen: [{ host: '127.0.0.1', port: 0 }], log, store: {} as Store, pipeline });
  c.use({ name: 'acl', cookie: appCookie(5), desiredFlows: () => [] });
  assert.throws(
    () => c.use({ name: 'intruder', cookie: appCookie(12), desiredFlows: () => [] }),
    (err: Error) =>
      err instanceof PipelineError && /'intruder'/.test(err.message) && /'acl'/.test(err.message),
  );
  assert.throws(
    () => c.use({ name: 'unplaced', cookie: appCookie(13), desiredFlows: () => [] }),
    /app 'unplaced' has flows but no band/,
  );
});

test('the same DPID connecting again replaces the old connection', async () => {
  const c = await startController();
  const events: string[] = [];
  c.on('switch_connected', () => events.push('up'));
  c.on('switch_disconnected', (_d, reason) => events.push(`down: ${reason}`));
  const first = await connect(c, { dpid: 0x90n });
  const s1 = await connected(c, 0x90n);
  const second = await connect(c, { dpid: 0x90n });
  await waitFor(() => c.switches.get(0x90n) !== s1, { what: 'replaced', intervalMs: 5 });
  await waitFor(() => first.closed, { what: 'old connection closed', intervalMs: 5 });
  assert.equal(s1.connected, false);
  assert.equal(second.closed, false);
  assert.deepEqual(events, ['up', 'down: replaced by a new connection from the same datapath', 'up']);
  assert.equal(c.metrics.switches, 1);
});

test('port status updates the session ports and reaches apps and listeners', async () => {
  const seen: number[] = [];
  const c = await startController({}, [
    { name: 'watch', cookie: appCookie(1), portStatus: (_s, m) => seen.push(m.desc.portNo) },
  ]);
  const events: number[] = [];
  c.on('port_status', (_s, m) => events.push(m.reason));
  const fake = await connect(c, { dpid: 0xa0n });
  const sw = await connected(c, 0xa0n);
  const desc = { ...sw.ports.get(1)!, portNo: 5, name: 'p5' };
  fake.send({ type: 'port_status', reason: 0, desc });
  await waitFor(() => sw.ports.has(5), { what: 'port added', intervalMs: 5 });
  fake.send({ type: 'port_status', reason: 1, desc: sw.ports.get(2)! });
  await waitFor(() => !sw.ports.has(2), { what: 'port deleted', intervalMs: 5 });
  assert.deepEqual(seen, [5, 2]);
  assert.deepEqual(events, [0, 1]);
});

test('unsolicited switch errors and flow removals become events', async () => {
  const c = await startController();
  const got: string[] = [];
  c.on('error', (_s, m) => got.push(`error ${m.errType}/${m.code}`));
  c.on('flow_removed', (_s, m) => got.push(`removed ${m.priority}`));
  const fake = await connect(c, { dpid: 0xb0n });
  await connected(c, 0xb0n);
  fake.send({ type: 'error', errType: 5, code: 1, data: Buffer.alloc(0), xid: 999999 });
  fake.send({
    type: 'flow_removed',
    cookie: 1n,
    priority: 33,
    reason: 0,
    tableId: 0,
    durationSec: 1,
    durationNsec: 0,
    idleTimeout: 10,
    hardTimeout: 0,
    packetCount: 0n,
    byteCount: 0n,
    match: {},
  });
  await waitFor(() => got.length === 2, { what: 'two events', intervalMs: 5 });
  assert.deepEqual(got, ['error 5/1', 'removed 33']);
});
