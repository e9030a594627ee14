import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HandEngine,
  SampleRing,
  aggregate,
  arbitrate,
  combine,
  compare,
  conflicts,
  parseRule,
  pickLeast,
  type HandEvent,
  type HandRule,
  type HostSamples,
} from '../../src/apps/hostaware/index.js';

const T0 = 1_700_000_000_000;
const S = 1000;
const h1 = { name: 'h1', ip: '10.0.0.1', cluster: 'grid' };

function rule(over: Record<string, unknown> = {}): HandRule {
  return parseRule({
    name: 'r1',
    host: 'h1',
    conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 1e6 }],
    action: { type: 'qos', params: { name: 'lim', queue: 2 } },
    ...over,
  });
}

/** An engine holding one rule on h1 over bytes_out aggregated over a window. */
function windowed(agg: string, seconds: number, comparator = 'gt', value = 1e6): HandEngine {
  const e = new HandEngine();
  e.setRule(rule({ conditions: [{ metric: 'bytes_out', comparator, value, window: { agg, seconds } }] }), T0);
  return e;
}

const bytes = (v: number): HostSamples => ({ bytes_out: { value: v } });
const actions = (ev: HandEvent[]) =>
  ev.filter((e) => e.type === 'ACTION').map((e) => `${e.op} ${e.rule}@${e.host}`);
const types = (ev: HandEvent[]) => ev.map((e) => e.type);

/** Polls h1 once a second from T0 with the given bytes_out values; returns each poll's events. */
function run(engine: HandEngine, values: (number | HostSamples)[], start = 0): HandEvent[][] {
  return values.map((v, i) => engine.observe(h1, typeof v === 'number' ? bytes(v) : v, T0 + (start + i) * S));
}

function stateOf(engine: HandEngine, name = 'r1', host = 'h1') {
  const s = engine.status().find((x) => x.rule === name && x.host === host);
  assert.ok(s, `no status for ${name}@${host}`);
  return s;
}

test('comparators, aggregates and three-valued all/any', () => {
  assert.ok(compare('gt', 2, 1) && !compare('gt', 1, 1));
  assert.ok(compare('gte', 1, 1) && !compare('gte', 0, 1));
  assert.ok(compare('lt', 0, 1) && !compare('lt', 1, 1));
  assert.ok(compare('lte', 1, 1) && !compare('lte', 2, 1));
  assert.ok(compare('et', 1, 1) && !compare('et', 1.5, 1));
  assert.ok(compare('ne', 2, 1) && !compare('ne', 1, 1));
  assert.equal(aggregate('avg', [1, 2, 6]), 3);
  assert.equal(aggregate('max', [1, 7, 6]), 7);
  assert.equal(aggregate('min', [4, 2, 6]), 2);
  assert.equal(aggregate('avg', []), undefined);
  assert.equal(combine('all', [true, true]), true);
  assert.equal(combine('all', [true, false]), false);
  assert.equal(combine('all', [undefined, false]), false, 'a false condition decides all, known or not');
  assert.equal(combine('all', [true, undefined]), undefined);
  assert.equal(combine('any', [false, false]), false);
  assert.equal(combine('any', [undefined, true]), true);
  assert.equal(combine('any', [undefined, false]), undefined);
});

test('SampleRing: bounded, dedups a re-reported timestamp, window by time', () => {
  const r = new SampleRing(3);
  r.push(1, 10);
  r.push(2, 20);
  r.push(2, 21); // the same report again, newer value
  r.push(1, 99); // older than the latest: dropped
  assert.deepEqual(r.since(0), [10, 21]);
  r.push(3, 30);
  r.push(4, 40);
  assert.deepEqual(r.since(0), [21, 30, 40], 'capacity 3 keeps the newest three');
  assert.deepEqual(r.since(2), [30, 40]);
  assert.deepEqual(r.latest(), { at: 4, value: 40 });
  assert.deepEqual(r.resized(2).since(0), [30, 40]);
  assert.deepEqual(r.resized(5).since(0), [21, 30, 40]);
});

