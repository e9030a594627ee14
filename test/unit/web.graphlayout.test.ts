/**
 * The topology page's radial tree layout (web/src/graphlayout.ts): every switch placed once, at a finite point,
 * apart from the others, whatever the graph (empty, one switch, disconnected, links to switches that left).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { radialTree, type Point } from '../../web/src/graphlayout.js';

const dist = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);

/** The smallest distance between two placed nodes. */
function closest(pos: Map<string, Point>): number {
  const pts = [...pos.values()];
  let min = Infinity;
  for (let i = 0; i < pts.length; i++)
    for (let j = i + 1; j < pts.length; j++) min = Math.min(min, dist(pts[i], pts[j]));
  return min;
}

function assertPlacedOnce(pos: Map<string, Point>, ids: readonly string[]): void {
  assert.deepEqual([...pos.keys()].sort(), [...new Set(ids)].sort());
  for (const [id, p] of pos)
    assert.ok(Number.isFinite(p.x) && Number.isFinite(p.y), `${id} at ${p.x},${p.y}`);
}

test('an empty graph has no positions', () => {
  assert.equal(radialTree([], []).size, 0);
});

test('one switch sits at the origin', () => {
  assert.deepEqual([...radialTree(['s1'], [])], [['s1', { x: 0, y: 0 }]]);
});

test('a star: the hub in the middle, the leaves on one ring `spacing` apart', () => {
  const leaves = Array.from({ length: 100 }, (_, i) => `leaf${String(i).padStart(3, '0')}`);
  const ids = [...leaves, 'hub'];
  const pos = radialTree(
    ids,
    leaves.map((l) => ['hub', l] as const),
    40,
  );
  assertPlacedOnce(pos, ids);
  const hub = pos.get('hub')!;
  const radii = leaves.map((l) => dist(pos.get(l)!, hub));
  for (const r of radii) assert.ok(Math.abs(r - radii[0]) < 1e-9, `leaf at ${r}, others at ${radii[0]}`);
  // 100 nodes on a ring, 40 apart along it: the straight line between neighbours is the chord.
  assert.ok(Math.abs(radii[0] - (100 * 40) / (2 * Math.PI)) < 1e-9, `ring radius ${radii[0]}`);
  const chord = 2 * radii[0] * Math.sin(Math.PI / 100);
  assert.ok(closest(pos) >= chord - 1e-9, `closest pair ${closest(pos)} apart, neighbours ${chord}`);
});

test('a chain: each switch one ring further out than the one before, never closer than `spacing`', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const edges = ids.slice(1).map((id, i) => [ids[i], id] as const);
  const pos = radialTree(ids, edges, 40);
  assertPlacedOnce(pos, ids);
  // The root is a best-connected switch (b, c, d have two links; ties go by name): b.
  const root = pos.get('b')!;
  const ring = (id: string) => dist(pos.get(id)!, root);
  assert.ok(ring('c') > 0 && ring('d') > ring('c') && ring('e') > ring('d'), 'c, d, e outward');
  assert.ok(ring('a') > 0);
  assert.ok(closest(pos) >= 40 - 1e-9, `closest pair ${closest(pos)} apart`);
});

test('disconnected switches: each component on its own, side by side, best-connected first, none overlapping', () => {
  const ids = ['lone', 'x1', 'x2', 'y1', 'y2', 'y3', 'y4'];
  const edges = [
    ['x1', 'x2'],
    ['y1', 'y2'],
    ['y1', 'y3'],
    ['y1', 'y4'],
  ] as const;
  const pos = radialTree(ids, edges, 40);
  assertPlacedOnce(pos, ids);
  const span = (group: string[]) => {
    const xs = group.map((id) => pos.get(id)!.x);
    return { min: Math.min(...xs), max: Math.max(...xs) };
  };
  const y = span(['y1', 'y2', 'y3', 'y4']);
  const x = span(['x1', 'x2']);
  const lone = span(['lone']);
  assert.ok(
    y.max < x.min,
    `the 4-switch component (${y.min}..${y.max}) left of the pair (${x.min}..${x.max})`,
  );
  assert.ok(x.max < lone.min, `the pair (${x.min}..${x.max}) left of the lone switch (${lone.min})`);
  assert.ok(closest(pos) >= 40 - 1e-9, `closest pair ${closest(pos)} apart`);
});

test('no link at all: every switch its own component, in a row', () => {
  const ids = ['s3', 's1', 's2'];
  const pos = radialTree(ids, [], 40);
  assertPlacedOnce(pos, ids);
  // Equal degree: by name, 80 (2 x spacing) apart.
  assert.deepEqual(
    ['s1', 's2', 's3'].map((id) => pos.get(id)),
    [
      { x: 0, y: 0 },
      { x: 80, y: 0 },
      { x: 160, y: 0 },
    ],
  );
});

test('self-loops, parallel links and links to switches not in the list are ignored', () => {
  const ids = ['a', 'b', 'c'];
  const plain = radialTree(
    ids,
    [
      ['a', 'b'],
      ['b', 'c'],
    ],
    40,
  );
  const noisy = radialTree(
    ids,
    [
      ['a', 'b'],
      ['b', 'a'],
      ['b', 'c'],
      ['c', 'c'],
      ['c', 'gone'],
      ['gone', 'a'],
      ['gone', 'gone2'],
    ],
    40,
  );
  assertPlacedOnce(noisy, ids);
  assert.ok(!noisy.has('gone') && !noisy.has('gone2'));
  // The root is b either way; a and c its children on ring 1.
  const b = noisy.get('b')!;
  assert.deepEqual(b, plain.get('b'));
  assert.ok(Math.abs(dist(noisy.get('a')!, b) - dist(noisy.get('c')!, b)) < 1e-9);
});

test('a cycle is spanned as a tree: every switch placed once, rings apart', () => {
  const ids = Array.from({ length: 12 }, (_, i) => `s${i}`);
  const edges = ids.map((id, i) => [id, ids[(i + 1) % ids.length]] as const);
  const pos = radialTree(ids, edges, 40);
  assertPlacedOnce(pos, ids);
  assert.ok(closest(pos) > 0, 'no two switches on one point');
});

test('500 switches in a fat tree: every one placed, none on top of another', () => {
  const core = Array.from({ length: 4 }, (_, i) => `core${i}`);
  const agg = Array.from({ length: 16 }, (_, i) => `agg${i}`);
  const edgeSw = Array.from({ length: 480 }, (_, i) => `edge${i}`);
  const links: [string, string][] = [];
  for (const a of agg) for (const c of core) links.push([a, c]);
  edgeSw.forEach((e, i) => links.push([e, agg[i % agg.length]], [e, agg[(i + 1) % agg.length]]));
  const ids = [...core, ...agg, ...edgeSw];
  const pos = radialTree(ids, links, 40);
  assertPlacedOnce(pos, ids);
  assert.ok(closest(pos) > 1, `closest pair ${closest(pos)} apart`);
});
