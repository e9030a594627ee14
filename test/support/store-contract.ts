/**
 * The behaviour every Store backend must show, as one suite any backend's test file runs with its own harness.
 * Waits are polls on the condition (events and expiry may arrive asynchronously, e.g. from etcd).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError, type Store, type WatchEvent } from '../../src/store/index.js';
import { waitFor } from './wait.js';

export interface StoreHarness {
  /** A fresh, empty store. */
  open(): Promise<Store>;
  /** Close `store` and open the same data again (omit for backends where that means nothing). */
  reopen?(store: Store): Promise<Store>;
  /** Let `ms` of lease time pass (a fake clock advances; a real backend waits). */
  elapse(ms: number): Promise<void>;
  /** The shortest TTL the backend honours exactly (etcd raises small TTLs to its minimum). */
  ttlSeconds: number;
  /** How long a poll may wait for an asynchronous effect. */
  pollTimeoutMs?: number;
}

export async function rejectsWith(p: Promise<unknown>, code: string, field?: string): Promise<StoreError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (field !== undefined) assert.equal(err.field, field, err.message);
    return err;
  }
  return assert.fail(`expected rejection with ${code}`);
}

async function snapshot(store: Store): Promise<string> {
  return JSON.stringify(await store.list('/'));
}

export function storeContractTests(name: string, h: StoreHarness): void {
  const poll = h.pollTimeoutMs ?? 2000;

  describe(`Store contract: ${name}`, () => {
    let store: Store;
    before(async () => {
      store = await h.open();
    });
    after(async () => {
      await store.close();
    });
    // Each test works under its own prefix so the one store can be shared.
    let n = 0;
    const ns = () => `/t${++n}`;

    test('put then get returns the value and the revision put returned', async () => {
      const p = ns();
      const value = { name: 'ünï', n: 1.5, list: [1, null, true, 'x'], nested: { deep: [{}] } };
      const rev = await store.put(`${p}/a`, value);
      assert.deepEqual(await store.get(`${p}/a`), { key: `${p}/a`, value, revision: rev });
      assert.equal(await store.get(`${p}/missing`), undefined);
      for (const v of [null, 0, -7, 'text', false, [], {}]) {
        await store.put(`${p}/scalar`, v);
        assert.deepEqual((await store.get(`${p}/scalar`))?.value, v);
      }
    });

    test('revisions are store-wide and strictly increasing', async () => {
      const p = ns();
      const r1 = await store.put(`${p}/a`, 1);
      const r2 = await store.put(`${p}/b`, 2);
      const r3 = await store.put(`${p}/a`, 3);
      assert.ok(r1 > 0 && r2 > r1 && r3 > r2, `${r1} < ${r2} < ${r3}`);
      assert.equal((await store.get(`${p}/a`))?.revision, r3);
      assert.equal((await store.get(`${p}/b`))?.revision, r2);
      await store.delete(`${p}/b`);
      const r4 = await store.put(`${p}/c`, 4);
      assert.ok(r4 > r3 + 1, 'a delete takes a revision too');
    });

    test('compareAndSwap writes only at the expected revision', async () => {
      const p = ns();
      const k = `${p}/cas`;
      assert.equal(await store.compareAndSwap(k, 0, 'first'), true, 'absent + expected 0 succeeds');
      const r1 = (await store.get(k))!.revision;
      assert.equal(await store.compareAndSwap(k, 0, 'again'), false, 'present + expected 0 fails');
      assert.equal(await store.compareAndSwap(k, r1 + 100, 'wrong'), false, 'wrong revision fails');
      assert.deepEqual(
        await store.get(k),
        { key: k, value: 'first', revision: r1 },
        'failed CAS leaves it unchanged',
      );
      assert.equal(await store.compareAndSwap(k, r1, 'second'), true);
      const e = (await store.get(k))!;
      assert.equal(e.value, 'second');
      assert.ok(e.revision > r1);
      assert.equal(await store.compareAndSwap(`${p}/other`, r1, 'x'), false, 'absent + nonzero fails');
      assert.equal(await store.get(`${p}/other`), undefined);
      await store.delete(k);
      assert.equal(await store.compareAndSwap(k, 0, 'reborn'), true, 'deleted key counts as absent');
    });

    test('compareAndSwap lets exactly one of two racing writers win', async () => {
      const k = `${ns()}/race`;
      const rev = await store.put(k, 0);
      const results = await Promise.all([
        store.compareAndSwap(k, rev, 'A'),
        store.compareAndSwap(k, rev, 'B'),
      ]);
      assert.deepEqual(
        results.filter((r) => r),
        [true],
      );
      assert.equal((await store.get(k))?.value, results[0] ? 'A' : 'B');
    });

    test('delete reports whether the key existed', async () => {
      const p = ns();
      await store.put(`${p}/a`, 1);
      assert.equal(await store.delete(`${p}/a`), true);
      assert.equal(await store.get(`${p}/a`), undefined);
      assert.equal(await store.delete(`${p}/a`), false);
    });

    test('list returns the keys under a prefix in key (byte) order', async () => {
      const p = ns();
      const keys = [
        `${p}/a/b`,
        `${p}/a/a`,
        `${p}/a/c/d`,
        `${p}/ab`,
        `${p}/a`,
        `${p}/a/Z`,
        `${p}/a/é`,
        `${p}/a/~`,
      ];
      for (const k of keys) await store.put(k, k);
      assert.deepEqual(
        (await store.list(`${p}/a/`)).map((e) => e.key),
        [`${p}/a/Z`, `${p}/a/a`, `${p}/a/b`, `${p}/a/c/d`, `${p}/a/~`, `${p}/a/é`],
      );
      assert.deepEqual(
        (await store.list(`${p}/a`)).map((e) => e.key),
        [`${p}/a`, `${p}/a/Z`, `${p}/a/a`, `${p}/a/b`, `${p}/a/c/d`, `${p}/a/~`, `${p}/a/é`, `${p}/ab`],
      );
      const entries = await store.list(`${p}/a/c`);
      assert.deepEqual(entries, [{ key: `${p}/a/c/d`, value: `${p}/a/c/d`, revision: entries[0].revision }]);
      assert.deepEqual(await store.list(`${p}/none/`), []);
    });

    test('watch delivers puts and deletes under its prefix, in order, until unsubscribed', async () => {
      const p = ns();
      const seen: WatchEvent[] = [];
      const stop = store.watch(`${p}/w/`, (ev) => seen.push(ev));
      const r1 = await store.put(`${p}/w/a`, { v: 1 });
      await store.put(`${p}/x`, 'outside');
      const r2 = await store.put(`${p}/w/b`, 2);
      await store.delete(`${p}/w/a`);
      await store.delete(`${p}/w/never`);
      await waitFor(() => seen.length >= 3, { what: 'three watch events', timeoutMs: poll, intervalMs: 10 });
      assert.deepEqual(seen.slice(0, 2), [
        { type: 'put', key: `${p}/w/a`, value: { v: 1 }, revision: r1 },
        { type: 'put', key: `${p}/w/b`, value: 2, revision: r2 },
      ]);
      assert.equal(seen[2].type, 'delete');
      assert.equal(seen[2].key, `${p}/w/a`);
      assert.ok(seen[2].revision > r2);
      stop();
      await store.put(`${p}/w/after`, 1);
      const marker: WatchEvent[] = [];
      const stopMarker = store.watch(`${p}/m`, (ev) => marker.push(ev));
      await store.put(`${p}/m`, 'marker');
      await waitFor(() => marker.length === 1, { what: 'marker event', timeoutMs: poll, intervalMs: 10 });
      stopMarker();
      assert.equal(seen.length, 3, 'no events after unsubscribe');
    });

    test('a throwing watcher neither fails the write nor starves other watchers', async () => {
      const p = ns();
      const seen: string[] = [];
      const stopBad = store.watch(`${p}/`, () => {
        throw new Error('watcher bug');
      });
      const stopGood = store.watch(`${p}/`, (ev) => seen.push(ev.key));
      await store.put(`${p}/a`, 1);
      await store.put(`${p}/b`, 1);
      await waitFor(() => seen.length === 2, { what: 'both events', timeoutMs: poll, intervalMs: 10 });
      stopBad();
      stopGood();
      assert.deepEqual(seen, [`${p}/a`, `${p}/b`]);
    });

    test('a key put with a lease vanishes when the lease expires, with a delete event', async () => {
      const p = ns();
      const lease = await store.grantLease(h.ttlSeconds);
      const events: WatchEvent[] = [];
      const stop = store.watch(`${p}/`, (ev) => events.push(ev));
      await store.put(`${p}/leased`, 'x', { lease });
      await store.put(`${p}/kept`, 'y');
      await h.elapse(h.ttlSeconds * 1000 + 100);
      await waitFor(async () => (await store.get(`${p}/leased`)) === undefined, {
        what: 'leased key to vanish',
        timeoutMs: poll,
        intervalMs: 10,
      });
      await waitFor(() => events.some((e) => e.type === 'delete'), {
        what: 'delete event',
        timeoutMs: poll,
        intervalMs: 10,
      });
      stop();
      assert.deepEqual(
        events.map((e) => [e.type, e.key]),
        [
          ['put', `${p}/leased`],
          ['put', `${p}/kept`],
          ['delete', `${p}/leased`],
        ],
      );
      assert.equal((await store.get(`${p}/kept`))?.value, 'y');
      await rejectsWith(store.keepAlive(lease), 'STORE_LEASE_NOT_FOUND');
      await rejectsWith(store.put(`${p}/late`, 1, { lease }), 'STORE_LEASE_NOT_FOUND', 'lease');
      assert.equal(await store.get(`${p}/late`), undefined);
    });

    test('keepAlive restarts the TTL', async () => {
      const p = ns();
      const ttlMs = h.ttlSeconds * 1000;
      const lease = await store.grantLease(h.ttlSeconds);
      await store.put(`${p}/k`, 1, { lease });
      await h.elapse(ttlMs * 0.6);
      await store.keepAlive(lease);
      await h.elapse(ttlMs * 0.6);
      assert.equal(
        (await store.get(`${p}/k`))?.value,
        1,
        'still there 1.2 TTL after grant thanks to keepAlive',
      );
      await h.elapse(ttlMs * 0.5);
      await waitFor(async () => (await store.get(`${p}/k`)) === undefined, {
        what: 'key to vanish',
        timeoutMs: poll,
        intervalMs: 10,
      });
    });

    test('revokeLease deletes its keys at once; a put without the lease detaches the key', async () => {
      const p = ns();
      const lease = await store.grantLease(60);
      await store.put(`${p}/a`, 1, { lease });
      await store.put(`${p}/b`, 1, { lease });
      await store.put(`${p}/b`, 2); // detached: survives the revoke
      await store.revokeLease(lease);
      assert.deepEqual(
        (await store.list(`${p}/`)).map((e) => [e.key, e.value]),
        [[`${p}/b`, 2]],
      );
      await rejectsWith(store.keepAlive(lease), 'STORE_LEASE_NOT_FOUND');
      await store.revokeLease(lease); // unknown lease: nothing to do
    });

    test('bad keys, values and arguments are rejected naming the field, and the store is unchanged', async () => {
      const p = ns();
      await store.put(`${p}/existing`, 'v');
      const before = await snapshot(store);
      const badKeys: unknown[] = [
        '',
        'no-slash',
        `${p}/nul\0x`,
        `/${'k'.repeat(2000)}`,
        42,
        undefined,
        `${p}/\ud800`,
      ];
      for (const k of badKeys) {
        await rejectsWith(store.put(k as string, 1), 'STORE_INVALID', 'key');
        await rejectsWith(store.get(k as string), 'STORE_INVALID', 'key');
        await rejectsWith(store.delete(k as string), 'STORE_INVALID', 'key');
        await rejectsWith(store.compareAndSwap(k as string, 0, 1), 'STORE_INVALID', 'key');
      }
      await rejectsWith(store.list('no-slash'), 'STORE_INVALID', 'prefix');
      assert.throws(
        () => store.watch('', () => {}),
        (e: unknown) => e instanceof StoreError && e.field === 'prefix',
      );
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const badValues: [unknown, string][] = [
        [undefined, 'value'],
        [NaN, 'value'],
        [Infinity, 'value'],
        [() => 1, 'value'],
        [10n, 'value'],
        [new Date(0), 'value'],
        [new Map(), 'value'],
        [{ a: [1, { b: undefined }] }, 'value.a[1].b'],
        [{ ok: 1, nested: { n: NaN } }, 'value.nested.n'],
        [circular, 'value.self'],
        ['x'.repeat(1024 * 1024 + 1), 'value'],
      ];
      for (const [v, field] of badValues) {
        await rejectsWith(store.put(`${p}/new`, v), 'STORE_INVALID', field);
        await rejectsWith(store.put(`${p}/existing`, v), 'STORE_INVALID', field);
        await rejectsWith(store.compareAndSwap(`${p}/new`, 0, v), 'STORE_INVALID', field);
      }
      for (const rev of [-1, 1.5, NaN, '3']) {
        await rejectsWith(
          store.compareAndSwap(`${p}/new`, rev as number, 1),
          'STORE_INVALID',
          'expectedRevision',
        );
      }
      for (const ttl of [0, -1, 1.5, '10', 1e12]) {
        await rejectsWith(store.grantLease(ttl as number), 'STORE_INVALID', 'ttlSeconds');
      }
      await rejectsWith(store.put(`${p}/new`, 1, { lease: 'not hex!' }), 'STORE_INVALID', 'opts.lease');
      await rejectsWith(store.keepAlive('zz'), 'STORE_INVALID', 'lease');
      await rejectsWith(store.put(`${p}/new`, 1, { lease: 'abcdef0123' }), 'STORE_LEASE_NOT_FOUND', 'lease');
      assert.equal(await snapshot(store), before);
    });

    if (h.reopen) {
      const reopen = h.reopen;
      test('data and the revision counter survive close and reopen', async () => {
        const p = ns();
        const rev = await store.put(`${p}/durable`, { kept: true });
        store = await reopen(store);
        assert.deepEqual(await store.get(`${p}/durable`), {
          key: `${p}/durable`,
          value: { kept: true },
          revision: rev,
        });
        assert.ok((await store.put(`${p}/next`, 1)) > rev);
      });
    }

    test('a closed store rejects every call', async () => {
      const s = await h.open();
      await s.put('/x', 1);
      await s.close();
      await s.close(); // idempotent
      await rejectsWith(s.get('/x'), 'STORE_CLOSED');
      await rejectsWith(s.put('/x', 2), 'STORE_CLOSED');
      await rejectsWith(s.list('/'), 'STORE_CLOSED');
      await rejectsWith(s.grantLease(5), 'STORE_CLOSED');
      assert.throws(
        () => s.watch('/', () => {}),
        (e: unknown) => e instanceof StoreError && e.code === 'STORE_CLOSED',
      );
    });
  });
}
