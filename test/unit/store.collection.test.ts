import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collection, openEmbeddedStore, StoreError } from '../../src/store/index.js';
import { rejectsWith } from '../support/store-contract.js';

interface Rule {
  port: number;
  action: 'allow' | 'deny';
}

function parseRule(v: unknown): Rule {
  const r = v as Partial<Rule> | null;
  if (typeof r !== 'object' || r === null) throw new Error('must be an object');
  if (typeof r.port !== 'number' || !Number.isInteger(r.port) || r.port < 0 || r.port > 65535) {
    throw new Error(`port: must be 0..65535, got ${String(r.port)}`);
  }
  if (r.action !== 'allow' && r.action !== 'deny')
    throw new Error(`action: must be allow|deny, got ${String(r.action)}`);
  return { port: r.port, action: r.action };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-coll-'));
const store = openEmbeddedStore(dir);
after(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
const rules = collection(store, '/apps/firewall/rules/', parseRule);

test('put, get, list and delete typed records by name', async () => {
  const rev = await rules.put('b', { port: 22, action: 'deny' });
  await rules.put('a', { port: 80, action: 'allow' });
  await store.put('/apps/firewall/rules/a/nested', 'not a rule'); // deeper keys are someone else's
  await store.put('/apps/firewall/rulesX', 'outside');
  assert.deepEqual(await rules.get('b'), {
    name: 'b',
    key: '/apps/firewall/rules/b',
    value: { port: 22, action: 'deny' },
    revision: rev,
  });
  assert.deepEqual(
    (await rules.list()).map((i) => [i.name, i.value.port]),
    [
      ['a', 80],
      ['b', 22],
    ],
  );
  assert.equal(await rules.delete('a'), true);
  assert.equal(await rules.get('a'), undefined);
  assert.equal(await rules.compareAndSwap('b', rev, { port: 23, action: 'deny' }), true);
  assert.equal(await rules.compareAndSwap('b', rev, { port: 24, action: 'deny' }), false);
  assert.equal((await rules.get('b'))?.value.port, 23);
});

test('an invalid value is refused before it is written, naming the key and the reason', async () => {
  const err = await rejectsWith(rules.put('c', { port: 70000, action: 'deny' }), 'STORE_INVALID', 'value');
  assert.match(err.message, /\/apps\/firewall\/rules\/c: port: must be 0\.\.65535/);
  assert.equal(await store.get('/apps/firewall/rules/c'), undefined);
  await rejectsWith(rules.put('', { port: 1, action: 'allow' }), 'STORE_INVALID', 'name');
  await rejectsWith(rules.put('x/y', { port: 1, action: 'allow' }), 'STORE_INVALID', 'name');
});

test('a corrupted record reads as STORE_CORRUPT naming the key; list can skip and report it', async () => {
  await rules.put('good', { port: 443, action: 'allow' });
  await store.put('/apps/firewall/rules/broken', { port: 'eighty', action: 'allow' });
  const err = await rejectsWith(rules.get('broken'), 'STORE_CORRUPT', '/apps/firewall/rules/broken');
  assert.match(err.message, /stored record is invalid: port: must be 0\.\.65535, got eighty/);
  await rejectsWith(rules.list(), 'STORE_CORRUPT', '/apps/firewall/rules/broken');
  const skipped: StoreError[] = [];
  const names = (await rules.list({ onInvalid: (e) => skipped.push(e) })).map((i) => i.name);
  assert.ok(names.includes('good') && !names.includes('broken'));
  assert.deepEqual(
    skipped.map((e) => e.field),
    ['/apps/firewall/rules/broken'],
  );
});

test('the prefix must be a valid key prefix ending with /', () => {
  assert.throws(() => collection(store, '/apps/x', parseRule), /prefix: must end with '\/'/);
  assert.throws(() => collection(store, 'apps/x/', parseRule), /prefix: must start with '\/'/);
});
