/**
 * Mastership on the embedded store with a FakeClock and fake switches (the roles each member sets): one master
 * per switch spread across members, generation ids that only grow, a member cut off from the store that turns
 * slave before anyone else takes over (never two masters), no steal-back, rebalance, and a switch that leaves
 * its master going to another member at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mastership, dpidHex, type MastershipTarget } from '../../src/cluster/index.js';
import { cluster, type Harness } from './cluster.helpers.js';

const DPIDS = [1n, 2n, 3n];

/** One member's switches: the role it last set on each, and when. */
class FakeSwitches implements MastershipTarget {
  readonly roles = new Map<bigint, { role: 'master' | 'slave'; generation: bigint; at: number }>();
  refuse = false;
  constructor(private readonly now: () => number) {}
  setRole(dpid: bigint, role: 'master' | 'slave', generation = 0n): Promise<boolean> {
    if (role === 'master' && this.refuse) return Promise.resolve(false);
    this.roles.set(dpid, { role, generation, at: this.now() });
    return Promise.resolve(true);
  }
  masters(): bigint[] {
    return [...this.roles].filter(([, r]) => r.role === 'master').map(([d]) => d);
  }
}

interface Rig {
  h: Harness;
  ms: Mastership[];
  sw: FakeSwitches[];
  /** Advances fake time; after each step checks no switch has two masters. */
  elapse(ms: number): Promise<void>;
  /** Per dpid, the members whose switches say master. */
  masterOf(dpid: bigint): number[];
  close(): Promise<void>;
}

const quiet = { info: () => {}, warn: () => {} };

async function rig(n: number): Promise<Rig> {
  const h = await cluster(n);
  const sw = h.members.map(() => new FakeSwitches(() => h.clock.now()));
  const ms = h.members.map(
    (member, i) => new Mastership({ store: h.stores[i], member, target: sw[i], log: quiet, clock: h.clock }),
  );
  const masterOf = (dpid: bigint) => sw.flatMap((s, i) => (s.roles.get(dpid)?.role === 'master' ? [i] : []));
  return {
    h,
    ms,
    sw,
    masterOf,
    elapse: async (t: number) => {
      for (let done = 0; done < t; done += 100) {
        await h.elapse(100);
        for (const d of DPIDS) assert.ok(masterOf(d).length <= 1, `two masters of ${d}: ${masterOf(d)}`);
      }
    },
    close: async () => {
      for (const m of ms) await m.stop();
      await h.close();
    },
  };
}

async function startAll(r: Rig): Promise<void> {
  for (const m of r.ms) m.start();
  for (const m of r.h.members) await m.start();
  for (const m of r.ms) for (const d of DPIDS) m.switchConnected(d);
  await r.elapse(3000);
}

test('every switch gets one master, one switch per member, and the views agree', async () => {
  const r = await rig(3);
  try {
    await startAll(r);
    const owners = DPIDS.map((d) => r.masterOf(d));
    assert.ok(
      owners.every((o) => o.length === 1),
      JSON.stringify(owners),
    );
    assert.deepEqual(owners.map((o) => o[0]).sort(), [0, 1, 2], 'spread: one each');
    const view = await r.ms[1].view();
    assert.deepEqual(
      view.map((v) => [v.dpid, v.master, v.members]),
      DPIDS.map((d) => [dpidHex(d), `m${r.masterOf(d)[0]}`, ['m0', 'm1', 'm2']]),
    );
    for (const d of DPIDS) {
      const i = r.masterOf(d)[0];
      assert.equal(r.ms[i].isMaster(d), true);
      assert.equal(
        String(r.sw[i].roles.get(d)!.generation),
        view.find((v) => v.dpid === dpidHex(d))!.generation,
      );
    }
  } finally {
    await r.close();
  }
});

test('a member cut off from the store turns slave before another takes over; no steal-back; rebalance', async () => {
  const r = await rig(3);
  try {
    await startAll(r);
    const d = DPIDS[0];
    const cutIdx = r.masterOf(d)[0];
    const oldGen = r.sw[cutIdx].roles.get(d)!.generation;
    r.h.cut[cutIdx](true);
    await r.elapse(10_000);
    const stepDown = r.sw[cutIdx].roles.get(d)!;
    assert.equal(stepDown.role, 'slave', 'the cut-off member stepped down');
    const [now] = r.masterOf(d);
    assert.notEqual(now, cutIdx);
    const taken = r.sw[now].roles.get(d)!;
    assert.ok(stepDown.at < taken.at, `slave at ${stepDown.at} before the new master at ${taken.at}`);
    assert.ok(taken.generation > oldGen, 'a newer generation id');
    assert.deepEqual(
      DPIDS.map((x) => r.masterOf(x).length),
      [1, 1, 1],
    );

    // Back in: it gets nothing back by itself.
    r.h.cut[cutIdx](false);
    await r.elapse(10_000);
    assert.equal(r.sw[cutIdx].masters().length, 0, 'no steal-back');
    const moves = await r.ms[(cutIdx + 1) % 3].rebalance();
    assert.equal(moves.length, 1, JSON.stringify(moves));
    assert.equal(moves[0].to, `m${cutIdx}`);
    await r.elapse(5000);
    assert.equal(r.sw[cutIdx].masters().length, 1, 'rebalanced');
    assert.deepEqual(await r.ms[0].rebalance(), [], 'balanced now');
  } finally {
    await r.close();
  }
});

test('a switch that leaves its master goes to another member at once; a refused role gives the key up', async () => {
  const r = await rig(2);
  try {
    for (const m of r.ms) m.start();
    for (const m of r.h.members) await m.start();
    r.sw[0].refuse = true;
    r.ms[0].switchConnected(5n);
    r.ms[1].switchConnected(5n);
    await r.elapse(3000);
    assert.deepEqual(r.masterOf(5n), [1], 'the switch refused m0: m1 has it');
    r.sw[0].refuse = false;
    // m0 leaves the switch alone for a while after the refusal; then it is a candidate again.
    await r.elapse(10_000);
    const t0 = r.h.clock.now();
    r.sw[1].roles.delete(5n); // the connection (and its role) is gone
    r.ms[1].switchDisconnected(5n);
    await r.elapse(2000);
    assert.deepEqual(r.masterOf(5n), [0]);
    assert.ok(r.sw[0].roles.get(5n)!.at - t0 < 1000, 'taken within the settle time, not a lease TTL');
  } finally {
    await r.close();
  }
});
