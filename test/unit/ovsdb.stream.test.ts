import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonStreamParser, OvsdbProtocolError } from '../../src/ovsdb/index.js';

const messages = [
  { id: 1, method: 'echo', params: [] },
  { id: null, method: 'update', params: ['m', { T: { u: { new: { s: 'br"ace } { [ ] \\ "' } } } }] },
  { id: 2, result: ['ünïcödé ✓ 🚀', { nested: [[[]]] }], error: null },
  { id: 3, result: [{ '\\': '\\\\"' }], error: null },
];
const wire = Buffer.from(messages.map((m) => JSON.stringify(m)).join(''), 'utf8');

test('parses values joined in one read', () => {
  assert.deepEqual(new JsonStreamParser().push(wire), messages);
});

test('parses values split at every byte offset, into two reads', () => {
  for (let cut = 0; cut <= wire.length; cut++) {
    const p = new JsonStreamParser();
    const out = [...p.push(wire.subarray(0, cut)), ...p.push(wire.subarray(cut))];
    assert.deepEqual(out, messages, `split at byte ${cut}`);
  }
});

test('parses values fed one byte at a time, with whitespace between them', () => {
  const spaced = Buffer.from(messages.map((m) => JSON.stringify(m, null, 1)).join('\n \r\t'), 'utf8');
  const p = new JsonStreamParser();
  const out: unknown[] = [];
  for (const b of spaced) out.push(...p.push(Buffer.from([b])));
  assert.deepEqual(out, messages);
  assert.equal(p.buffered, 0);
});

test('garbage between messages is a sticky protocol error', () => {
  const p = new JsonStreamParser();
  assert.deepEqual(p.push(Buffer.from('{"a":1}')), [{ a: 1 }]);
  assert.throws(() => p.push(Buffer.from('x{"b":2}')), OvsdbProtocolError);
  assert.throws(() => p.push(Buffer.from('{"c":3}')), /expected '\{'/);
});

test('a bare scalar at top level is rejected', () => {
  assert.throws(() => new JsonStreamParser().push(Buffer.from('42')), /byte 0x34/);
});

test('balanced but invalid JSON is a protocol error', () => {
  assert.throws(() => new JsonStreamParser().push(Buffer.from('{"a":}')), /invalid JSON/);
  assert.throws(() => new JsonStreamParser().push(Buffer.from('{"a":1]')), /invalid JSON/);
});

test('a message over the size limit is rejected, whether whole or in pieces', () => {
  const big = Buffer.from(JSON.stringify({ s: 'x'.repeat(200) }));
  assert.throws(() => new JsonStreamParser({ maxMessage: 100 }).push(big), /maximum size of 100/);
  const p = new JsonStreamParser({ maxMessage: 100 });
  assert.deepEqual(p.push(big.subarray(0, 60)), []);
  assert.throws(() => p.push(big.subarray(60, 120)), /maximum size/);
  // Exactly at the limit is fine.
  const exact = Buffer.from(JSON.stringify({ s: 'y'.repeat(92) }));
  assert.equal(exact.length, 100);
  assert.deepEqual(new JsonStreamParser({ maxMessage: 100 }).push(exact), [{ s: 'y'.repeat(92) }]);
});

test('the caller may reuse its read buffer after push', () => {
  const p = new JsonStreamParser();
  const buf = Buffer.from('{"k":"ab');
  assert.deepEqual(p.push(buf), []);
  buf.fill(0x20);
  assert.deepEqual(p.push(Buffer.from('c"}')), [{ k: 'abc' }]);
});
