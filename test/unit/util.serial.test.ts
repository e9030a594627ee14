import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SerialQueue } from '../../src/util/index.js';

test('SerialQueue runs tasks one at a time in call order; a failure does not stop later tasks', async () => {
  const q = new SerialQueue();
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const first = q.run(async () => {
    log.push('first start');
    await gate;
    log.push('first end');
    return 1;
  });
  const second = q.run(() => {
    log.push('second');
    return Promise.reject(new Error('boom'));
  });
  const third = q.run(async () => {
    log.push('third');
    return 3;
  });
  await Promise.resolve();
  assert.deepEqual(log, ['first start'], 'later tasks wait for the running one');
  release();
  assert.equal(await first, 1);
  await assert.rejects(second, /boom/);
  assert.equal(await third, 3);
  assert.deepEqual(log, ['first start', 'first end', 'second', 'third']);
});
