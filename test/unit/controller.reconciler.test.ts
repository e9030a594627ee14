/** The Reconciler's run: phases and barriers, per-message outcomes from the switch's OFPT_ERRORs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Reconciler,
  appCookie,
  flowOutcome,
  rejections,
  type App,
  type FlowSpec,
  type OfMessageBody,
  type SwitchSession,
} from '../../src/controller/index.js';
import {
  OFPFC,
  OFPMF,
  OFP_VERSION_1_3,
  type ErrorMsg,
  type FlowStatsEntry,
  type MeterConfigEntry,
} from '../../src/openflow/index.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const APP = appCookie(9);

/** A session whose switch answers from scripted state; `refuse` picks messages it answers with an error. */
class ScriptedSession {
  readonly dpid = 1n;
  readonly version = OFP_VERSION_1_3;
  connected = true;
  /** Everything sent, with 'barrier' marks. */
  readonly log: (OfMessageBody | 'barrier')[] = [];
  private xid = 1;
  constructor(
    public flows: FlowStatsEntry[],
    public meters: MeterConfigEntry[],
    private readonly refuse: (m: OfMessageBody) => boolean,
    private readonly onError: (msg: ErrorMsg) => void,
  ) {}
  send(msg: OfMessageBody): number {
    const xid = this.xid++;
    this.log.push(msg);
    if (this.refuse(msg)) {
      const err = { type: 'error', version: 4, xid, errType: 12, code: 7, data: Buffer.alloc(0) } as ErrorMsg;
      queueMicrotask(() => this.onError(err));
    }
    return xid;
  }
  async barrier(): Promise<void> {
    this.log.push('barrier');
  }
  async stats(body: { kind: string }) {
    return body.kind === 'flow'
      ? { kind: 'flow', flows: this.flows }
      : { kind: 'meter_config', meters: this.meters };
  }
}

const meter = (id: number, rate: number): MeterConfigEntry => ({
  meterId: id,
  flags: OFPMF.KBPS,
  bands: [{ type: 'drop', rate, burstSize: 0 }],
});
const metered = (id: number, port: number): FlowSpec => ({
  tableId: 0,
  priority: 100 + id,
  match: { in_port: port },
  instructions: [
    { type: 'meter', meterId: id },
    { type: 'apply_actions', actions: [{ type: 'output', port: 9, maxLen: 0 }] },
  ],
});

function setup(app: App, sw: ScriptedSession | undefined, errors: { to?: Reconciler }) {
  const r = new Reconciler({
    apps: () => [app],
    switches: () => (sw ? [sw as unknown as SwitchSession] : []),
    guard: (_a, _h, fn) => fn(),
    log: quiet,
  });
  errors.to = r;
  return r;
}

test('meters go before the flows that use them, meter deletes after the flows; one barrier per phase', async () => {
  const stale: FlowStatsEntry = {
    ...metered(5, 5),
    cookie: APP,
    durationSec: 0,
    durationNsec: 0,
    idleTimeout: 0,
    hardTimeout: 0,
    flags: 0,
    packetCount: 0n,
    byteCount: 0n,
  };
  const app: App = {
    name: 'rates',
    cookie: APP,
    desiredFlows: () => [metered(1, 1)],
    desiredMeters: () => [meter(1, 100)],
    ownsMeter: (id) => id < 10,
  };
  const hook: { to?: Reconciler } = {};
  const sw = new ScriptedSession(
    [stale],
    [meter(5, 1), meter(77, 1)],
    () => false,
    (m) => hook.to?.switchError(sw as unknown as SwitchSession, m),
  );
  const r = setup(app, sw, hook);
  const [run] = await r.reconcile({ app: 'rates' });
  const shape = sw.log.map((m) =>
    m === 'barrier'
      ? 'barrier'
      : m.type === 'meter_mod'
        ? `meter ${m.command} ${m.meterId}`
        : `flow ${(m as { command: number }).command}`,
  );
  assert.deepEqual(
    shape,
    [
      'meter 0 1',
      'barrier',
      `flow ${OFPFC.DELETE_STRICT}`,
      `flow ${OFPFC.ADD}`,
      'barrier',
      'meter 2 5',
      'barrier',
    ],
    "meter 77 is not the app's: left alone",
  );
  assert.deepEqual(
    run.meters.map((m) => [m.op, m.meterId, m.error]),
    [
      ['add', 1, undefined],
      ['delete', 5, undefined],
    ],
  );
  assert.deepEqual(rejections([run]), []);
  assert.equal(run.failure, undefined);
});

test('the switch error for one flow lands on that flow; a targeted run sends only the named flows', async () => {
  const ok: FlowSpec = { tableId: 0, priority: 10, match: { in_port: 1 }, instructions: [] };
  const bad: FlowSpec = { tableId: 0, priority: 10, match: { in_port: 2 }, instructions: [] };
  const gone = { tableId: 0, priority: 10, match: { in_port: 3 }, cookie: APP | 3n };
  const app: App = { name: 'static', cookie: APP, desiredFlows: () => [ok, bad] };
  const hook: { to?: Reconciler } = {};
  const sw = new ScriptedSession(
    [],
    [],
    (m) => m.type === 'flow_mod' && (m as { match: { in_port?: number } }).match.in_port === 2,
    (m) => hook.to?.switchError(sw as unknown as SwitchSession, m),
  );
  const r = setup(app, sw, hook);
  const [run] = await r.reconcile({ app: 'static', dpid: 1n, flows: [ok, bad, gone] });
  assert.equal(flowOutcome(run, ok)?.error, undefined);
  assert.equal(flowOutcome(run, ok)?.op, 'add');
  assert.match(flowOutcome(run, bad)?.error?.message ?? '', /OFPT_ERROR type 12 code 7/);
  const del = flowOutcome(run, gone);
  assert.deepEqual([del?.op, del?.flow.cookie], ['delete', APP | 3n]);
  assert.equal(rejections([run]).length, 1);
  assert.equal(sw.log.filter((m) => m !== 'barrier').length, 3, 'no stats read, nothing else sent');

  // Two requests in one turn share a run (and its barrier); a switch that is not connected gives none.
  const both = await Promise.all([
    r.reconcile({ app: 'static', dpid: 1n, flows: [ok] }),
    r.reconcile({ app: 'static', dpid: 1n, flows: [bad] }),
    r.reconcile({ app: 'static', dpid: 2n }),
  ]);
  assert.equal(both[0][0], both[1][0]);
  assert.deepEqual(both[2], []);
  assert.throws(() => r.reconcile({ app: 'nope' }), /appName/);
});

test('a run on a switch that went away reports the failure instead of outcomes', async () => {
  const app: App = { name: 'a', cookie: APP, desiredFlows: () => [] };
  const hook: { to?: Reconciler } = {};
  const sw = new ScriptedSession(
    [],
    [],
    () => false,
    () => {},
  );
  sw.connected = false;
  const r = setup(app, sw, hook);
  const run = await r.run(sw as unknown as SwitchSession, [{ app }]);
  assert.match(run.failure?.message ?? '', /disconnected/);
  assert.deepEqual(sw.log, []);
});
