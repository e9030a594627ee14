/**
 * ClusterMember on the embedded store with a FakeClock: registration under a lease, one leader among three,
 * failover when a leader's lease expires, stepping down at once when the lease is lost, rejoining, and a clean
 * stop that the others see at once.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClusterMember, type MemberInfo } from '../../src/cluster/index.js';
import { FakeClock, openEmbeddedStore, StoreError, type Store } from '../../src/store/index.js';
import { waitFor } from '../support/wait.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cluster-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let dirs = 0;

const info = (n: string): MemberInfo => ({
  display_name: `host-${n}`,
  version: '9.9.9',
  api: `http:127.0.0.1:80${n}`,
  openflow: [`tcp:127.0.0.1:66${n}`],
});

/** A store a test can cut off from one member: every call fails as an unreachable etcd, watches go quiet. */
function cuttable(store: Store): { store: Store; cut(down: boolean): void } {
  let down = false;
  const unavailable = () => Promise.reject(new StoreError('STORE_UNAVAILABLE', 'etcd test', 'cut off'));
  const wrapped = new Proxy(store, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== 'function') return v;
      if (prop === 'watch') {
        return (prefix: string, cb: Parameters<Store['watch']>[1]) =>
          target.watch(prefix, (ev) => {
            if (!down) cb(ev);
          });
      }
      if (prop === 'close') return v.bind(target);
      return (...args: unknown[]) =>
        down ? unavailable() : (v as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  return { store: wrapped, cut: (d) => (down = d) };
}

interface Harness {
  clock: FakeClock;
  store: Store;
  members: ClusterMember[];
  cut: ((down: boolean) => void)[];
  /** Each member's events in order: 'elected', 'lost', 'leader:<id|none>'. */
  events: string[][];
  /** Moves the fake time in small steps, letting the members' store calls finish between them. */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function cluster(n: number): Promise<Harness> {
  const clock = new FakeClock();
  const store = openEmbeddedStore(path.join(root, `d${++dirs}`), { clock, onError: () => {} });
  const members: ClusterMember[] = [];
  const cut: ((down: boolean) => void)[] = [];
  const events: string[][] = [];
  for (let i = 0; i < n; i++) {
    const c = cuttable(store);
    const m = new ClusterMember({
      store: c.store,
      clusterId: 'prod',
      memberId: `m${i}`,
      info: () => info(String(i)),
      clock,
      ttlSeconds: 5,
    });
    const log: string[] = [];
    m.on('elected', () => log.push('elected'));
    m.on('leadership lost', () => log.push('lost'));
    m.on('leader', (l) => log.push(`leader:${l?.id ?? 'none'}`));
    members.push(m);
    cut.push(c.cut);
    events.push(log);
  }
  const elapse = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      clock.advance(Math.min(100, ms - t));
      for (let i = 0; i < 5; i++) await turn();
    }
  };
  return {
    clock,
    store,
    members,
    cut,
    events,
    elapse,
    close: async () => {
      for (const m of members) await m.stop();
      await store.close();
    },
  };
}

const leaders = (h: Harness) => h.members.filter((m) => m.role === 'leader');

/** Waits (in fake time) until exactly one member leads and every member that is in agrees on it. */
async function oneLeader(h: Harness, among = h.members): Promise<ClusterMember> {
  for (let i = 0; i < 200; i++) {
    const ls = among.filter((m) => m.role === 'leader');
    if (ls.length === 1 && among.every((m) => m.leader?.id === ls[0].id)) return ls[0];
    await h.elapse(100);
  }
  throw new Error(
    `no single agreed leader: ${among.map((m) => `${m.id}=${m.role}/${m.leader?.id}`).join(' ')}`,
  );
}

test('a member registers under a lease with its addresses and, alone, leads', async () => {
  const h = await cluster(1);
  try {
    const [m] = h.members;
    await m.start();
    assert.equal(m.role, 'leader');
    const key = (await h.store.get('/clusters/prod/members/m0'))!;
    assert.deepEqual({ ...(key.value as object), started: 'x' }, { id: 'm0', ...info('0'), started: 'x' });
    assert.deepEqual(await m.members(), [key.value]);
    assert.deepEqual(await m.currentLeader(), m.leader);
    assert.equal(m.leader?.id, 'm0');
    // Which comes first depends on when the store calls watchers back; each comes once.
    assert.deepEqual([...h.events[0]].sort(), ['elected', 'leader:m0']);
    // Kept alive: long past the TTL it is still there, and still leads.
    await h.elapse(20_000);
    assert.equal(m.role, 'leader');
    assert.equal((await m.members()).length, 1);
  } finally {
    await h.close();
  }
});

