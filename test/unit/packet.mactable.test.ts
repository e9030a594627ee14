import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MacTable } from '../../src/packet/index.js';

type Op = { kind: 'set' | 'delete' | 'get'; mac: number; value: number };

/** MACs from a small pool (so sets, deletes and gets hit the same keys) spread over all 48 bits. */
const mac = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 0, max: 40 }).map((i) => 0x020000000000 + i * 0x1000001),
  fc.constantFrom(0xffffffffffff, 0x0180c2000000, 2 ** 32, 2 ** 32 - 1),
);
const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('set', 'set', 'delete', 'get'),
  mac,
  value: fc.integer(),
});

test('MacTable behaves like a Map, insertion order included, across growth and deletes', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), fc.integer({ min: 1, max: 64 }), (ops, capacity) => {
      const t = new MacTable<number>(capacity);
      const m = new Map<number, number>();
      for (const o of ops) {
        if (o.kind === 'set') {
          t.set(o.mac, o.value);
          m.set(o.mac, o.value);
        } else if (o.kind === 'delete') {
          assert.equal(t.delete(o.mac), m.delete(o.mac));
        } else {
          assert.equal(t.get(o.mac), m.get(o.mac));
          assert.equal(t.has(o.mac), m.has(o.mac));
        }
        assert.equal(t.size, m.size);
      }
      assert.deepStrictEqual([...t.entries()], [...m.entries()]);
      assert.deepStrictEqual([...t.keys()], [...m.keys()]);
      assert.deepStrictEqual([...t.values()], [...m.values()]);
      assert.deepStrictEqual(t.first(), m.size ? [...m.entries()][0] : undefined);
      for (const k of m.keys()) assert.equal(t.get(k), m.get(k));
    }),
    { numRuns: 300 },
  );
});

test('MacTable: deleting while iterating visits every remaining entry once', () => {
  const t = new MacTable<number>();
  for (let i = 0; i < 1000; i++) t.set(0x020000000000 + i, i);
  const seen: number[] = [];
  for (const v of t.values()) {
    seen.push(v);
    if (v % 2 === 0) t.delete(0x020000000000 + v);
  }
  assert.equal(seen.length, 1000);
  assert.equal(t.size, 500);
  assert.deepStrictEqual(
    [...t.values()],
    Array.from({ length: 500 }, (_, i) => 2 * i + 1),
  );
  t.clear();
  assert.equal(t.size, 0);
  assert.equal(t.get(0x020000000001), undefined);
});

test('MacTable refuses keys that are not 48-bit MACs, naming the field', () => {
  const t = new MacTable<string>();
  for (const bad of [-1, 2 ** 48, 1.5, NaN]) assert.throws(() => t.set(bad, 'x'), /^RangeError: mac: /);
  assert.equal(t.size, 0);
});
