import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import {
  FakeClock,
  openEmbeddedStore,
  StoreError,
  type Store,
  type WatchEvent,
} from '../../src/store/index.js';
import { rejectsWith, storeContractTests } from '../support/store-contract.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-store-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => path.join(root, `d${++dirs}`, 'nested');

const clock = new FakeClock();
const dirOf = new Map<Store, string>();

storeContractTests('embedded (SQLite)', {
  async open() {
    const dir = freshDir();
    const s = openEmbeddedStore(dir, { clock, onError: () => {} });
    dirOf.set(s, dir);
    return s;
  },
  async reopen(store) {
    const dir = dirOf.get(store)!;
    await store.close();
    const s = openEmbeddedStore(dir, { clock, onError: () => {} });
    dirOf.set(s, dir);
    return s;
  },
  async elapse(ms) {
    clock.advance(ms);
  },
  ttlSeconds: 10,
});

function storeErrorWith(code: string, pattern: RegExp) {
  return (err: unknown) => err instanceof StoreError && err.code === code && pattern.test(err.message);
}

test('a second open of the same directory is refused while the first is open, allowed after close', async () => {
  const dir = freshDir();
  const s = openEmbeddedStore(dir);
  assert.throws(() => openEmbeddedStore(dir), storeErrorWith('STORE_LOCKED', /already open in this process/));
  assert.equal(fs.readFileSync(path.join(dir, 'store.lock'), 'utf8').trim(), String(process.pid));
  await s.put('/still', 'works');
  await s.close();
  assert.equal(fs.existsSync(path.join(dir, 'store.lock')), false, 'close removes the pid file');
  const again = openEmbeddedStore(dir);
  assert.equal((await again.get('/still'))?.value, 'works');
  await again.close();
});

test('a pid file left by a dead process is stale and taken over', async () => {
  const dir = freshDir();
  fs.mkdirSync(dir, { recursive: true });
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  fs.writeFileSync(path.join(dir, 'store.lock'), dead.stdout);
  const s = openEmbeddedStore(dir);
  assert.equal(fs.readFileSync(path.join(dir, 'store.lock'), 'utf8').trim(), String(process.pid));
  await s.close();
});

test('a file that is not a database is reported as corrupt, naming the file', () => {
  const dir = freshDir();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'store.db'), 'this is not SQLite '.repeat(300));
  assert.throws(
    () => openEmbeddedStore(dir),
    storeErrorWith('STORE_CORRUPT', /store\.db: not a readable store database/),
  );
  assert.equal(fs.existsSync(path.join(dir, 'store.lock')), false, 'no pid file left behind');
});

test('a stored record that is not JSON reads as STORE_CORRUPT naming the key', async () => {
  const dir = freshDir();
  const s = openEmbeddedStore(dir);
  await s.put('/apps/x/good', 1);
  await s.put('/apps/x/bad', 2);
  await s.close();
  const db = new Database(path.join(dir, 'store.db'));
  db.prepare('UPDATE kv SET value = ? WHERE key = ?').run('{broken', Buffer.from('/apps/x/bad'));
  db.close();
  const reopened = openEmbeddedStore(dir);
  const err = await rejectsWith(reopened.get('/apps/x/bad'), 'STORE_CORRUPT', '/apps/x/bad');
  assert.match(err.message, /not valid JSON/);
  await rejectsWith(reopened.list('/apps/'), 'STORE_CORRUPT', '/apps/x/bad');
  assert.equal((await reopened.get('/apps/x/good'))?.value, 1);
  await reopened.close();
});

test('a lease survives a reopen with a full TTL, then expires', async () => {
  const c = new FakeClock();
  const dir = freshDir();
  let s = openEmbeddedStore(dir, { clock: c });
  const lease = await s.grantLease(30);
  await s.put('/agents/h1', 'alive', { lease });
  c.advance(25_000);
  await s.close();
  assert.equal(c.pendingTimers, 0, 'close cancels the expiry timer');
  s = openEmbeddedStore(dir, { clock: c });
  c.advance(25_000);
  assert.equal((await s.get('/agents/h1'))?.value, 'alive', 'TTL restarted at reopen');
  await s.keepAlive(lease);
  const events: WatchEvent[] = [];
  s.watch('/agents/', (ev) => events.push(ev));
  c.advance(30_000);
  assert.deepEqual(
    events.map((e) => [e.type, e.key]),
    [['delete', '/agents/h1']],
    'the timer alone expires it, without any call',
  );
  await s.close();
});

