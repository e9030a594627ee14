/**
 * Two controllers' apps on one embedded store, as cluster members share one (issue 13): a change made through
 * one member's app reaches the other's memory, lists and desired flows through the store's watch; a bad
 * record written straight to the store is logged and skipped; host-aware actions run only on the leader, and
 * a new leader takes over from what the store says is applied.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AclApp } from '../../src/apps/acl/index.js';
import { FirewallApp } from '../../src/apps/firewall/index.js';
import { ForwardingApp } from '../../src/apps/forwarding/index.js';
import { HostAwareApp } from '../../src/apps/hostaware/index.js';
import type { SourceConfig, SourceSnapshot } from '../../src/apps/hostaware/sources/index.js';
import { QosApp } from '../../src/apps/qos/index.js';
import { StaticFlowsApp } from '../../src/apps/staticflows/index.js';
import type { AppContext, ClusterContext, Logger, SwitchSession } from '../../src/controller/index.js';
import { OFP_VERSION_1_3 } from '../../src/openflow/index.js';
import type { Store } from '../../src/store/index.js';
import { FakeClock } from '../../src/util/index.js';
import { waitFor } from '../support/wait.js';
import { fakeAppContext, tempStore } from './apps.testctx.js';

const SW = '00:00:00:00:00:00:00:01';
const sw1 = { dpid: 1n, version: OFP_VERSION_1_3, ports: new Map([[2, {}]]) } as unknown as SwitchSession;

/** A logger that keeps warnings and errors as "message key". */
function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (o: object, m?: string) => void lines.push(`${m} ${(o as { key?: string }).key ?? ''}`);
  return { lines, debug() {}, info() {}, warn: keep, error: keep };
}

/** One member's context on the shared store: its own log, reconcile record and (optionally) cluster. */
function member(store: Store, cluster?: ClusterContext) {
  const { ctx: base, reconciles } = fakeAppContext(store);
  const log = recordingLog();
  const clock = new FakeClock();
  const ctx: AppContext = { ...base, log, clock, now: () => clock.now(), ...(cluster && { cluster }) };
  return { ctx, reconciles, log, clock };
}

/** A cluster context whose leadership the test moves. */
function fakeCluster(memberId: string, leading: boolean) {
  const cbs = new Set<(leading: boolean) => void>();
  const c = {
    clusterId: 'unit',
    memberId,
    leading,
    isLeader: () => c.leading,
    isMaster: () => true,
    lease: () => undefined,
    onRegistered: () => () => {},
    onLeadership(cb: (leading: boolean) => void) {
      cbs.add(cb);
      return () => void cbs.delete(cb);
    },
    /** Moves leadership here (true) or away (false) and tells the subscribers. */
    set(on: boolean) {
      c.leading = on;
      for (const cb of cbs) cb(on);
    },
  };
  return c;
}

const poll = { what: '', timeoutMs: 5000, intervalMs: 5 };

test('a static flow added through member A is listed by B and is in its desired flows; own writes are no-ops', async () => {
  const store = tempStore();
  const a = member(store);
  const b = member(store);
  const appA = new StaticFlowsApp();
  const appB = new StaticFlowsApp();
  await appA.start(a.ctx);
  await appB.start(b.ctx);
  try {
    const res = await appA.add({ switch: SW, name: 'f1', eth_type: '0x806', actions: 'output=2' });
    assert.equal(res.name, 'f1');
    await appA.synced();
    assert.deepEqual(a.reconciles, ['staticflows'], 'the write coming back through the watch did nothing');

    await waitFor(() => appB.get('f1'), { ...poll, what: "B to hold A's static flow" });
    const listed = await appB.list('all');
    assert.deepEqual(
      listed.map((l) => [l.entry.name, l.state]),
      [['f1', 'switch_not_connected']],
    );
    const flows = appB.desiredFlows(sw1);
    assert.equal(flows.length, 1);
    assert.deepEqual(flows[0]!.match, { eth_type: 0x806 });
    assert.ok(b.reconciles.includes('staticflows'), 'B asked for a reconcile');

    // Replaced and deleted through B: A follows.
    await appB.add({ switch: SW, name: 'f1', eth_type: '0x806', priority: 7, actions: 'output=2' });
    await waitFor(() => appA.get('f1')?.priority === 7, { ...poll, what: "A to follow B's replacement" });
    await appB.delete('f1');
    await waitFor(() => appA.get('f1') === undefined, { ...poll, what: "A to follow B's delete" });
    assert.deepEqual(appA.desiredFlows(sw1), []);
  } finally {
    appA.stop();
    appB.stop();
    await store.close();
  }
});

