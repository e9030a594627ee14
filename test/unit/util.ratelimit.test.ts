/** logGate: one line per key per interval, with the count skipped in between. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logGate } from '../../src/util/index.js';

test('the first line of a key logs; repeats within the interval are counted; the next says how many', () => {
  let t = 1000;
  const gate = logGate(10_000, () => t);
  assert.deepEqual(gate('keepalive'), { log: true, skipped: 0 });
  assert.deepEqual(gate('keepalive'), { log: false, skipped: 1 });
  assert.deepEqual(gate('register'), { log: true, skipped: 0 }, 'keys are apart');
  t += 5000;
  assert.deepEqual(gate('keepalive'), { log: false, skipped: 2 });
  t += 5000;
  assert.deepEqual(gate('keepalive'), { log: true, skipped: 2 });
  assert.deepEqual(gate('keepalive'), { log: false, skipped: 1 });
});
