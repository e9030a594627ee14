/**
 * The host-aware app over a fake source (an injected poll) and a FakeClock, acting through a real ACL app and a
 * recording forwarding/services handle: the check limit counts polls, a drop is an ACL deny tagged with its
 * rule and removed exactly when the condition clears, a failing source warns and never acts, priorities decide,
 * deleting a rule undoes, a restart undoes what the previous run left, and bad input names the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AclApp } from '../../src/apps/acl/index.js';
import { HostAwareApp, type ServiceTarget } from '../../src/apps/hostaware/index.js';
import {
  SourceFetchError,
  type SourceConfig,
  type SourceSnapshot,
} from '../../src/apps/hostaware/sources/index.js';
import type { AppContext } from '../../src/controller/index.js';
import type { Store } from '../../src/store/index.js';
import { ipv4TextToNum } from '../../src/packet/index.js';
import { FakeClock } from '../../src/util/index.js';
import { fakeAppContext, tempStore } from './apps.testctx.js';

/** What the fake gmond reports now: host -> metric -> value; `down` makes the poll fail. */
class FakeSource {
  values = new Map<string, Record<string, number>>();
  down = false;
  polls = 0;
  /** While set, a poll waits for it before answering (a slow fetch and parse). */
  gate: Promise<void> | undefined;
  poll = async (cfg: SourceConfig, now: number): Promise<SourceSnapshot> => {
    this.polls++;
    if (this.gate) await this.gate;
    if (this.down) throw new SourceFetchError('SOURCE_UNREACHABLE', 'gmond 127.0.0.1:8649', 'ECONNREFUSED');
    const snap: SourceSnapshot = { source: cfg.name, hosts: [], samples: [] };
    for (const [host, metrics] of this.values) {
      const ip = `10.0.0.${host.slice(1)}`;
      snap.hosts.push({ name: host, ip, cluster: 'c', source: cfg.name, reported: now });
      for (const [name, value] of Object.entries(metrics))
        snap.samples.push({ host, ip, name, value, at: now });
    }
    return snap;
  };
}

class RecordingServices implements ServiceTarget {
  readonly calls: string[] = [];
  setService(s: { id: string; ip: string; port?: number; member: { ip: string } }) {
    this.calls.push(`set ${s.id} ${s.ip}:${s.port} -> ${s.member.ip}`);
  }
  setServiceMember(id: string, m: { ip: string }) {
    this.calls.push(`member ${id} -> ${m.ip}`);
    return true;
  }
  clearService(id: string) {
    this.calls.push(`clear ${id}`);
    return true;
  }
}

async function setup(store: Store = tempStore()) {
  const clock = new FakeClock();
  const { ctx: base } = fakeAppContext(store);
  const ctx: AppContext = { ...base, clock, now: () => clock.now() };
  const acl = new AclApp();
  await acl.start(ctx);
  const src = new FakeSource();
  const services = new RecordingServices();
  const forwarding = {
    mode: 'path' as const,
    setRouteConstraint: () => undefined,
    clearRouteConstraint: () => true,
  };
  const app = new HostAwareApp({ acl, poll: src.poll, services, forwarding });
  await app.start(ctx);
  /** One poll interval passes; resolves once the poll and its actions are done. */
  const tick = async (ms = 1000) => {
    clock.advance(ms);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    await app.settled();
  };
  return { app, acl, src, services, clock, tick, store, ctx };
}

const dropRule = (over: Record<string, unknown> = {}) => ({
  name: 'hot',
  host: 'h1',
  conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 1e6 }],
  checkLimit: 3,
  action: { type: 'drop' },
  ...over,
});

