/** Who should master which switch: placement of vacant switches and rebalance moves (pure). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseMasterRecord,
  parseRebalanceRecord,
  parseSwitchKey,
  placeVacant,
  rebalancePlan,
  type SwitchMastership,
} from '../../src/cluster/index.js';

const dpid = (n: number) => n.toString(16).padStart(16, '0');
const all = ['a', 'b', 'c'];
const live = new Set(all);

test('vacant switches go to the least-loaded connected live member, the same answer everywhere', () => {
  const switches: SwitchMastership[] = [1, 2, 3, 4, 5, 6].map((n) => ({ dpid: dpid(n), members: all }));
  const placed = placeVacant(switches, live);
  const counts = all.map((m) => [...placed.values()].filter((x) => x === m).length);
  assert.deepEqual(counts, [2, 2, 2]);
  assert.deepEqual(placeVacant([...switches].reverse(), live), placed, 'order of input does not matter');
  // Existing masters count; a dead master's switch is vacant; only connected members qualify.
  const mixed: SwitchMastership[] = [
    { dpid: dpid(1), master: 'a', members: all },
    { dpid: dpid(2), master: 'a', members: all },
    { dpid: dpid(3), master: 'dead', members: all },
    { dpid: dpid(4), members: ['a'] },
    { dpid: dpid(5), members: ['dead'] },
  ];
  const p = placeVacant(mixed, live);
  assert.equal(p.get(dpid(4)), 'a', 'only a is connected');
  assert.ok(['b', 'c'].includes(p.get(dpid(3))!), 'not the loaded one');
  assert.equal(p.has(dpid(1)), false);
  assert.equal(p.has(dpid(5)), false, 'no live candidate');
});

test('rebalance moves the fewest switches to even the counts, within the connections', () => {
  const onA: SwitchMastership[] = [1, 2, 3, 4, 5, 6].map((n) => ({
    dpid: dpid(n),
    master: 'a',
    members: all,
  }));
  const moves = rebalancePlan(onA, live);
  assert.equal(moves.length, 4);
  assert.ok(moves.every((m) => m.from === 'a'));
  assert.deepEqual(
    ['b', 'c'].map((m) => moves.filter((x) => x.to === m).length),
    [2, 2],
  );
  assert.deepEqual(
    rebalancePlan(
      onA.map((s, i) => ({ ...s, master: all[i % 3] })),
      live,
    ),
    [],
    'even already',
  );
  // One apart is balanced; a switch connected only to its master cannot move.
  assert.deepEqual(
    rebalancePlan(
      [
        { dpid: dpid(1), master: 'a', members: all },
        { dpid: dpid(2), master: 'a', members: all },
        { dpid: dpid(3), master: 'b', members: all },
      ],
      live,
    ).length,
    1,
    'a has 2, c has 0: one moves to c',
  );
  assert.deepEqual(
    rebalancePlan(
      [1, 2, 3].map((n) => ({ dpid: dpid(n), master: 'a', members: ['a'] })),
      live,
    ),
    [],
  );
});

test('mastership records read from the store are checked: anything else is not ours', () => {
  const p = '/clusters/c/switches/';
  assert.deepEqual(parseSwitchKey(p, `${p}${dpid(1)}/master`), { kind: 'master', dpid: dpid(1) });
  assert.deepEqual(parseSwitchKey(p, `${p}${dpid(1)}/members/m0`), {
    kind: 'member',
    dpid: dpid(1),
    member: 'm0',
  });
  for (const bad of [`${p}1/master`, `${p}${dpid(1)}/other`, `${p}${dpid(1)}/members/`, '/elsewhere/x'])
    assert.equal(parseSwitchKey(p, bad), undefined, bad);
  assert.deepEqual(parseMasterRecord({ member: 'm0', since: 't', extra: 1 }), { member: 'm0', since: 't' });
  for (const bad of [null, 'm0', [], { member: 1, since: 't' }, { member: 'm0' }])
    assert.equal(parseMasterRecord(bad), undefined, JSON.stringify(bad));
  const moves = [{ dpid: dpid(2), from: 'a', to: 'b' }];
  assert.deepEqual(parseRebalanceRecord({ moves, at: 't', by: 'a' }), { moves, at: 't', by: 'a' });
  for (const bad of [
    { moves: 'x', at: 't', by: 'a' },
    { moves: [{ dpid: 'zz', from: 'a', to: 'b' }], at: 't', by: 'a' },
    { moves: [{ dpid: dpid(2), from: 'a' }], at: 't', by: 'a' },
    { moves, by: 'a' },
  ])
    assert.equal(parseRebalanceRecord(bad), undefined, JSON.stringify(bad));
});
