/** Store.batch (embedded): one transaction, revisions in order, watchers see every op, all or nothing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedStore, StoreError, type WatchEvent } from '../../src/store/index.js';

function temp() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-batch-'));
  return { store: openEmbeddedStore(dir), done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

test('batch applies puts and deletes in order with one revision each, and watchers see them', async () => {
  const { store, done } = temp();
  try {
    await store.put('/a/x', 1);
    const events: WatchEvent[] = [];
    store.watch('/a/', (e) => events.push(e));
    const res = await store.batch!([
      { type: 'put', key: '/a/y', value: { v: 2 } },
      { type: 'delete', key: '/a/x' },
      { type: 'delete', key: '/a/none' },
      { type: 'put', key: '/a/y', value: { v: 3 } },
    ]);
    assert.deepEqual(res, [2, true, false, 4]);
    assert.deepEqual((await store.get('/a/y'))?.value, { v: 3 });
    assert.equal(await store.get('/a/x'), undefined);
    assert.deepEqual(
      events.map((e) => [e.type, e.key, e.revision]),
      [
        ['put', '/a/y', 2],
        ['delete', '/a/x', 3],
        ['put', '/a/y', 4],
      ],
    );
    assert.deepEqual(
      await store.batch!([{ type: 'delete', key: '/a/none' }]),
      [false],
      'no change, no revision',
    );
    assert.equal(await store.put('/a/z', 0), 5);
  } finally {
    await store.close();
    done();
  }
});

test('a bad op rejects the whole batch and writes nothing', async () => {
  const { store, done } = temp();
  try {
    await assert.rejects(
      store.batch!([
        { type: 'put', key: '/ok', value: 1 },
        { type: 'put', key: 'no-slash', value: 1 },
      ]),
      (e: StoreError) => e instanceof StoreError && e.code === 'STORE_INVALID',
    );
    await assert.rejects(
      store.batch!([{ type: 'move', key: '/x' } as never]),
      (e: StoreError) => e.field === 'ops[0].type',
    );
    assert.equal(await store.get('/ok'), undefined);
  } finally {
    await store.close();
    done();
  }
});
