/**
 * Two controllers' apps on one embedded store, as two cluster members: what member A learns on its switches
 * (links from LLDP, hosts from packet-ins) shows in member B's topology and hosts views and in B's path
 * computation, and goes when A's lease is revoked. A record nobody of this version wrote is skipped and logged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterViewsApp } from '../../src/apps/clusterviews/index.js';
import { ForwardingApp } from '../../src/apps/forwarding/index.js';
import { HostsApp, hostView } from '../../src/apps/hosts/index.js';
import { TopologyApp } from '../../src/apps/topology/index.js';
import { clusterKeys } from '../../src/cluster/index.js';
import type { ClusterContext, Logger } from '../../src/controller/index.js';
import type { Store } from '../../src/store/index.js';
import { waitFor } from '../support/wait.js';
import { FakeNetwork, linear } from './apps.fakenet.js';
import { fakeAppContext, tempStore } from './apps.testctx.js';

/** A member's ClusterContext whose lease the test hands out; register() is what a (re-)registration does. */
function member(clusterId: string, memberId: string) {
  let lease: string | undefined;
  const registered = new Set<(lease: string) => void>();
  const ctx: ClusterContext = {
    clusterId,
    memberId,
    isLeader: () => false,
    isMaster: () => true,
    lease: () => lease,
    onRegistered(cb) {
      registered.add(cb);
      return () => registered.delete(cb);
    },
    onLeadership: () => () => {},
  };
  return {
    ctx,
    register(l: string) {
      lease = l;
      for (const cb of registered) cb(l);
    },
  };
}

/** Warnings as text, to see what was skipped. */
function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    debug() {},
    info() {},
    error() {},
    warn(obj: object, msg?: string) {
      warnings.push(`${msg} ${JSON.stringify(obj)}`);
    },
  };
}

async function memberA(store: Store) {
  const net = new FakeNetwork({ store });
  linear(net, 3);
  const a = member('c1', 'a');
  net.ctx.cluster = a.ctx;
  const topology = new TopologyApp({ timers: false });
  const hosts = new HostsApp({ timers: false, topology });
  const forwarding = new ForwardingApp({ topology, hosts });
  const views = new ClusterViewsApp({ topology, hosts });
  await net.start([topology, hosts, forwarding, views]);
  return { net, a, topology, hosts, views };
}

async function memberB(store: Store) {
  const { ctx } = fakeAppContext(store);
  const log = recordingLog();
  const b = member('c1', 'b');
  Object.assign(ctx, { cluster: b.ctx, log });
  const topology = new TopologyApp({ timers: false });
  const hosts = new HostsApp({ timers: false, topology });
  const views = new ClusterViewsApp({ topology, hosts, delayMs: 10 });
  for (const app of [topology, hosts, views]) await app.start(ctx);
  return { b, topology, hosts, views, log, stop: () => [views, hosts, topology].forEach((x) => x.stop()) };
}

const linkText = (t: TopologyApp) =>
  t.links().map((l) => `${l.srcDpid}:${l.srcPort}-${l.dstDpid}:${l.dstPort} ${l.direction}`);
const hostText = (h: HostsApp) =>
  h.find().map((x) => {
    const v = hostView(x);
    return `${v.mac} ${v.ipv4.join(',')} ${v.dpid}:${v.port}`;
  });