test('the action comes on exactly the check-limit poll, is an ACL deny, and goes when the value drops', async () => {
  const { app, acl, src, tick } = await setup();
  src.values.set('h1', { bytes_out: 2e6 });
  await app.addSource({ type: 'gmond', name: 'g', address: '127.0.0.1:8649', interval: 1 });
  await app.addRule(dropRule());
  // addSource polled once (before the rule): polls counted from here.
  await tick();
  await tick();
  assert.equal(acl.list().length, 0, 'acted after two polls');
  assert.equal(app.getRule('hot').hosts[0]?.state, 'pending');
  assert.deepEqual(
    app.messages.page({ type: 'THRESHOLD_MET' }).messages.map((m) => m.count),
    [1, 2],
  );
  await tick();
  assert.deepEqual(
    acl.list().map((r) => [r.action, r.srcIp?.addr, r.srcIp?.bits]),
    [['deny', ipv4TextToNum('10.0.0.1'), 32]],
  );
  const view = app.getRule('hot');
  assert.equal(view.hosts[0]?.state, 'active');
  assert.deepEqual(view.hosts[0]?.applied, { kind: 'acl', id: acl.list()[0]!.id });

  src.values.set('h1', { bytes_out: 10 });
  await tick();
  assert.equal(acl.list().length, 0, 'the deny stayed after the value dropped');
  const types = app.messages.page({ limit: 1000 }).messages.map((m) => m.type);
  assert.ok(types.includes('THRESHOLD_MET') && types.includes('ACTION'), types.join(' '));
});

test('an ACL entry the user already has is relied on, and left in place when the rule clears', async () => {
  const { app, acl, src, tick } = await setup();
  const mine = await acl.add({ 'src-ip': '10.0.0.1/32', action: 'deny' });
  src.values.set('h1', { bytes_out: 2e6 });
  await app.addSource({ type: 'gmond', name: 'g', address: '127.0.0.1:8649', interval: 1 });
  await app.addRule(dropRule({ checkLimit: 1 }));
  await tick();
  assert.deepEqual(app.getRule('hot').hosts[0]?.applied, { kind: 'acl', id: mine.id, borrowed: true });
  src.values.set('h1', { bytes_out: 10 });
  await tick();
  assert.equal(app.getRule('hot').hosts[0]?.applied, undefined, 'the rule let go of the entry');
  assert.deepEqual(
    acl.list().map((r) => r.id),
    [mine.id],
    "the user's entry stays",
  );
  // The entry points back at an existing rule: addOrReuse neither duplicates nor refuses it.
  assert.deepEqual(await acl.addOrReuse({ 'src-ip': '10.0.0.1/32', action: 'deny' }), {
    rule: mine,
    created: false,
  });
  assert.equal(acl.list().length, 1);
});

test('a slow poll followed by a quick one still counts: rules are judged as of the poll start', async () => {
  const { app, acl, src, clock, tick } = await setup();
  src.values.set('h1', { bytes_out: 10 });
  await app.addSource({ type: 'gmond', name: 'g', address: '127.0.0.1:8649', interval: 1 });
  await app.addRule(dropRule({ checkLimit: 2 }));
  await tick();
  src.values.set('h1', { bytes_out: 2e6 });
  // This poll ends 400 ms after it started; the next one, started on time, ends at once: 600 ms apart.
  let release = () => {};
  src.gate = new Promise<void>((r) => (release = r));
  await tick();
  clock.advance(400);
  src.gate = undefined;
  release();
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  await tick(600);
  assert.equal(acl.list().length, 1, 'the quick poll after the slow one was not counted');
});

test('a source that fails warns, marks the metrics stale and never acts; when it is back, rules resume', async () => {
  const { app, acl, src, tick } = await setup();
  src.values.set('h1', { bytes_out: 10 });
  await app.addSource({ type: 'gmond', name: 'g', address: '127.0.0.1:8649', interval: 1 });
  await app.addRule(dropRule({ checkLimit: 2 }));
  await tick();
  src.down = true;
  src.values.set('h1', { bytes_out: 2e6 });
  for (let i = 0; i < 4; i++) await tick();
  assert.equal(acl.list().length, 0);
  const s = app.getSource('g');
  assert.equal(s.state, 'down');
  assert.equal(s.error?.code, 'SOURCE_UNREACHABLE');
  assert.equal(app.listHosts()[0]?.state, 'stale');
  assert.equal(app.getRule('hot').hosts[0]?.state, 'stale');
  const warns = app.messages.page({ type: 'WARN' }).messages;
  assert.ok(
    warns.some((m) => m.source === 'g' && /ECONNREFUSED/.test(m.message)),
    JSON.stringify(warns),
  );

  src.down = false;
  await tick();
  await tick();
  assert.equal(app.getSource('g').state, 'ok');
  assert.equal(acl.list().length, 1, 'the rule did not resume');
});