test('three members: one leader, all agree, the store names it', async () => {
  const h = await cluster(3);
  try {
    await Promise.all(h.members.map((m) => m.start()));
    const leader = await oneLeader(h);
    assert.equal(leaders(h).length, 1);
    assert.equal((await leader.currentLeader())?.id, leader.id);
    assert.deepEqual(
      (await h.members[2].members()).map((r) => r.id),
      ['m0', 'm1', 'm2'],
    );
    await h.elapse(15_000);
    assert.equal(leaders(h).length, 1, 'still one leader after many keepalives');
  } finally {
    await h.close();
  }
});

test('a leader cut off from the store steps down before its lease expires; another leads; it rejoins as member', async () => {
  const h = await cluster(3);
  try {
    await Promise.all(h.members.map((m) => m.start()));
    const old = await oneLeader(h);
    const i = h.members.indexOf(old);
    const before = h.events[i].length;
    h.cut[i](true);
    // Out by its own deadline while the store still holds its lease (no two leaders, even for a moment).
    const stillHeld = await waitFor(
      async () => {
        await h.elapse(100);
        return old.role !== 'leader' && (await h.store.get('/clusters/prod/leader'))?.value;
      },
      { what: 'the cut-off leader to step down', timeoutMs: 5000, intervalMs: 1 },
    );
    assert.equal((stillHeld as { id: string }).id, old.id, 'its key was still there when it stepped down');
    assert.equal(old.role, 'out');
    assert.equal(old.leader, undefined, 'no stale leader belief');
    assert.equal(h.events[i][before], 'lost', 'leadership lost is the first thing it says');

    const others = h.members.filter((m) => m !== old);
    const next = await oneLeader(h, others);
    assert.notEqual(next.id, old.id);
    assert.deepEqual(
      (await next.members()).map((r) => r.id),
      others.map((m) => m.id),
      'the dead lease took its member key',
    );

    h.cut[i](false);
    await waitFor(
      async () => {
        await h.elapse(100);
        return old.role === 'member' && old.leader?.id === next.id;
      },
      { what: 'the old leader to rejoin as a member', timeoutMs: 5000, intervalMs: 1 },
    );
    assert.equal(next.role, 'leader', 'a returning member does not take leadership back');
    assert.equal((await next.members()).length, 3);
  } finally {
    await h.close();
  }
});

test('a lease the store no longer has: the leader steps down at once, then registers with a fresh lease', async () => {
  const h = await cluster(3);
  try {
    await Promise.all(h.members.map((m) => m.start()));
    const old = await oneLeader(h);
    const i = h.members.indexOf(old);
    const lease = old.lease!;
    const before = h.events[i].length;
    await h.store.revokeLease(lease);
    for (let k = 0; k < 5; k++) await turn();
    // No time passed: the loss is acted on as soon as the store tells.
    assert.notEqual(old.role, 'leader');
    assert.equal(h.events[i][before], 'lost');
    await waitFor(
      async () => {
        await h.elapse(100);
        return (
          old.role !== 'out' && old.lease !== lease && (await h.store.get('/clusters/prod/members/' + old.id))
        );
      },
      { what: 'a registration under a new lease', timeoutMs: 5000, intervalMs: 1 },
    );
    await oneLeader(h);
  } finally {
    await h.close();
  }
});

test('keepAlive answering "no such lease" puts the member out at the next tick', async () => {
  const h = await cluster(2);
  try {
    await Promise.all(h.members.map((m) => m.start()));
    const leader = await oneLeader(h);
    const follower = h.members.find((m) => m !== leader)!;
    const lease = follower.lease!;
    // Only the lease goes (the member key is left): nothing but a keepAlive can tell the follower.
    await h.store.put('/clusters/prod/members/' + follower.id, { id: follower.id }, {});
    await h.store.revokeLease(lease);
    await h.elapse(2000);
    assert.notEqual(follower.lease, lease);
    assert.equal(leader.role, 'leader');
  } finally {
    await h.close();
  }
});

test('a clean stop revokes the lease: the others see the member go and elect at once', async () => {
  const h = await cluster(3);
  try {
    await Promise.all(h.members.map((m) => m.start()));
    const old = await oneLeader(h);
    const i = h.members.indexOf(old);
    await old.stop();
    assert.deepEqual(h.events[i].slice(-1), ['lost']);
    const ids = (await h.members[(i + 1) % 3].members()).map((r) => r.id);
    assert.ok(!ids.includes(old.id), 'its key went with the stop, not with the TTL');
    assert.equal(ids.length, 2);
    for (let k = 0; k < 10; k++) await turn();
    // No time passed: the deletion of the leader key made the others campaign.
    const now = leaders(h);
    assert.equal(now.length, 1);
    assert.notEqual(now[0].id, old.id);
  } finally {
    await h.close();
  }
});