test('check limit 3 acts on exactly the third consecutive met poll, once', () => {
  const e = new HandEngine();
  e.setRule(rule({ checkLimit: 3 }), T0);
  const ev = run(e, [2e6, 2e6, 2e6, 2e6, 2e6]);
  assert.deepEqual(ev.map(actions), [[], [], ['apply r1@h1'], [], []]);
  assert.deepEqual(
    ev.map((x) => x.find((y) => y.type === 'THRESHOLD_MET')?.count),
    [1, 2, 3, 4, 5],
  );
  const apply = ev[2]!.find((x) => x.type === 'ACTION')!;
  assert.deepEqual(apply.action, { type: 'qos', params: { name: 'lim', queue: 2 } });
  assert.equal(apply.at, T0 + 2 * S);
  assert.equal(stateOf(e).state, 'active');
  assert.equal(stateOf(e).activeSince, T0 + 2 * S);
});

test('a break in the run restarts the count', () => {
  const e = new HandEngine();
  e.setRule(rule({ checkLimit: 3 }), T0);
  const ev = run(e, [2e6, 2e6, 0, 2e6, 2e6, 2e6]);
  assert.deepEqual(ev.map(actions), [[], [], [], [], [], ['apply r1@h1']]);
  assert.equal(stateOf(e).state, 'active');
  const e2 = new HandEngine();
  e2.setRule(rule({ checkLimit: 3 }), T0);
  run(e2, [2e6, 2e6]);
  assert.equal(stateOf(e2).state, 'pending');
  assert.equal(stateOf(e2).metCount, 2);
  assert.deepEqual(stateOf(e2).lastValues, [2e6]);
  assert.equal(stateOf(e2).lastMet, true);
});

test('clearing undoes when undoOnClear, and keeps the action otherwise', () => {
  const e = new HandEngine();
  e.setRule(rule(), T0);
  const ev = run(e, [2e6, 2e6, 0, 0]);
  assert.deepEqual(ev.map(actions), [['apply r1@h1'], [], ['undo r1@h1'], []]);
  assert.equal(stateOf(e).state, 'idle');
  assert.equal(ev[2]!.find((x) => x.type === 'ACTION')!.op, 'undo');
  // It may act again after it cleared.
  assert.deepEqual(actions(e.observe(h1, bytes(2e6), T0 + 4 * S)), ['apply r1@h1']);

  const keep = new HandEngine();
  keep.setRule(rule({ undoOnClear: false }), T0);
  const ev2 = run(keep, [2e6, 0, 2e6]);
  assert.deepEqual(ev2.map(actions), [['apply r1@h1'], [], []], 'no undo, and no second apply');
  // Deleting the rule undoes what it left in place.
  assert.deepEqual(actions(keep.removeRule('r1', T0 + 3 * S)), ['undo r1@h1']);
  assert.deepEqual(keep.status(), []);
});

test('clearPolls: an active rule clears only after N not-met polls in a row', () => {
  const e = new HandEngine();
  e.setRule(rule({ clearPolls: 3 }), T0);
  const ev = run(e, [2e6, 0, 0, 2e6, 0, 0, 0]);
  assert.deepEqual(ev.map(actions), [['apply r1@h1'], [], [], [], [], [], ['undo r1@h1']]);
});

test('clear threshold: active until the value is beyond clear, not just below value', () => {
  const e = new HandEngine();
  e.setRule(rule({ conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 1e6, clear: 5e5 }] }), T0);
  const ev = run(e, [2e6, 9e5, 6e5, 5e5, 9e5, 1.5e6]);
  // 9e5 and 6e5 are below the threshold but above clear: still active. 5e5 is not > 5e5: clears. 9e5 no longer
  // acts (the threshold is value again), 1.5e6 does.
  assert.deepEqual(ev.map(actions), [['apply r1@h1'], [], [], ['undo r1@h1'], [], ['apply r1@h1']]);
});