test('a bad record written straight to the store is logged and skipped; a good one is taken', async () => {
  const store = tempStore();
  const m = member(store);
  const sf = new StaticFlowsApp();
  const fw = new FirewallApp();
  await sf.start(m.ctx);
  await fw.start(m.ctx);
  try {
    await store.put('/apps/staticflows/entries/bad', { switch: SW, name: 'bad', actions: 'output=banana' });
    await store.put('/apps/staticflows/entries/ok', { switch: SW, name: 'ok', actions: 'output=2' });
    await store.put('/apps/firewall/rules/7', { ruleid: 7, action: 'explode' });
    await store.put('/apps/firewall/rules/8', { ruleid: 9, action: 'deny' });
    await store.put('/apps/firewall/enabled', { enabled: 'yes' });
    await store.put('/apps/firewall/rules/3', { ruleid: 3, 'nw-proto': 'TCP', 'tp-dst': 22, action: 'deny' });
    await waitFor(() => sf.get('ok') && fw.get(3), { ...poll, what: 'the good records to be taken' });
    await sf.synced();
    await fw.synced();
    assert.equal(sf.get('bad'), undefined);
    assert.deepEqual(
      fw.list().map((r) => r.id),
      [3],
    );
    assert.equal(fw.enabled, false, 'a bad flag changes nothing');
    const lines = m.log.lines.join('\n');
    assert.match(lines, /invalid stored static entry \/apps\/staticflows\/entries\/bad/);
    assert.match(lines, /invalid stored firewall rule \/apps\/firewall\/rules\/7/);
    assert.match(lines, /invalid stored firewall rule \/apps\/firewall\/rules\/8/);
    assert.match(lines, /invalid stored firewall flag .*\/apps\/firewall\/enabled/);

    // A good entry made bad in the store counts as absent, as it would on a restart.
    await store.put('/apps/staticflows/entries/ok', { switch: SW, name: 'other', actions: 'output=2' });
    await waitFor(() => sf.get('ok') === undefined, { ...poll, what: 'the damaged entry to go' });
  } finally {
    sf.stop();
    fw.stop();
    await store.close();
  }
});

/** Firewall, ACL and QoS apps of two members on one store. */
async function firewallAclQos() {
  const store = tempStore();
  const a = member(store);
  const b = member(store);
  const [fwA, fwB] = [new FirewallApp(), new FirewallApp()];
  const [aclA, aclB] = [new AclApp(), new AclApp()];
  const [qosA, qosB] = [new QosApp(), new QosApp()];
  for (const [app, m] of [
    [fwA, a],
    [fwB, b],
    [aclA, a],
    [aclB, b],
    [qosA, a],
    [qosB, b],
  ] as const)
    await app.start(m.ctx);
  const stop = async () => {
    for (const app of [fwA, fwB, aclA, aclB]) app.stop();
    await qosA.stop();
    await qosB.stop();
    await store.close();
  };
  return { store, a, b, fwA, fwB, aclA, aclB, qosA, qosB, stop };
}