test('two conflicting rules on one host: the higher priority acts; deleting it lets the other act', async () => {
  const { app, acl, src, tick } = await setup();
  src.values.set('h1', { load_one: 9 });
  await app.addSource({ type: 'gmond', name: 'g', address: '127.0.0.1:8649', interval: 1 });
  const cond = [{ metric: 'load_one', comparator: 'gt', value: 5 }];
  await app.addRule({ name: 'allow', host: 'h1', conditions: cond, priority: 1, action: { type: 'acl', params: { 'src-ip': '{{ip}}/32', action: 'allow' } } }); // prettier-ignore
  await app.addRule({ name: 'deny', host: 'h1', conditions: cond, priority: 5, action: { type: 'drop' } });
  await tick();
  assert.deepEqual(
    acl.list().map((r) => r.action),
    ['deny'],
  );
  assert.equal(app.getRule('allow').hosts[0]?.state, 'suppressed');
  await app.deleteRule('deny');
  await tick();
  assert.deepEqual(
    acl.list().map((r) => r.action),
    ['allow'],
  );
});

test('load balance: the service goes to the least-loaded member, and new connections follow the metric', async () => {
  const { app, src, services, tick } = await setup();
  src.values.set('h2', { load_one: 3 });
  src.values.set('h3', { load_one: 1 });
  await app.addSource({ type: 'gmond', name: 'g', address: '127.0.0.1:8649', interval: 1 });
  await app.addRule({
    name: 'lb',
    host: 'h2',
    conditions: [{ metric: 'load_one', comparator: 'gte', value: 0 }],
    action: {
      type: 'loadbalance',
      params: { service: '10.0.0.100:8080', pool: ['h2', 'h3'], metric: 'load_one' },
    },
  });
  await tick();
  assert.deepEqual(services.calls, ['set hand:lb 10.0.0.100:8080 -> 10.0.0.3']);
  src.values.set('h3', { load_one: 7 });
  await tick();
  assert.deepEqual(services.calls.slice(1), ['member hand:lb -> 10.0.0.2']);
  await app.deleteRule('lb');
  await tick();
  assert.deepEqual(services.calls.slice(2), ['clear hand:lb']);
});

test('a restart undoes what the previous run applied; rules and sources survive', async () => {
  const first = await setup();
  first.src.values.set('h1', { bytes_out: 2e6 });
  await first.app.addSource({ type: 'gmond', name: 'g', address: '127.0.0.1:8649', interval: 1 });
  await first.app.addRule(dropRule({ checkLimit: 1 }));
  await first.tick();
  assert.equal(first.acl.list().length, 1);
  first.app.stop();

  const second = await setup(first.store);
  assert.equal(second.acl.list().length, 0, "the previous run's deny is still there");
  assert.deepEqual(
    second.app.listRules().map((r) => r.rule.name),
    ['hot'],
  );
  assert.deepEqual(
    second.app.listSources().map((s) => s.name),
    ['g'],
  );
  second.app.stop();
});

test('bad rules and sources are refused naming the field, and nothing is stored', async () => {
  const { app } = await setup();
  const refused = async (p: Promise<unknown>, field: string) =>
    assert.rejects(p, (e: Error & { field?: string }) => {
      assert.equal(e.field, field, e.message);
      return true;
    });
  await refused(
    app.addRule({ ...dropRule(), conditions: [{ metric: 'x', comparator: 'bigger', value: 1 }] }),
    'conditions[0].comparator',
  );
  await refused(
    app.addRule({ ...dropRule(), action: { type: 'acl', params: { 'src-ip': 'nope' } } }),
    'action.params.src-ip',
  );
  await refused(app.addRule({ rule_name: 'x', attached_to: 'h1', metrics: { load_one: 'gt-x' }, action_type: 'report' }, { floodlight: true }), 'metrics.load_one'); // prettier-ignore
  await refused(app.addSource({ type: 'gmond', address: 'a b:1' }), 'address');
  await refused(app.addSource({ type: 'snmp' }), 'type');
  assert.equal(app.listRules().length, 0);
  assert.equal(app.listSources().length, 0);
  await app.addRule(dropRule());
  await refused(app.addRule(dropRule()), 'name');
  app.stop();
});