test('cool-down: after clearing, met polls do not count until it has passed', () => {
  const e = new HandEngine();
  e.setRule(rule({ coolDown: 3 }), T0);
  const ev = run(e, [2e6, 0, 2e6, 2e6, 2e6, 2e6]);
  // Clears at t=1 s, cooling until t=4 s: polls at 2 and 3 s are ignored, the one at 4 s acts.
  assert.deepEqual(ev.map(actions), [['apply r1@h1'], ['undo r1@h1'], [], [], ['apply r1@h1'], []]);
  assert.ok(!types(ev[2]!).includes('THRESHOLD_MET'));
  const e2 = new HandEngine();
  e2.setRule(rule({ coolDown: 3 }), T0);
  run(e2, [2e6, 0, 2e6]);
  assert.equal(stateOf(e2).state, 'cooling');
  assert.equal(stateOf(e2).coolingUntil, T0 + 4 * S);
});

test('all and any', () => {
  const conditions = [
    { metric: 'bytes_out', comparator: 'gt', value: 1e6 },
    { metric: 'load_one', comparator: 'gte', value: 5 },
  ];
  const both = (b: number, l: number): HostSamples => ({ bytes_out: { value: b }, load_one: { value: l } });
  const all = new HandEngine();
  all.setRule(rule({ conditions }), T0);
  assert.deepEqual(run(all, [both(2e6, 1), both(0, 5), both(2e6, 5)]).map(actions), [
    [],
    [],
    ['apply r1@h1'],
  ]);
  const any = new HandEngine();
  any.setRule(rule({ conditions, join: 'any' }), T0);
  assert.deepEqual(run(any, [both(0, 1), both(0, 5)]).map(actions), [[], ['apply r1@h1']]);
});

test('windows: avg and max over the samples of the last N seconds', () => {
  const avg = windowed('avg', 3);
  // Averages over the last 3 s (samples at t-2, t-1, t): 0.5e6, 1e6, 1e6 (not > 1e6), 4/3e6 -> acts at 3 s.
  const ev = run(avg, [5e5, 1.5e6, 1e6, 1.5e6]);
  assert.deepEqual(ev.map(actions), [[], [], [], ['apply r1@h1']]);
  assert.deepEqual(stateOf(avg).lastValues, [(1.5e6 + 1e6 + 1.5e6) / 3]);

  const max = windowed('max', 2);
  // One spike keeps max over 2 s met for two polls, then it leaves the window.
  const ev2 = run(max, [2e6, 0, 0, 0]);
  assert.deepEqual(ev2.map(actions), [['apply r1@h1'], [], ['undo r1@h1'], []]);
  // The source's own timestamps decide the window, and a re-reported sample counts once.
  const src = windowed('avg', 10, 'lt', 2);
  run(src, [
    { bytes_out: { value: 1, at: T0 } },
    { bytes_out: { value: 1, at: T0 } },
    { bytes_out: { value: 4, at: T0 + 2 * S } },
  ]);
  assert.deepEqual(stateOf(src).lastValues, [2.5]);
});

test('a window with no fresh sample uses the latest value (a gauge holds between reports)', () => {
  const e = windowed('avg', 2);
  // gmond re-reports the same sample (same timestamp) for 20 s: still the value.
  const ev = run(
    e,
    [0, 1, 2, 3].map(() => ({ bytes_out: { value: 3e6, at: T0 - 20 * S } })),
  );
  assert.deepEqual(ev.map(actions), [['apply r1@h1'], [], [], []]);
});

test('stale or missing metrics: never an action, one WARN, INFO when back; the count restarts', () => {
  const e = new HandEngine();
  e.setRule(rule({ checkLimit: 2 }), T0);
  const stale = { bytes_out: { value: 9e9, stale: true } };
  const ev = run(e, [2e6, stale, stale, {}, 2e6, 2e6]);
  assert.deepEqual(ev.map(actions), [[], [], [], [], [], ['apply r1@h1']]);
  assert.deepEqual(types(ev[1]!), ['WARN']);
  assert.equal(ev[1]![0]!.metric, 'bytes_out');
  assert.match(ev[1]![0]!.message, /stale/);
  assert.deepEqual(types(ev[2]!), [], 'one WARN per outage, not one per poll');
  assert.deepEqual(types(ev[3]!), [], 'missing after stale: the same outage');
  assert.deepEqual(types(ev[4]!), ['INFO', 'THRESHOLD_MET']);
  assert.equal(ev[4]!.find((x) => x.type === 'THRESHOLD_MET')!.count, 1, 'the outage broke the run');

  const missing = new HandEngine();
  missing.setRule(rule(), T0);
  const ev2 = run(missing, [{ other: { value: 1 } }, { bytes_out: { value: NaN } }]);
  assert.deepEqual(types(ev2[0]!), ['WARN']);
  assert.match(ev2[0]![0]!.message, /missing/);
  assert.equal(stateOf(missing).state, 'stale');
  assert.deepEqual(stateOf(missing).lastValues, [null]);
  assert.equal(stateOf(missing).lastMet, null);
});