test('firewall, ACL and QoS config made through A reach B', async () => {
  const { b, fwA, fwB, aclA, aclB, qosA, qosB, stop } = await firewallAclQos();
  try {
    await fwA.setEnabled(true);
    const rule = await fwA.add({ 'nw-proto': 'TCP', 'tp-dst': 23, action: 'deny' });
    await fwA.setSubnetMask('255.255.0.0');
    await waitFor(() => fwB.enabled && fwB.get(rule.id) && fwB.subnetMaskOf() === '255.255.0.0', {
      ...poll,
      what: "B's firewall to follow A's",
    });
    assert.equal(fwB.desiredFlows(sw1).length, 1, "B wants the deny rule's drop flow");

    const acl = await aclA.add({ 'src-ip': '10.0.0.1/32', action: 'deny' });
    await waitFor(() => aclB.list().some((r) => r.id === acl.id), { ...poll, what: "B's ACL to follow A's" });
    assert.equal(aclB.desiredFlows(sw1).length, 1);
    assert.ok(b.reconciles.includes('acl'));

    await qosA.addService({ name: 'EF', tos: 184 });
    const p = await qosA.addPolicy({ name: 'mark', service: 'EF', 'ip-dst': '10.0.0.2', sw: 'all' });
    await waitFor(() => qosB.listPolicies().some((x) => x.id === p.id), { ...poll, what: "B's QoS policy" });
    assert.ok(qosB.listServices().some((s) => s.name === 'EF'));
    assert.ok(b.reconciles.includes('qos'));
    await qosA.setEnabled(true);
    await waitFor(() => qosB.enabled, { ...poll, what: "B's QoS to be enabled" });

    await fwA.delete(rule.id);
    await aclA.delete(acl.id);
    await qosA.deletePolicy(p.id);
    await waitFor(() => !fwB.get(rule.id) && aclB.list().length === 0 && qosB.listPolicies().length === 0, {
      ...poll,
      what: "B to follow A's deletes",
    });
    assert.deepEqual(fwB.desiredFlows(sw1), []);
  } finally {
    await stop();
  }
});

/** h1 reports `bytes_out`; every member's source polls this. */
function fakeSource() {
  const values = { bytes_out: 2e6 };
  const pollFn = async (cfg: SourceConfig, now: number): Promise<SourceSnapshot> => ({
    source: cfg.name,
    hosts: [{ name: 'h1', ip: '10.0.0.1', source: cfg.name, reported: now }],
    samples: [{ host: 'h1', ip: '10.0.0.1', name: 'bytes_out', value: values.bytes_out, at: now }],
  });
  return { values, poll: pollFn };
}

