import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openEtcdStore, type Store } from '../../src/store/index.js';
import { startEtcd, type TestEtcd } from '../support/etcd.js';
import { concurrentAllocations, concurrentCreates } from '../support/agent-ipam.js';

let etcd: TestEtcd;
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd.stop();
});

/** Three handles on one etcd namespace: three agents (hosts) sharing the cluster. */
async function hosts(namespace: string, fn: (stores: Store[]) => Promise<void>): Promise<void> {
  const stores = [1, 2, 3].map(() =>
    openEtcdStore({ endpoints: [etcd.endpoint], namespace, onError: () => {} }),
  );
  try {
    await fn(stores);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
}

test('50 concurrent allocations from three hosts on etcd get 50 distinct addresses', async () => {
  await hosts('/ipam-race', async (stores) => {
    const got = await concurrentAllocations(stores, 50);
    assert.equal(got.length, 50);
  });
});

test('racing clashing network creates from three hosts on etcd: exactly one wins', async () => {
  await hosts('/create-race', async (stores) => {
    await concurrentCreates(stores);
    assert.equal((await stores[1].list('/agent/networks')).length, 1, 'one registry key');
  });
});