test('an outage while active keeps the action: no undo on unknown data', () => {
  const e = new HandEngine();
  e.setRule(rule(), T0);
  const ev = run(e, [2e6, {}, {}, 2e6, 0]);
  assert.deepEqual(ev.map(actions), [['apply r1@h1'], [], [], [], ['undo r1@h1']]);
  // With `any`, a met condition acts even while another one's metric is missing.
  const any = new HandEngine();
  any.setRule(
    rule({
      join: 'any',
      conditions: [
        { metric: 'bytes_out', comparator: 'gt', value: 1e6 },
        { metric: 'load_one', comparator: 'gt', value: 5 },
      ],
    }),
    T0,
  );
  const ev2 = run(any, [2e6]);
  assert.deepEqual(types(ev2[0]!), ['WARN', 'THRESHOLD_MET', 'ACTION']);
});

test('polling time: a rule is evaluated only when due, samples are recorded every poll', () => {
  const e = new HandEngine();
  e.setRule(
    rule({
      pollingTime: 3,
      checkLimit: 2,
      conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 1e6, window: { agg: 'max', seconds: 3 } }],
    }),
    T0,
  );
  assert.ok(e.due(h1, T0));
  const ev = run(e, [0, 2e6, 0, 0, 0, 0, 0]);
  // Due at 0, 3 and 6 s: at 3 s the max over (0, 3] s sees the 1 s spike (met 1); at 6 s it does not.
  assert.deepEqual(
    ev.map((x) => types(x)),
    [[], [], [], ['THRESHOLD_MET'], [], [], []],
  );
  assert.ok(!e.due(h1, T0 + 7 * S));
  assert.ok(e.due(h1, T0 + 9 * S - 50), 'a little early still counts: timers jitter');
  assert.ok(!e.due({ name: 'h9' }, T0), 'a host no rule selects');
});

test('selectors: one rule tracks every host it selects separately', () => {
  const e = new HandEngine();
  e.setRule(rule({ host: 'cluster:grid' }), T0);
  const h2 = { name: 'h2', ip: '10.0.0.2', cluster: 'grid' };
  const h3 = { name: 'h3', ip: '10.0.0.3', cluster: 'other' };
  assert.deepEqual(actions(e.observe(h1, bytes(2e6), T0)), ['apply r1@h1']);
  assert.deepEqual(actions(e.observe(h2, bytes(0), T0)), []);
  assert.deepEqual(actions(e.observe(h3, bytes(2e6), T0)), []);
  assert.deepEqual(
    e.status().map((s) => `${s.host}:${s.state}`),
    ['h1:active', 'h2:idle'],
  );
  // h2 moves to another cluster: the rule lets go of it (h1 keeps its action).
  assert.deepEqual(actions(e.observe(h2, bytes(2e6), T0 + S)), ['apply r1@h2']);
  assert.deepEqual(actions(e.observe({ ...h2, cluster: 'other' }, bytes(2e6), T0 + 2 * S)), ['undo r1@h2']);
  assert.deepEqual(actions(e.removeHost('h1', T0 + S)), ['undo r1@h1']);
});