test('host-aware: every member evaluates, only the leader acts; a new leader takes over', async () => {
  const store = tempStore();
  const src = fakeSource();
  const clusterA = fakeCluster('a', true);
  const clusterB = fakeCluster('b', false);
  const a = member(store, clusterA);
  const b = member(store, clusterB);
  const [aclA, aclB] = [new AclApp(), new AclApp()];
  await aclA.start(a.ctx);
  await aclB.start(b.ctx);
  const handA = new HostAwareApp({ acl: aclA, poll: src.poll });
  const handB = new HostAwareApp({ acl: aclB, poll: src.poll });
  await handA.start(a.ctx);
  await handB.start(b.ctx);
  const tick = async () => {
    for (const m of [a, b]) m.clock.advance(1000);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    await Promise.all([handA.settled(), handB.settled(), handA.synced(), handB.synced()]);
  };
  const stored = async () => (await store.list('/apps/acl/rules/')).length;
  try {
    await handA.addSource({ type: 'gmond', name: 'g', address: '127.0.0.1:8649', interval: 1 });
    await handA.addRule({
      name: 'hot',
      host: 'h1',
      conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 1e6 }],
      checkLimit: 2,
      action: { type: 'drop' },
    });
    await waitFor(() => handB.listRules().length === 1 && handB.listSources().length === 1, {
      ...poll,
      what: "B to hold A's rule and source",
    });
    await waitFor(
      async () => {
        await tick();
        return handA.getRule('hot').hosts[0]?.state === 'active' && handB.getRule('hot').hosts[0]?.state;
      },
      { ...poll, what: 'both members to find the rule active' },
    );
    assert.equal(handB.getRule('hot').hosts[0]?.state, 'active', 'B evaluates too');
    assert.equal(handA.counters.actionsApplied, 1);
    assert.equal(handB.counters.actionsApplied, 0, 'B did not act');
    assert.equal(await stored(), 1, 'one ACL deny in the store');
    await waitFor(() => handB.getRule('hot').hosts[0]?.applied, {
      ...poll,
      what: 'B to show what A applied',
    });
    assert.equal(handB.status().activeActions, 1);

    // Leadership moves to B: it keeps what its own evaluation still wants, and acts from now on.
    clusterA.set(false);
    clusterB.set(true);
    await tick();
    assert.equal(await stored(), 1, 'the deny stays through the takeover');
    assert.deepEqual(handB.getRule('hot').hosts[0]?.applied?.kind, 'acl');
    src.values.bytes_out = 10;
    await waitFor(
      async () => {
        await tick();
        return (await stored()) === 0;
      },
      { ...poll, what: 'the new leader to undo the deny when the condition clears' },
    );
    assert.equal(handB.counters.actionsUndone, 1);
    assert.equal(handA.counters.actionsUndone, 0, 'the old leader did not act');
    await waitFor(() => handA.status().activeActions === 0, { ...poll, what: 'A to show nothing applied' });
  } finally {
    for (const app of [handA, handB, aclA, aclB]) app.stop();
    await store.close();
  }
});

test('host-aware: a member that becomes leader undoes what its evaluation does not want', async () => {
  const store = tempStore();
  const src = fakeSource();
  const clusterA = fakeCluster('a', true);
  const a = member(store, clusterA);
  const acl = new AclApp();
  await acl.start(a.ctx);
  const hand = new HostAwareApp({ acl, poll: src.poll });
  await hand.start(a.ctx);
  try {
    await hand.addSource({ type: 'gmond', name: 'g', address: '127.0.0.1:8649', interval: 1 });
    await hand.addRule({
      name: 'hot',
      host: 'h1',
      conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 1e6 }],
      checkLimit: 1,
      action: { type: 'drop' },
    });
    await waitFor(
      async () => {
        a.clock.advance(1000);
        await hand.settled();
        return (await store.list('/apps/acl/rules/')).length === 1;
      },
      { ...poll, what: 'the leader to apply the drop' },
    );
    hand.stop();
    acl.stop();

    // A member starting as a follower leaves the applied record alone and shows it.
    const clusterB = fakeCluster('b', false);
    const b = member(store, clusterB);
    const aclB = new AclApp();
    await aclB.start(b.ctx);
    const handB = new HostAwareApp({
      acl: aclB,
      poll: async () => ({ source: 'g', hosts: [], samples: [] }),
    });
    await handB.start(b.ctx);
    assert.equal(handB.status().activeActions, 1);
    assert.equal((await store.list('/apps/acl/rules/')).length, 1, 'a follower undid nothing');
    // Leading now, with nothing reported: the drop is not wanted and goes.
    clusterB.set(true);
    await waitFor(async () => (await store.list('/apps/acl/rules/')).length === 0, {
      ...poll,
      what: 'the new leader to undo the unwanted drop',
    });
    assert.equal(handB.status().activeActions, 0);
    handB.stop();
    aclB.stop();
  } finally {
    await store.close();
  }
});

