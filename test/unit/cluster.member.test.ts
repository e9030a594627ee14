/**
 * ClusterMember on the embedded store with a FakeClock: registration under a lease, one leader among three,
 * failover when a leader's lease expires, stepping down at once when the lease is lost, rejoining, and a clean
 * stop that the others see at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterMember } from '../../src/cluster/index.js';
import { waitFor } from '../support/wait.js';
import { cluster, info, turn, type Harness } from './cluster.helpers.js';

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
