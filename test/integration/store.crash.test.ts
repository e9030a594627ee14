/**
 * kill -9 in the middle of a write stream: every write the child saw acknowledged must be there after reopen,
 * and a live holder must keep others out while a dead one must not.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openEmbeddedStore, StoreError } from '../../src/store/index.js';

const storeModule = fileURLToPath(new URL('../../src/store/index.js', import.meta.url));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-crash-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

/** A child that writes /crash/<n> = {n, pad} forever, printing n after each acknowledged put. */
function startWriter(dir: string): ChildProcess {
  const script = `
    const { openEmbeddedStore } = await import(${JSON.stringify(storeModule)});
    const store = openEmbeddedStore(${JSON.stringify(dir)});
    const pad = 'p'.repeat(2000);
    for (let n = 1; ; n++) {
      await store.put('/crash/' + String(n).padStart(8, '0'), { n, pad });
      process.stdout.write(n + '\\n');
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

test('every acknowledged put survives kill -9 and the database opens cleanly', async () => {
  const dir = path.join(root, 'crash');
  const child = startWriter(dir);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const acked: number[] = [];
  const lines = createInterface({ input: child.stdout! });
  const killAt = 150;
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      acked.push(Number(line));
      if (acked.length === killAt) {
        child.kill('SIGKILL'); // mid-stream: the child is inside its next put
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`writer exited early (${code}): ${stderr}`)));
  });
  await exited(child);
  lines.close();
  assert.equal(child.signalCode, 'SIGKILL');
  assert.deepEqual(
    acked.slice(0, killAt),
    Array.from({ length: killAt }, (_, i) => i + 1),
  );

  // The pid file still names the dead child: reopening must treat it as stale.
  assert.equal(fs.readFileSync(path.join(dir, 'store.lock'), 'utf8').trim(), String(child.pid));
  const store = openEmbeddedStore(dir);
  const entries = await store.list('/crash/');
  const present = new Set(entries.map((e) => (e.value as { n: number }).n));
  for (const n of acked) assert.ok(present.has(n), `acknowledged write ${n} is missing`);
  // Nothing half-written: every record present is whole, and numbers are contiguous from 1.
  assert.deepEqual(
    [...present].sort((a, b) => a - b),
    Array.from({ length: present.size }, (_, i) => i + 1),
  );
  for (const e of entries) assert.equal((e.value as { pad: string }).pad.length, 2000);
  const next = await store.put('/after-crash', true);
  assert.ok(next > present.size, 'the revision counter continues past the crash');
  await store.close();

  const db = new Database(path.join(dir, 'store.db'), { readonly: true });
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
});

test('a store held by a live process is refused naming its pid; after it dies it opens', async () => {
  const dir = path.join(root, 'held');
  const child = startWriter(dir);
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  assert.throws(
    () => openEmbeddedStore(dir),
    (err: unknown) =>
      err instanceof StoreError &&
      err.code === 'STORE_LOCKED' &&
      err.message.includes(`process ${child.pid}`),
  );
  child.kill('SIGKILL');
  await exited(child);
  lines.close();
  const store = openEmbeddedStore(dir);
  assert.ok((await store.list('/crash/')).length >= 1);
  await store.close();
});