test('forwarding: route constraints and service addresses set on one member are held by the others', async () => {
  const store = tempStore();
  const a = member(store, fakeCluster('a', true));
  const b = member(store, fakeCluster('b', false));
  const [fwdA, fwdB] = [new ForwardingApp({ mode: 'l2' }), new ForwardingApp({ mode: 'l2' })];
  await fwdA.start(a.ctx);
  await fwdB.start(b.ctx);
  try {
    fwdA.setRouteConstraint('hand:r:h1', 0x0a0000000001, { switches: new Set([2n]) });
    fwdA.setService({ id: 'hand:lb', ip: '10.0.0.100', port: 80, member: { ip: '10.0.0.1' } });
    await waitFor(() => fwdB.routeConstraints().length === 1 && fwdB.services().length === 1, {
      ...poll,
      what: "B to hold A's constraint and service",
    });
    const [c] = fwdB.routeConstraints();
    assert.equal(c!.mac, 0x0a0000000001);
    assert.deepEqual([...(c!.avoid.switches ?? [])], [2n]);
    assert.deepEqual(fwdB.services()[0]!.member, { ip: '10.0.0.1' });

    assert.equal(fwdA.setServiceMember('hand:lb', { ip: '10.0.0.2' }), true);
    await waitFor(() => fwdB.services()[0]?.member.ip === '10.0.0.2', {
      ...poll,
      what: "B to follow A's member",
    });

    // A member that starts later takes what is in the store.
    const late = member(store, fakeCluster('c', false));
    const fwdC = new ForwardingApp({ mode: 'l2' });
    await fwdC.start(late.ctx);
    assert.equal(fwdC.routeConstraints().length, 1);
    assert.equal(fwdC.services()[0]?.member.ip, '10.0.0.2');
    fwdC.stop();

    await store.put('/apps/forwarding/constraints/bad', { mac: 'nope' });
    fwdA.clearRouteConstraint('hand:r:h1');
    fwdA.clearService('hand:lb');
    await waitFor(() => fwdB.routeConstraints().length === 0 && fwdB.services().length === 0, {
      ...poll,
      what: 'B to drop what A cleared',
    });
    await fwdB.synced();
    assert.match(b.log.lines.join('\n'), /skipping a bad stored record \/apps\/forwarding\/constraints\/bad/);
    await fwdA.synced();
    assert.equal(fwdA.routeConstraints().length, 0, 'A did not take back its own cleared constraint');
  } finally {
    fwdA.stop();
    fwdB.stop();
    await store.close();
  }
});

test('two members adding at once take different ids: neither overwrites the other', async () => {
  const { store, fwA, fwB, aclA, aclB, qosA, qosB, stop } = await firewallAclQos();
  try {
    const [r1, r2] = await Promise.all([
      fwA.add({ 'tp-dst': 1, 'nw-proto': 'TCP', action: 'deny' }),
      fwB.add({ 'tp-dst': 2, 'nw-proto': 'TCP', action: 'deny' }),
    ]);
    assert.notEqual(r1.id, r2.id);
    const [c1, c2] = await Promise.all([
      aclA.add({ 'src-ip': '10.0.0.1/32', action: 'deny' }),
      aclB.add({ 'src-ip': '10.0.0.2/32', action: 'deny' }),
    ]);
    assert.notEqual(c1.id, c2.id);
    const [p1, p2] = await Promise.all([
      qosA.addPolicy({ name: 'p1', 'rate-kbps': 100, 'ip-dst': '10.0.0.1', sw: 'none' }),
      qosB.addPolicy({ name: 'p2', 'rate-kbps': 100, 'ip-dst': '10.0.0.2', sw: 'none' }),
    ]);
    assert.notEqual(p1.id, p2.id);
    await waitFor(
      () =>
        [fwA, fwB].every((f) => f.list().length === 2) &&
        [aclA, aclB].every((x) => x.list().length === 2) &&
        [qosA, qosB].every((q) => q.listPolicies().length === 2),
      { ...poll, what: 'both members to list both rules of each app' },
    );
    assert.equal((await store.list('/apps/firewall/rules/')).length, 2);
  } finally {
    await stop();
  }
});
