import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, StoreError } from '../../src/store/index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-open-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('openStore opens the embedded backend from a config section', async () => {
  const store = openStore({ backend: 'embedded', dataDir: path.join(root, 'data') });
  await store.put('/config/controller', { port: 6653 });
  assert.deepEqual((await store.get('/config/controller'))?.value, { port: 6653 });
  await store.close();
});

test('openStore rejects bad config naming the field', () => {
  const cases: [unknown, string][] = [
    [null, 'store'],
    [{}, 'store.backend'],
    [{ backend: 'redis' }, 'store.backend'],
    [{ backend: 'embedded', dataDir: '' }, 'store.dataDir'],
    [{ backend: 'embedded', dataDir: '/x', endpoints: [] }, 'store.endpoints'],
    [{ backend: 'etcd', endpoints: ['nope'] }, 'store.endpoints[0]'],
    [{ backend: 'etcd', endpoints: ['http://127.0.0.1:2379'], namespace: 'x' }, 'store.namespace'],
  ];
  for (const [config, field] of cases) {
    assert.throws(
      () => openStore(config),
      (e: unknown) => e instanceof StoreError && e.code === 'STORE_INVALID' && e.field === field,
      field,
    );
  }
});