test('a link and a host learned by one member appear in the other, and go with its lease', async () => {
  const store = tempStore();
  const A = await memberA(store);
  const B = await memberB(store);
  const lease = await store.grantLease(30);
  A.a.register(lease);
  B.b.register(await store.grantLease(30));

  A.net.connectAll(); // LLDP: s1-s2, s2-s3 learned by A
  A.net.advance(A.topology.quarantineMs);
  assert.equal(A.net.ping('h1', 'h3'), true);
  await A.views.flush();

  const expectedLinks = ['1:3-2:2 bidirectional', '2:3-3:2 bidirectional'];
  assert.deepEqual(linkText(A.topology), expectedLinks);
  await waitFor(() => linkText(B.topology).length === 2, { what: "A's links at B", intervalMs: 5 });
  assert.deepEqual(linkText(B.topology), expectedLinks);
  assert.deepEqual(
    B.topology.route(1n, 1, 3n, 1)?.map((h) => `${h.dpid}:${h.inPort}>${h.outPort}`),
    ['1:1>3', '2:2>3', '3:2>1'],
    "B's path computation sees A's links",
  );
  await waitFor(() => B.hosts.size === 2, { what: "A's hosts at B", intervalMs: 5 });
  assert.deepEqual(hostText(B.hosts), hostText(A.hosts));
  assert.deepEqual(hostText(B.hosts), ['00:00:00:00:00:01 10.0.0.1 1:1', '00:00:00:00:00:03 10.0.0.3 3:1']);
  assert.deepEqual(B.topology.localLinks(), [], 'B learned nothing itself');

  // B learns a host of its own: A sees it too, B's own record is not merged back into B.
  B.hosts.learn(2n, 1, 2, 0, 0x0a000002, Date.now());
  await B.views.flush();
  await waitFor(() => A.hosts.byMacNum(2), { what: "B's host at A", intervalMs: 5 });
  assert.equal(A.hosts.size, 3);
  assert.equal(B.hosts.size, 3);

  // Someone writes a record this version cannot read: logged and skipped, the rest stands.
  const runtime = clusterKeys('c1').runtime;
  await store.put(`${runtime}links/0000000000000001-9-0000000000000002-9/x`, {
    member: 'x',
    srcPort: 'nine',
  });
  await waitFor(() => B.log.warnings.some((w) => w.includes('does not read')), {
    what: 'the bad record logged',
    intervalMs: 5,
  });
  assert.deepEqual(linkText(B.topology), expectedLinks);

  // A's lease ends (a crash, a partition): its records go, and with them its part of B's view.
  await store.revokeLease(lease);
  await waitFor(() => linkText(B.topology).length === 0 && B.hosts.size === 1, {
    what: "A's links and hosts gone from B",
    intervalMs: 5,
  });
  assert.equal(B.topology.route(1n, 1, 3n, 1), undefined);
  assert.deepEqual(hostText(B.hosts), ['00:00:00:00:00:02 10.0.0.2 2:1']);

  // A registers again under a new lease: everything it knows is published again.
  A.a.register(await store.grantLease(30));
  await A.views.flush();
  await waitFor(() => linkText(B.topology).length === 2 && B.hosts.size === 3, {
    what: "A's views back at B",
    intervalMs: 5,
  });

  B.stop();
  A.views.stop();
  await store.close();
});

test('outside a cluster the app does nothing: no keys written, no watch', async () => {
  const store = tempStore();
  const { ctx } = fakeAppContext(store);
  const topology = new TopologyApp({ timers: false });
  const views = new ClusterViewsApp({ topology });
  await views.start(ctx);
  await views.flush();
  assert.deepEqual(await store.list('/'), []);
  views.stop();
  await store.close();
});

test('a host seen again at the same place writes nothing; changes within the window are one write', async () => {
  const base = tempStore();
  const puts: string[] = [];
  const store: Store = Object.create(base) as Store;
  store.put = (key, value, opts) => {
    puts.push(key);
    return base.put(key, value, opts);
  };
  const { ctx } = fakeAppContext(store);
  const m = member('c1', 'a');
  ctx.cluster = m.ctx;
  const topology = new TopologyApp({ timers: false });
  const hosts = new HostsApp({ timers: false, topology });
  const views = new ClusterViewsApp({ topology, hosts, delayMs: 50 });
  for (const app of [topology, hosts, views]) await app.start(ctx);
  m.register(await base.grantLease(30));

  const t = Date.now();
  hosts.learn(1n, 1, 7, 0, 0x0a000007, t);
  await views.flush();
  assert.equal(puts.length, 1);
  for (let i = 1; i <= 100; i++) hosts.learn(1n, 1, 7, 0, 0x0a000007, t + i);
  await views.flush();
  assert.equal(puts.length, 1, 'no change, no write');
  hosts.learn(1n, 2, 7, 0, 0x0a000007, t + 200);
  hosts.learn(1n, 3, 7, 0, 0x0a000007, t + 201);
  hosts.learn(1n, 3, 7, 0, 0x0a000008, t + 202);
  await views.flush();
  assert.equal(puts.length, 2, 'two moves and a new address: one write');
  const runtime = clusterKeys('c1').runtime;
  const [rec] = await base.list(`${runtime}hosts/`);
  assert.deepEqual(
    [(rec.value as { port: number }).port, (rec.value as { ipv4: string[] }).ipv4],
    [3, ['10.0.0.8']],
  );
  views.stop();
  await base.close();
});