test('conflicts: same QoS, opposite admission, same flow or service; report and reroute never', () => {
  const a = (type: string, params: Record<string, unknown> = {}) => rule({ action: { type, params } }).action;
  assert.ok(conflicts(a('qos', { name: 'a' }), a('qos', { name: 'b' })));
  assert.ok(conflicts(a('drop'), a('firewall', { action: 'allow' })));
  assert.ok(conflicts(a('drop'), a('firewall')), 'a firewall rule allows by default');
  assert.ok(!conflicts(a('drop'), a('acl')), 'an ACL entry denies by default: two denies agree');
  assert.ok(conflicts(a('acl', { action: 'permit' }), a('firewall', { action: 'deny' })));
  assert.ok(!conflicts(a('drop'), a('drop')));
  assert.ok(conflicts(a('staticflow', { name: 'f' }), a('staticflow', { name: 'f' })));
  assert.ok(!conflicts(a('staticflow', { name: 'f' }), a('staticflow', { name: 'g' })));
  const lb = { service: '10.0.0.100', pool: ['h2'], metric: 'load_one' };
  assert.ok(conflicts(a('loadbalance', lb), a('loadbalance', lb)));
  assert.ok(!conflicts(a('loadbalance', lb), a('loadbalance', { ...lb, service: '10.0.0.101' })));
  assert.ok(!conflicts(a('report'), a('report')));
  assert.ok(!conflicts(a('reroute', { avoid: { switch: 1 } }), a('reroute', { avoid: { switch: 1 } })));
  assert.ok(!conflicts(a('qos'), a('drop')));
  // Higher priority wins, ties by name, non-conflicting ones all apply.
  const c = (name: string, priority: number, type: string) => ({ name, priority, action: a(type) });
  assert.deepEqual([...arbitrate([c('low', 1, 'qos'), c('high', 5, 'qos'), c('rep', 0, 'report')])].sort(), [
    'high',
    'rep',
  ]);
  assert.deepEqual([...arbitrate([c('b', 5, 'qos'), c('a', 5, 'qos')])], ['a']);
});

test('priority: the higher rule wins, the loser is suppressed and takes over when the winner clears', () => {
  const e = new HandEngine();
  const cond = (metric: string) => [{ metric, comparator: 'gt', value: 1 }];
  e.setRule(rule({ name: 'low', priority: 1, conditions: cond('a') }), T0);
  e.setRule(rule({ name: 'high', priority: 9, conditions: cond('b'), checkLimit: 2 }), T0);
  const poll = (a: number, b: number, t: number) =>
    actions(e.observe(h1, { a: { value: a }, b: { value: b } }, T0 + t * S));
  assert.deepEqual(poll(5, 5, 0), ['apply low@h1'], 'high is pending (check limit 2)');
  assert.deepEqual(poll(5, 5, 1), ['undo low@h1', 'apply high@h1'], 'preempted: undo first');
  assert.equal(stateOf(e, 'low').state, 'suppressed');
  assert.equal(stateOf(e, 'high').state, 'active');
  assert.deepEqual(poll(5, 5, 2), []);
  assert.deepEqual(
    poll(5, 0, 3),
    ['undo high@h1', 'apply low@h1'],
    'the winner clears: low takes over at once',
  );
  assert.equal(stateOf(e, 'low').state, 'active');
  // Deleting the winner also hands over.
  assert.deepEqual(poll(5, 5, 4), []);
  assert.deepEqual(poll(5, 5, 5), ['undo low@h1', 'apply high@h1']);
  assert.deepEqual(actions(e.removeRule('high', T0 + 6 * S)), ['undo high@h1', 'apply low@h1']);
  assert.equal(stateOf(e, 'low').state, 'active');
});

test('priority ties go to the lower name; a suppressed rule that clears just goes idle', () => {
  const e = new HandEngine();
  e.setRule(rule({ name: 'b', priority: 5 }), T0);
  e.setRule(rule({ name: 'a', priority: 5 }), T0);
  assert.deepEqual(actions(e.observe(h1, bytes(2e6), T0)), ['apply a@h1']);
  assert.equal(stateOf(e, 'b').state, 'suppressed');
  e.setRule(
    rule({ name: 'b', priority: 5, conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 5e6 }] }),
    T0,
  );
  assert.deepEqual(actions(e.observe(h1, bytes(2e6), T0 + S)), []);
  assert.equal(stateOf(e, 'b').state, 'idle');
});

