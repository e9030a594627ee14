import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeValue, prefixEnd, validateKey } from '../../src/store/validate.js';

test('every JSON value is accepted and reads back equal', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const text = encodeValue(v);
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(v)));
    }),
  );
});

test('any well-formed key starting with / and free of NUL is accepted as is', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (s) => {
      const key = '/' + s.replace(/\0/g, '');
      assert.equal(validateKey(key), key);
    }),
  );
});

test('prefixEnd bounds exactly the byte strings that start with the prefix', () => {
  assert.deepEqual(prefixEnd(Buffer.from('/a/')), Buffer.from('/a0'));
  assert.deepEqual(prefixEnd(Buffer.from([0x2f, 0xff, 0xff])), Buffer.from([0x30]));
  assert.equal(prefixEnd(Buffer.from([0xff])), undefined);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 6 }), fc.uint8Array({ maxLength: 6 }), (p, rest) => {
      const prefix = Buffer.from(p);
      const end = prefixEnd(prefix);
      const inside = Buffer.concat([prefix, Buffer.from(rest)]);
      if (end) assert.ok(Buffer.compare(inside, end) < 0);
    }),
  );
});
