import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedStore, type Store } from '../../src/store/index.js';
import { Ipam, NetworkStore } from '../../src/agent/index.js';
import { ConflictError, FieldError, NotFoundError } from '../../src/util/index.js';
import { concurrentAllocations, concurrentCreates } from '../support/agent-ipam.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-agent-'));
const opened: Store[] = [];
let stores = 0;
/** A fresh embedded store per test, so no test depends on another. */
function fresh(): { store: Store; networks: NetworkStore; ipam: Ipam } {
  const store = openEmbeddedStore(path.join(root, String(++stores)));
  opened.push(store);
  return { store, networks: new NetworkStore(store), ipam: new Ipam(store) };
}
after(async () => {
  await Promise.all(opened.map((s) => s.close()));
  fs.rmSync(root, { recursive: true, force: true });
});

async function rejectsField(
  p: Promise<unknown>,
  Err: typeof FieldError | typeof NotFoundError | typeof ConflictError,
  field: string,
  reason?: RegExp,
) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof Err, `expected ${Err.name}, got ${String(err)}`);
    assert.equal(err.field, field);
    if (reason) assert.match(err.reason, reason);
    return true;
  });
}

test('networks: create assigns VNIs, list/get read back, clashes are refused', async () => {
  const { store, networks } = fresh();
  const a = await networks.create({ name: 'b', subnet: '10.1.0.0/16' });
  const b = await networks.create({ name: 'a', subnet: '10.2.0.0/16', vni: 9, labels: { env: 'dev' } });
  assert.equal(a.vni, 1);
  assert.equal(b.vni, 9);
  assert.equal((await networks.create({ name: 'c', subnet: '10.3.0.0/24' })).vni, 2);
  assert.deepEqual(
    (await networks.list()).map((n) => n.name),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(await networks.get('a'), b);
  await rejectsField(networks.create({ name: 'a', subnet: '10.9.0.0/16' }), ConflictError, 'name');
  await rejectsField(networks.create({ name: 'd', subnet: '10.9.0.0/16', vni: 9 }), ConflictError, 'vni');
  await rejectsField(
    networks.create({ name: 'd', subnet: '10.1.128.0/17' }),
    ConflictError,
    'subnet',
    /network b/,
  );
  await rejectsField(networks.create({ name: 'd', subnet: 'x' }), FieldError, 'subnet');
  assert.equal((await store.list('/agent/ipam/')).length, 3, 'refused creates leave no IPAM record');
  await rejectsField(networks.get('zz'), NotFoundError, 'name', /no network named zz/);
  await rejectsField(networks.get('bad name'), FieldError, 'name');
  await rejectsField(networks.delete('zz'), NotFoundError, 'name');
});

test('networks: racing clashing creates, exactly one wins', async () => {
  const { store } = fresh();
  await concurrentCreates([store, store, store, store, store]);
});

test('networks: delete is refused while endpoints exist unless forced; the name is free again after', async () => {
  const { networks, ipam } = fresh();
  const first = await networks.create({ name: 'web', subnet: '10.1.0.0/24' });
  await ipam.allocate('web', 'c1');
  await rejectsField(networks.delete('web'), ConflictError, 'name', /1 endpoint/);
  await networks.delete('web', { force: true });
  assert.deepEqual(await networks.list(), []);
  await rejectsField(ipam.allocate('web', 'c2'), NotFoundError, 'network');
  const again = await networks.create({ name: 'web', subnet: '10.1.0.0/24' });
  assert.notEqual(again.id, first.id);
  assert.deepEqual(await ipam.list('web'), {}, 'a new incarnation starts with no addresses');
  await networks.delete('web');
  assert.deepEqual(await networks.list(), []);
});

test('ipam: next free address skips network, gateway and broadcast; static addresses; release', async () => {
  const { networks, ipam } = fresh();
  await networks.create({ name: 'n', subnet: '10.0.0.0/29', gateway: '10.0.0.2' });
  assert.deepEqual(await ipam.allocate('n', 'c1'), {
    network: 'n',
    address: '10.0.0.1',
    cidr: '10.0.0.1/29',
    gateway: '10.0.0.2',
    owner: 'c1',
  });
  assert.equal((await ipam.allocate('n', 'c2')).address, '10.0.0.3');
  assert.equal((await ipam.allocate('n', 'c3', { address: '10.0.0.6' })).address, '10.0.0.6');
  await rejectsField(
    ipam.allocate('n', 'c4', { address: '10.0.0.6' }),
    ConflictError,
    'address',
    /in use .* by c3/,
  );
  await rejectsField(ipam.allocate('n', 'c4', { address: '10.0.0.2' }), FieldError, 'address', /gateway/);
  await rejectsField(ipam.allocate('n', 'c4', { address: '10.0.0.7' }), FieldError, 'address', /broadcast/);
  await rejectsField(ipam.allocate('n', 'c4', { address: '10.0.0.0' }), FieldError, 'address', /network or/);
  await rejectsField(ipam.allocate('n', 'c4', { address: '10.0.1.3' }), FieldError, 'address', /outside/);
  await rejectsField(ipam.allocate('n', 'c4', { address: 'ten' }), FieldError, 'address', /not an IPv4/);
  await rejectsField(ipam.allocate('n', ''), FieldError, 'owner');
  await rejectsField(ipam.allocate('nope', 'c4'), NotFoundError, 'network', /no network named nope/);
  await rejectsField(ipam.allocate('bad/name', 'c4'), FieldError, 'network');
  assert.equal((await ipam.allocate('n', 'c4')).address, '10.0.0.4');
  assert.equal((await ipam.allocate('n', 'c5')).address, '10.0.0.5');
  await rejectsField(
    ipam.allocate('n', 'c6'),
    ConflictError,
    'network',
    /network n has no free address left in 10\.0\.0\.0\/29/,
  );
  assert.equal(await ipam.release('n', '10.0.0.3'), true);
  assert.equal(await ipam.release('n', '10.0.0.3'), false);
  await rejectsField(ipam.release('n', '10.9.9.9'), FieldError, 'address', /outside/);
  assert.equal((await ipam.allocate('n', 'c6')).address, '10.0.0.3');
  assert.deepEqual(await ipam.list('n'), {
    '10.0.0.1': 'c1',
    '10.0.0.3': 'c6',
    '10.0.0.4': 'c4',
    '10.0.0.5': 'c5',
    '10.0.0.6': 'c3',
  });
});

test('ipam: 50 concurrent allocations from 5 Ipam instances get 50 distinct addresses', async () => {
  const { store } = fresh();
  const got = await concurrentAllocations([store, store, store, store, store], 50);
  assert.equal(got.length, 50);
});

test('ipam: concurrent allocations racing a delete leave nothing behind', async () => {
  const { store, networks, ipam } = fresh();
  await networks.create({ name: 'r', subnet: '10.5.0.0/24' });
  const allocs = Array.from({ length: 10 }, (_, i) => ipam.allocate('r', `c${i}`));
  const del = networks.delete('r', { force: true });
  const results = await Promise.allSettled([...allocs, del]);
  for (const r of results) {
    if (r.status === 'rejected') assert.ok(r.reason instanceof NotFoundError, String(r.reason));
  }
  assert.deepEqual(await networks.list(), []);
  assert.deepEqual(await store.list('/agent/ipam/'), [], 'no IPAM record left behind');
});

test('ipam: a burst on one Ipam shares CAS rounds; one bad request fails alone', async () => {
  const { store, networks, ipam } = fresh();
  await networks.create({ name: 'n', subnet: '10.0.0.0/24' });
  let cas = 0;
  const real = store.compareAndSwap.bind(store);
  store.compareAndSwap = (...args: Parameters<Store['compareAndSwap']>) => (cas++, real(...args));
  const results = await Promise.allSettled([
    ...Array.from({ length: 20 }, (_, i) => ipam.allocate('n', `c${i}`)),
    ipam.allocate('n', 'c0'), // the same owner twice in one burst: one address
    ipam.allocate('n', 'x', { address: '10.0.0.1' }), // the gateway: refused, others unharmed
  ]);
  const ok = results.filter((r) => r.status === 'fulfilled').map((r) => r.value.address);
  assert.equal(ok.length, 21);
  assert.equal(new Set(ok).size, 20);
  assert.equal(ok[20], ok[0]);
  assert.equal(results[21].status, 'rejected');
  assert.ok(cas <= 3, `${cas} compare-and-swaps for one burst`);
});