test('replacing or deactivating a rule undoes its actions and restarts its count', () => {
  const e = new HandEngine();
  e.setRule(rule(), T0);
  run(e, [2e6]);
  assert.deepEqual(actions(e.setRule(rule({ checkLimit: 2 }), T0 + S)), ['undo r1@h1']);
  assert.deepEqual(run(e, [2e6, 2e6], 2).map(actions), [[], ['apply r1@h1']]);
  assert.deepEqual(actions(e.setRule(rule({ active: false }), T0 + 4 * S)), ['undo r1@h1']);
  assert.deepEqual(run(e, [2e6, 2e6], 5).map(actions), [[], []]);
  assert.deepEqual(e.status(), []);
});

test('markError: the rule stops acting on the host until its condition is not met', () => {
  const e = new HandEngine();
  e.setRule(rule({ name: 'high', priority: 9 }), T0);
  e.setRule(rule({ name: 'low', priority: 1 }), T0);
  assert.deepEqual(actions(e.observe(h1, bytes(2e6), T0)), ['apply high@h1']);
  const err = e.markError('high', 'h1', 'QoS is disabled', T0);
  assert.deepEqual(types(err), ['ERROR', 'ACTION']);
  assert.deepEqual(actions(err), ['apply low@h1'], 'the next rule in line takes over');
  assert.equal(stateOf(e, 'high').state, 'error');
  assert.equal(stateOf(e, 'high').error, 'QoS is disabled');
  assert.deepEqual(actions(e.observe(h1, bytes(2e6), T0 + S)), [], 'no retry every poll');
  const back = e.observe(h1, bytes(0), T0 + 2 * S);
  assert.deepEqual(actions(back), ['undo low@h1']);
  assert.equal(stateOf(e, 'high').state, 'idle');
  assert.deepEqual(actions(e.observe(h1, bytes(2e6), T0 + 3 * S)), ['apply high@h1']);
  assert.deepEqual(e.markError('nope', 'h1', 'x', T0), []);
});

test('check limit N acts on exactly the Nth met poll, for N = 1..8', () => {
  for (let n = 1; n <= 8; n++) {
    const e = new HandEngine();
    e.setRule(rule({ checkLimit: n }), T0);
    const ev = run(e, new Array<number>(n + 2).fill(2e6));
    const at = ev.findIndex((x) => actions(x).length > 0);
    assert.equal(at, n - 1, `check limit ${n}`);
    assert.equal(ev.flatMap(actions).length, 1);
  }
});

test('THRESHOLD_MET says what was judged', () => {
  const e = new HandEngine();
  e.setRule(
    rule({
      checkLimit: 2,
      conditions: [
        { metric: 'bytes_out', comparator: 'gt', value: 1e6, clear: 5e5 },
        { metric: 'load_one', comparator: 'gte', value: 5, window: { agg: 'max', seconds: 10 } },
      ],
      join: 'any',
    }),
    T0,
  );
  const msg = (ev: HandEvent[]) => ev.find((x) => x.type === 'THRESHOLD_MET')?.message;
  assert.equal(
    msg(e.observe(h1, bytes(2e6), T0)),
    'met 1/2: bytes_out 2000000 gt 1000000 or max(load_one, 10s) ? gte 5',
  );
  e.observe(h1, bytes(2e6), T0 + S);
  assert.match(msg(e.observe(h1, bytes(6e5), T0 + 2 * S))!, /^met 3\/2: bytes_out 600000 gt 500000 /);
});

test('pickLeast: the least value, ties to the earlier member, unknown ones skipped', () => {
  const load: Record<string, number> = { h2: 3, h3: 1, h4: 1, h5: NaN };
  const v = (h: string) => load[h];
  assert.equal(pickLeast(['h2', 'h3', 'h4'], v), 'h3');
  assert.equal(pickLeast(['h4', 'h3'], v), 'h4');
  assert.equal(pickLeast(['h9', 'h5', 'h2'], v), 'h2');
  assert.equal(pickLeast(['h9', 'h5'], v), undefined);
  assert.equal(pickLeast([], v), undefined);
});