test('leases longer than the longest timer delay are re-armed, not expired early', async () => {
  const c = new FakeClock();
  const s = openEmbeddedStore(freshDir(), { clock: c });
  const lease = await s.grantLease(60 * 24 * 3600); // 60 days > 2^31 ms
  await s.put('/long', 1, { lease });
  c.advance(30 * 24 * 3600 * 1000); // past the capped timer's wake-up
  assert.equal((await s.get('/long'))?.value, 1);
  assert.equal(c.pendingTimers, 1, 're-armed for the rest of the TTL');
  c.advance(31 * 24 * 3600 * 1000);
  assert.equal(await s.get('/long'), undefined);
  await s.close();
});

test('a watcher that writes sees its own event after the one being delivered (revision order)', async () => {
  const s = openEmbeddedStore(freshDir());
  const order: string[] = [];
  s.watch('/a/', (ev) => {
    order.push(`first:${ev.key}`);
    if (ev.key === '/a/1') void s.put('/a/2', 2);
  });
  s.watch('/a/', (ev) => order.push(`second:${ev.key}`));
  await s.put('/a/1', 1);
  assert.deepEqual(order, ['first:/a/1', 'second:/a/1', 'first:/a/2', 'second:/a/2']);
  await s.close();
});

test('batch applies puts and deletes in one transaction, each with its own revision, and emits their events', async () => {
  const s = openEmbeddedStore(freshDir());
  const r0 = await s.put('/b/old', 'x');
  const events: WatchEvent[] = [];
  s.watch('/b/', (ev) => events.push(ev));
  const results = await s.batch!([
    { type: 'put', key: '/b/a', value: 1 },
    { type: 'delete', key: '/b/old' },
    { type: 'delete', key: '/b/absent' },
    { type: 'put', key: '/b/a', value: 2 },
  ]);
  assert.deepEqual(results, [r0 + 1, true, false, r0 + 3]);
  assert.deepEqual(
    events.map((e) => [e.type, e.key, e.value, e.revision]),
    [
      ['put', '/b/a', 1, r0 + 1],
      ['delete', '/b/old', undefined, r0 + 2],
      ['put', '/b/a', 2, r0 + 3],
    ],
  );
  assert.deepEqual(await s.list('/b/'), [{ key: '/b/a', value: 2, revision: r0 + 3 }]);
  assert.deepEqual(await s.batch!([{ type: 'delete', key: '/b/none' }]), [false]);
  assert.equal(await s.put('/b/next', 0), r0 + 4, 'a batch that changed nothing takes no revision');
  await s.close();
});

test('a batch with one bad op writes nothing and names the op', async () => {
  const s = openEmbeddedStore(freshDir());
  await s.put('/keep', 1);
  const before = JSON.stringify(await s.list('/'));
  const bad: [unknown[], string][] = [
    [
      [
        { type: 'put', key: '/ok', value: 1 },
        { type: 'put', key: 'rel', value: 1 },
      ],
      'ops[1].key',
    ],
    [
      [
        { type: 'delete', key: '/keep' },
        { type: 'put', key: '/x', value: NaN },
      ],
      'ops[1].value',
    ],
    [[{ type: 'put', key: '/x', value: { a: [undefined] } }], 'ops[0].value.a[0]'],
    [[{ type: 'move', key: '/x' }], 'ops[0].type'],
    [[null], 'ops[0].key'],
  ];
  for (const [ops, field] of bad) await rejectsWith(s.batch!(ops as never), 'STORE_INVALID', field);
  await rejectsWith(s.batch!('nope' as never), 'STORE_INVALID', 'ops');
  assert.equal(JSON.stringify(await s.list('/')), before);
  await s.close();
});

test('errors no caller can receive go to onError', async () => {
  const reported: string[] = [];
  const s = openEmbeddedStore(freshDir(), {
    onError: (err, context) => reported.push(`${context}: ${String(err)}`),
  });
  s.watch('/', () => {
    throw new Error('boom');
  });
  await s.put('/k', 1);
  assert.deepEqual(reported, ['watcher of /k threw: Error: boom']);
  await s.close();
});

test('the data directory is validated', () => {
  assert.throws(() => openEmbeddedStore(''), storeErrorWith('STORE_INVALID', /^dataDir: /));
  const file = path.join(root, 'a-file');
  fs.writeFileSync(file, '');
  assert.throws(
    () => openEmbeddedStore(path.join(file, 'sub')),
    storeErrorWith('STORE_UNAVAILABLE', /cannot create data directory/),
  );
});
