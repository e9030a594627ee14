import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openEtcdStore, StoreError, type Store } from '../../src/store/index.js';
import { storeContractTests, rejectsWith } from '../support/store-contract.js';
import { startEtcd, type TestEtcd } from '../support/etcd.js';

let etcd: TestEtcd;
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd.stop();
});

let namespaces = 0;
const namespaceOf = new Map<Store, string>();
const open = (namespace: string): Store => {
  const s = openEtcdStore({ endpoints: [etcd.endpoint], namespace, onError: () => {} });
  namespaceOf.set(s, namespace);
  return s;
};

storeContractTests('etcd', {
  // Each store gets its own namespace, so it starts empty on the shared etcd.
  async open() {
    return open(`/test${++namespaces}`);
  },
  async reopen(store) {
    await store.close();
    return open(namespaceOf.get(store)!);
  },
  // Lease time is etcd's own: let it pass for real.
  elapse: (ms) => new Promise((r) => setTimeout(r, ms)),
  ttlSeconds: 1,
  pollTimeoutMs: 3000,
});

test('namespaces keep stores apart on one etcd', async () => {
  const a = open('/ns-a');
  const b = open('/ns-b');
  await a.put('/k', 'a');
  await b.put('/k', 'b');
  assert.equal((await a.get('/k'))?.value, 'a');
  assert.deepEqual(
    (await b.list('/')).map((e) => e.value),
    ['b'],
  );
  await Promise.all([a.close(), b.close()]);
});

test('an unreachable cluster is reported as STORE_UNAVAILABLE naming the endpoint', async () => {
  const s = openEtcdStore({ endpoints: ['http://127.0.0.1:9'], requestTimeoutMs: 500, onError: () => {} });
  s.watch('/', () => {}); // a watch that can never be set up must not block later calls
  const err = await rejectsWith(s.get('/x'), 'STORE_UNAVAILABLE');
  assert.match(err.message, /127\.0\.0\.1:9/);
  await rejectsWith(s.keepAlive('abc'), 'STORE_UNAVAILABLE');
  await s.close();
});

test('options are validated naming the field', () => {
  const bad: [unknown, string][] = [
    [{ endpoints: [] }, 'endpoints'],
    [{ endpoints: ['localhost'] }, 'endpoints[0]'],
    [{ endpoints: ['http://127.0.0.1:2379', 'ftp://x:1'] }, 'endpoints[1]'],
    [{ endpoints: ['http://127.0.0.1:2379'], namespace: 'sluice' }, 'namespace'],
    [{ endpoints: ['http://127.0.0.1:2379'], namespace: '/sluice/' }, 'namespace'],
    [{ endpoints: ['http://127.0.0.1:2379'], requestTimeoutMs: 0 }, 'requestTimeoutMs'],
  ];
  for (const [opts, field] of bad) {
    assert.throws(
      () => openEtcdStore(opts as never),
      (e: unknown) => e instanceof StoreError && e.code === 'STORE_INVALID' && e.field === field,
      field,
    );
  }
});
