import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeAtom,
  decodeValue,
  encodeValue,
  mapOf,
  NamedUuid,
  optionalOf,
  OvsdbProtocolError,
  setOf,
  stringMapOf,
  Uuid,
  valuesEqual,
} from '../../src/ovsdb/index.js';

const U1 = '36a4e3c5-5d6a-4ab2-9f1e-1234567890ab';
const U2 = '00000000-0000-0000-0000-000000000002';

test('atoms round-trip', () => {
  for (const a of ['s', '', 0, -7, 1.5, true, false]) assert.equal(decodeAtom(encodeValue(a)), a);
  assert.deepEqual(encodeValue(new Uuid(U1)), ['uuid', U1]);
  assert.deepEqual(encodeValue(new NamedUuid('row_1')), ['named-uuid', 'row_1']);
  assert.deepEqual(decodeValue(['uuid', U1]), new Uuid(U1));
  assert.deepEqual(decodeValue(['named-uuid', 'x']), new NamedUuid('x'));
});

test('sets and maps encode to the RFC 7047 forms', () => {
  assert.deepEqual(encodeValue([1, 2]), ['set', [1, 2]]);
  assert.deepEqual(encodeValue([]), ['set', []]);
  assert.deepEqual(encodeValue(null), ['set', []]);
  assert.deepEqual(encodeValue([new Uuid(U1), new NamedUuid('p')]), [
    'set',
    [
      ['uuid', U1],
      ['named-uuid', 'p'],
    ],
  ]);
  assert.deepEqual(encodeValue({ 'max-rate': '1000', x: 'y' }), [
    'map',
    [
      ['max-rate', '1000'],
      ['x', 'y'],
    ],
  ]);
  assert.deepEqual(encodeValue(new Map([[1, new Uuid(U2)]])), ['map', [[1, ['uuid', U2]]]]);
  assert.deepEqual(encodeValue({}), ['map', []]);
});

test('sets and maps decode to arrays and Maps', () => {
  assert.deepEqual(decodeValue(['set', ['a', 'b']]), ['a', 'b']);
  assert.deepEqual(
    decodeValue([
      'map',
      [
        ['k', 'v'],
        [0, ['uuid', U1]],
      ],
    ]),
    new Map<unknown, unknown>([
      ['k', 'v'],
      [0, new Uuid(U1)],
    ]),
  );
  // A one-element set travels as a bare atom; setOf/optionalOf read either form.
  assert.deepEqual(setOf(decodeValue('OpenFlow13')), ['OpenFlow13']);
  assert.deepEqual(setOf(decodeValue(['set', []])), []);
  assert.equal(optionalOf(decodeValue(['set', []])), undefined);
  assert.equal(optionalOf(decodeValue(5)), 5);
  assert.equal(optionalOf(decodeValue(['set', [5]])), 5);
  assert.deepEqual(stringMapOf(decodeValue(['map', [['a', '1']]])), { a: '1' });
  assert.deepEqual(mapOf(decodeValue(['set', []])), new Map());
});

test('decode round-trips encode for nested shapes', () => {
  const values = [
    ['x', 'y'],
    new Map<string | number, string | Uuid>([
      ['a', 'b'],
      [3, new Uuid(U2)],
    ]),
    new Uuid(U1),
  ];
  for (const v of values) assert.deepEqual(decodeValue(encodeValue(v)), v);
});

test('malformed values are rejected naming the field', () => {
  const bad: unknown[] = [
    null,
    {},
    ['uuid', 'not-a-uuid'],
    ['uuid', 5],
    ['set', 'x'],
    ['map', [['k']]],
    ['map', [[['set', []], 'v']]],
    ['set', [['set', []]]],
    ['bogus', []],
  ];
  for (const b of bad) {
    assert.throws(
      () => decodeValue(b, 'Bridge.ports'),
      (err: unknown) => {
        assert.ok(err instanceof OvsdbProtocolError, JSON.stringify(b));
        assert.match(err.field, /^Bridge\.ports/);
        return true;
      },
    );
  }
  assert.throws(() => encodeValue(new NamedUuid('1bad')), /uuid-name/);
  assert.throws(() => encodeValue(new Uuid('nope')), /not a UUID/);
  assert.throws(() => encodeValue(Number.NaN), /finite/);
  assert.throws(() => encodeValue([undefined as unknown as string]), /not an OVSDB atom/);
  assert.throws(() => optionalOf(['a', 'b'], 'tag'), /at most one/);
  assert.throws(() => stringMapOf(new Map([[1, 'x']]), 'options'), /map of strings/);
});

test('valuesEqual ignores set and map order', () => {
  assert.ok(valuesEqual(['a', 'b'], ['b', 'a']));
  assert.ok(valuesEqual('a', ['a']));
  assert.ok(!valuesEqual(['a'], ['a', 'b']));
  assert.ok(
    valuesEqual(
      new Map([
        ['k', 1],
        ['j', 2],
      ]),
      new Map([
        ['j', 2],
        ['k', 1],
      ]),
    ),
  );
  assert.ok(!valuesEqual(new Map([['k', 1]]), new Map([['k', 2]])));
  assert.ok(valuesEqual(new Map(), []));
  assert.ok(valuesEqual(new Uuid(U1), [new Uuid(U1)]));
  assert.ok(!valuesEqual(new Uuid(U1), new Uuid(U2)));
});
