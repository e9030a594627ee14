/**
 * LeasePublisher (keys on a member's lease, written coalesced in the background) and PrefixMirror (a live copy
 * of a prefix) on the embedded store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeasePublisher, PrefixMirror, type MirrorChange, type Wanted } from '../../src/cluster/index.js';
import { FakeClock, StoreError, type Store, type WatchEvent } from '../../src/store/index.js';
import { tempStore } from './apps.testctx.js';
import { waitFor } from '../support/wait.js';

/** The store, with every put and delete it was asked for recorded (and failures to order). */
function spied(store: Store) {
  const calls: string[] = [];
  let failNext: StoreError | undefined;
  const wrapped: Store = Object.create(store) as Store;
  wrapped.put = (key, value, opts) => {
    calls.push(`put ${key} ${JSON.stringify(value)}`);
    if (failNext) {
      const err = failNext;
      failNext = undefined;
      return Promise.reject(err);
    }
    return store.put(key, value, opts);
  };
  wrapped.delete = (key) => {
    calls.push(`delete ${key}`);
    return store.delete(key);
  };
  return { store: wrapped, calls, fail: (err: StoreError) => (failNext = err) };
}

const value =
  (v: unknown): Wanted =>
  () =>
    v;

test('publisher: changes to a key within the window cost one write; a delete removes it; nothing waits', async () => {
  const base = tempStore();
  const { store, calls } = spied(base);
  const clock = new FakeClock();
  const everything = new Map<string, Wanted>();
  const p = new LeasePublisher({ store, clock, snapshot: () => everything });
  p.set('/x/a', value(1)); // no lease yet: held
  const lease = await base.grantLease(30);
  p.setLease(lease);
  p.set('/x/a', value(2));
  p.set('/x/a', value(3));
  p.set('/x/b', value('b'));
  assert.deepEqual(calls, [], 'nothing written before the window ends');
  clock.advance(200);
  await p.flush();
  assert.deepEqual(calls, ['put /x/a 3', 'put /x/b "b"']);
  assert.equal((await base.get('/x/a'))?.value, 3);

  p.set('/x/a', value(3)); // the same value: no write
  p.set('/x/b', undefined);
  p.set('/x/c', () => undefined); // never written, nothing to delete
  await p.flush();
  assert.deepEqual(calls.slice(2), ['delete /x/b']);
  assert.equal(await base.get('/x/b'), undefined);

  await base.revokeLease(lease);
  assert.equal(await base.get('/x/a'), undefined, 'the key lived on the lease');
  await base.close();
});

test('publisher: a new lease republishes the snapshot; a failed write is retried; a lost lease waits', async () => {
  const base = tempStore();
  const { store, calls, fail } = spied(base);
  const clock = new FakeClock();
  const everything = new Map<string, Wanted>([['/x/a', value('A')]]);
  const errors: string[] = [];
  const p = new LeasePublisher({
    store,
    clock,
    snapshot: () => everything,
    onError: (_err, key) => errors.push(key),
  });
  const first = await base.grantLease(30);
  p.setLease(first);
  fail(new StoreError('STORE_UNAVAILABLE', 'etcd', 'down'));
  await p.flush();
  assert.deepEqual(errors, ['/x/a']);
  assert.equal(await base.get('/x/a'), undefined);
  clock.advance(1000); // the retry
  await p.flush();
  assert.equal((await base.get('/x/a'))?.value, 'A');

  await base.revokeLease(first); // the member lost its lease: the keys went with it
  p.set('/x/b', value('B'));
  await p.flush(); // the lease is unknown: the publisher waits for the next one
  assert.equal(await base.get('/x/b'), undefined);
  everything.set('/x/b', value('B'));
  const second = await base.grantLease(30);
  p.setLease(second);
  await p.flush();
  assert.equal((await base.get('/x/a'))?.value, 'A', 'republished');
  assert.equal((await base.get('/x/b'))?.value, 'B');
  assert.ok(calls.filter((c) => c.startsWith('put /x/a')).length >= 3);
  p.stop();
  await base.close();
});

test('mirror: an initial list, then watch events in batches holding each key once; a re-list heals', async () => {
  const store = tempStore();
  await store.put('/p/a', 1);
  await store.put('/q/other', 1);
  const changes: MirrorChange[] = [];
  const clock = new FakeClock();
  const m = new PrefixMirror({ store, prefix: '/p/', clock, onChange: (c) => changes.push(c) });
  await m.start();
  assert.deepEqual(
    changes.map((c) => [c.puts.map((e) => `${e.key}=${String(e.value)}`), c.deletes]),
    [[['/p/a=1'], []]],
  );

  // Several events in one turn (as an etcd watch response carries them) make one batch, each key once.
  const rev = (await store.put('/p/b', 2)) + 1;
  const feed: ((ev: WatchEvent) => void)[] = [];
  const fed: Store = Object.create(store) as Store;
  fed.watch = (_prefix, cb) => {
    feed.push(cb);
    return () => {};
  };
  const batches: MirrorChange[] = [];
  const mf = new PrefixMirror({ store: fed, prefix: '/p/', clock, onChange: (c) => batches.push(c) });
  await mf.start();
  feed[0]({ type: 'put', key: '/p/b', value: 2, revision: rev - 1 }); // already listed: skipped
  feed[0]({ type: 'put', key: '/p/b', value: 3, revision: rev });
  feed[0]({ type: 'put', key: '/p/n', value: 9, revision: rev + 1 });
  feed[0]({ type: 'delete', key: '/p/n', revision: rev + 2 });
  feed[0]({ type: 'delete', key: '/p/a', revision: rev + 3 });
  await Promise.resolve();
  assert.deepEqual(
    batches.slice(1).map((c) => [c.puts.map((e) => `${e.key}=${String(e.value)}`), c.deletes]),
    [[['/p/b=3'], ['/p/n', '/p/a']]],
  );
  mf.stop();

  // Changes the watch missed (an etcd reconnect) are found by the next re-list.
  m.stop();
  let deaf = false;
  const lossy: Store = Object.create(store) as Store;
  lossy.watch = (prefix, cb) => store.watch(prefix, (ev) => void (deaf || cb(ev)));
  const seen: MirrorChange[] = [];
  const m2 = new PrefixMirror({
    store: lossy,
    prefix: '/p/',
    clock,
    resyncMs: 5000,
    onChange: (c) => seen.push(c),
  });
  await m2.start();
  deaf = true;
  await store.delete('/p/b');
  await store.put('/p/c', 4);
  await Promise.resolve();
  assert.equal(seen.length, 1, 'only the first list');
  clock.advance(5000);
  await waitFor(() => seen.length === 2, { what: 'the re-list', intervalMs: 5 });
  assert.deepEqual(
    [seen[1].puts.map((e) => `${e.key}=${String(e.value)}`), seen[1].deletes],
    [['/p/c=4'], ['/p/b']],
  );
  m2.stop();
  await store.close();
});
