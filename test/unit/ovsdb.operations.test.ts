import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyUpdates,
  decodeTableUpdates,
  decodeTransactResult,
  diffTables,
  encodeOperation,
  NamedUuid,
  op,
  type Operation,
  OvsdbProtocolError,
  OvsdbTransactionError,
  type Row,
  Uuid,
  where,
} from '../../src/ovsdb/index.js';

const U1 = '11111111-1111-1111-1111-111111111111';

test('every operation encodes to its RFC 7047 wire form', () => {
  const ops: [Operation, unknown][] = [
    [
      op.insert('Port', { name: 'p1', interfaces: [new NamedUuid('i')] }, 'p'),
      {
        op: 'insert',
        table: 'Port',
        row: { name: 'p1', interfaces: ['set', [['named-uuid', 'i']]] },
        'uuid-name': 'p',
      },
    ],
    [
      op.insert('Queue', { other_config: {} }),
      { op: 'insert', table: 'Queue', row: { other_config: ['map', []] } },
    ],
    [
      op.select('Bridge', [where.eq('name', 'br0')], ['_uuid']),
      { op: 'select', table: 'Bridge', where: [['name', '==', 'br0']], columns: ['_uuid'] },
    ],
    [
      op.update('Port', [where.uuid(U1)], { tag: null }),
      { op: 'update', table: 'Port', where: [['_uuid', '==', ['uuid', U1]]], row: { tag: ['set', []] } },
    ],
    [
      op.mutate('Open_vSwitch', [], [['bridges', 'insert', [new NamedUuid('br')]]]),
      {
        op: 'mutate',
        table: 'Open_vSwitch',
        where: [],
        mutations: [['bridges', 'insert', ['set', [['named-uuid', 'br']]]]],
      },
    ],
    [
      op.delete('QoS', [where.uuid(new Uuid(U1))]),
      { op: 'delete', table: 'QoS', where: [['_uuid', '==', ['uuid', U1]]] },
    ],
    [
      op.wait('Bridge', [where.eq('name', 'b')], ['name'], []),
      {
        op: 'wait',
        table: 'Bridge',
        where: [['name', '==', 'b']],
        columns: ['name'],
        until: '==',
        rows: [],
        timeout: 0,
      },
    ],
    [op.commit(true), { op: 'commit', durable: true }],
    [op.abort(), { op: 'abort' }],
    [op.comment('hi'), { op: 'comment', comment: 'hi' }],
    [op.assert('lock1'), { op: 'assert', lock: 'lock1' }],
  ];
  for (const [o, wire] of ops) assert.deepEqual(encodeOperation(o), wire);
});

test('an encoding error names the operation and column', () => {
  assert.throws(
    () => encodeOperation(op.insert('Port', { name: new Uuid('bad') }), 3),
    (err: unknown) => err instanceof OvsdbProtocolError && err.field === 'operations[3].row.name',
  );
});

test('uuid-names and lock names must be RFC 7047 ids', () => {
  assert.throws(() => encodeOperation(op.insert('Queue', {}, 'bad-name')), /uuid-name/);
  assert.throws(() => encodeOperation(op.assert('1lock')), /lock/);
});

test('transact results decode per operation kind', () => {
  const ops = [op.insert('Queue', {}), op.select('Bridge'), op.update('Port', [], {}), op.comment('c')];
  const res = decodeTransactResult(ops, [
    { uuid: ['uuid', U1] },
    { rows: [{ _uuid: ['uuid', U1], name: 'br0', ports: ['set', []] }] },
    { count: 2 },
    {},
  ]);
  assert.deepEqual(res, [
    { uuid: U1 },
    { rows: [{ _uuid: new Uuid(U1), name: 'br0', ports: [] }] },
    { count: 2 },
    {},
  ]);
});

test('a failed operation surfaces as a typed error naming its index', () => {
  const ops = [op.comment('x'), op.wait('Bridge', [], ['name'], []), op.insert('Queue', {})];
  assert.throws(
    () => decodeTransactResult(ops, [{}, { error: 'timed out', details: 'wait did not match' }, null]),
    (err: unknown) => {
      assert.ok(err instanceof OvsdbTransactionError);
      assert.equal(err.opIndex, 1);
      assert.equal(err.op, 'wait');
      assert.equal(err.error, 'timed out');
      assert.equal(err.details, 'wait did not match');
      return true;
    },
  );
});

test('a commit failure (extra result) names index = number of ops and op "commit"', () => {
  const ops = [op.insert('Port', { name: 'p' })];
  assert.throws(
    () => decodeTransactResult(ops, [{ uuid: ['uuid', U1] }, { error: 'constraint violation' }]),
    (err: unknown) => err instanceof OvsdbTransactionError && err.opIndex === 1 && err.op === 'commit',
  );
});

test('malformed transact replies are protocol errors', () => {
  const ops = [op.insert('Queue', {})];
  assert.throws(() => decodeTransactResult(ops, {}), OvsdbProtocolError);
  assert.throws(() => decodeTransactResult(ops, []), /expected 1 results/);
  assert.throws(() => decodeTransactResult(ops, [{ uuid: 'x' }]), /uuid/);
  assert.throws(() => decodeTransactResult([op.delete('Q', [])], [{}]), /count/);
});

test('table updates apply to a replica, and a replica diff reproduces them', () => {
  const replica = new Map<string, Map<string, Row>>();
  applyUpdates(
    replica,
    decodeTableUpdates(
      {
        Bridge: {
          a: { new: { name: 'br0', ports: ['set', []] } },
          b: { new: { name: 'br1', ports: ['set', []] } },
        },
      },
      'init',
    ),
  );
  const before = new Map([...replica].map(([t, rows]) => [t, new Map(rows)]));
  applyUpdates(
    replica,
    decodeTableUpdates(
      {
        Bridge: {
          a: { old: { ports: ['set', []] }, new: { name: 'br0', ports: ['uuid', U1] } },
          b: { old: { name: 'br1', ports: ['set', []] } },
          c: { new: { name: 'br2', ports: ['set', []] } },
        },
      },
      'upd',
    ),
  );
  assert.deepEqual([...replica.get('Bridge')!.keys()].sort(), ['a', 'c']);
  assert.deepEqual(diffTables(before, replica), {
    Bridge: {
      a: { old: { ports: [] }, new: { name: 'br0', ports: new Uuid(U1) } },
      b: { old: { name: 'br1', ports: [] } },
      c: { new: { name: 'br2', ports: [] } },
    },
  });
  assert.deepEqual(diffTables(replica, replica), {});
  assert.throws(() => decodeTableUpdates({ Bridge: [] }, 'u'), /u\.Bridge/);
});
