import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { StoreError, warnInBackground } from './errors.js';
import { MAX_TIMER_MS, systemClock } from './clock.js';
import { describeHolder, writePidFile } from './lock.js';
import type { BatchOp, Clock, Entry, PutOptions, Store, WatchCallback, WatchEvent } from './types.js';
import {
  decodeValue,
  encodeValue,
  prefixEnd,
  validateCallback,
  validateKey,
  validateLeaseId,
  validatePrefix,
  validateRevision,
  validateTtl,
  validateWrite,
} from './validate.js';
import { WatchHub } from './watch.js';

export interface EmbeddedStoreOptions {
  /** Drives lease expiry; tests pass a FakeClock. */
  clock?: Clock;
  /** Errors no caller can receive: a throwing watcher, a failed background lease expiry. */
  onError?: (err: unknown, context: string) => void;
}

export const DB_FILE = 'store.db';
export const PID_FILE = 'store.lock';
const SCHEMA_VERSION = 1;
const EXPIRY_RETRY_MS = 1000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  -- Keys are BLOBs so that ordering and prefix ranges are UTF-8 byte order, as in etcd.
  CREATE TABLE IF NOT EXISTS kv (
    key BLOB PRIMARY KEY,
    value TEXT NOT NULL,
    revision INTEGER NOT NULL,
    lease TEXT
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS kv_by_lease ON kv (lease) WHERE lease IS NOT NULL;
  CREATE TABLE IF NOT EXISTS leases (id TEXT PRIMARY KEY, ttl_seconds INTEGER NOT NULL) WITHOUT ROWID;
  INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('schema', ${SCHEMA_VERSION});
`;

/**
 * Opens (creating if needed) the store kept in `dataDir`. Throws StoreError STORE_LOCKED if another process (or
 * another Store in this one) has it open, STORE_CORRUPT if the file is not a sound database.
 */
export function openEmbeddedStore(dataDir: string, opts: EmbeddedStoreOptions = {}): Store {
  if (typeof dataDir !== 'string' || dataDir.length === 0) {
    throw new StoreError('STORE_INVALID', 'dataDir', 'must be a non-empty path');
  }
  try {
    fs.mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw new StoreError(
      'STORE_UNAVAILABLE',
      dataDir,
      `cannot create data directory: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const dbPath = path.join(dataDir, DB_FILE);
  const pidPath = path.join(dataDir, PID_FILE);
  const db = openDatabase(dbPath, pidPath);
  let releasePid: () => void;
  try {
    releasePid = writePidFile(pidPath);
  } catch (err) {
    db.close();
    throw new StoreError('STORE_UNAVAILABLE', pidPath, `cannot write pid file: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return new EmbeddedStore(db, releasePid, opts.clock ?? systemClock, opts.onError ?? warnInBackground);
}

function openDatabase(dbPath: string, pidPath: string): Database.Database {
  let db: Database.Database;
  try {
    // A short busy wait covers a previous holder that is just closing; a live holder never lets go.
    db = new Database(dbPath, { timeout: 100 });
  } catch (err) {
    throw new StoreError('STORE_UNAVAILABLE', dbPath, `cannot open: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    // EXCLUSIVE: the first write takes a file lock held until close, so one process owns the store; the
    // kernel releases it if that process dies. It also lets WAL work without a shared-memory file.
    db.pragma('locking_mode = EXCLUSIVE');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal')
      throw new StoreError('STORE_UNAVAILABLE', dbPath, `cannot enable WAL (journal_mode=${mode})`);
    // FULL: the WAL is fsynced at every commit, so an acknowledged write survives a crash.
    db.pragma('synchronous = FULL');
    db.transaction(() => db.exec(SCHEMA)).immediate();
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok')
      throw new StoreError('STORE_CORRUPT', dbPath, `integrity check failed: ${String(check)}`);
    const schema = db.prepare(`SELECT value FROM meta WHERE name = 'schema'`).pluck().get() as number;
    if (schema !== SCHEMA_VERSION) {
      throw new StoreError(
        'STORE_CORRUPT',
        dbPath,
        `schema version ${schema}, this Sluice reads ${SCHEMA_VERSION}`,
      );
    }
    return db;
  } catch (err) {
    db.close();
    if (err instanceof StoreError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      throw new StoreError('STORE_LOCKED', dbPath, describeHolder(pidPath), { cause: err });
    }
    if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
      throw new StoreError(
        'STORE_CORRUPT',
        dbPath,
        `not a readable store database (${(err as Error).message})`,
        {
          cause: err,
        },
      );
    }
    throw new StoreError('STORE_UNAVAILABLE', dbPath, (err as Error).message, { cause: err });
  }
}

interface Row {
  key: Buffer;
  value: string;
  revision: number;
}

interface Lease {
  ttlMs: number;
  expiresAt: number;
}

class EmbeddedStore implements Store {
  private revision: number;
  private closed = false;
  private readonly leases = new Map<string, Lease>();
  private timer: { handle: unknown; at: number } | undefined;
  private readonly hub: WatchHub;
  private readonly sql;

  constructor(
    private readonly db: Database.Database,
    private readonly releasePid: () => void,
    private readonly clock: Clock,
    private readonly onError: (err: unknown, context: string) => void,
  ) {
    this.hub = new WatchHub((err, ev) => onError(err, `watcher of ${ev.key} threw`));
    this.sql = {
      setRevision: db.prepare(`UPDATE meta SET value = ? WHERE name = 'revision'`),
      get: db.prepare(`SELECT key, value, revision FROM kv WHERE key = ?`),
      revisionOf: db.prepare(`SELECT revision FROM kv WHERE key = ?`).pluck(),
      upsert: db.prepare(
        `INSERT INTO kv (key, value, revision, lease) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, revision = excluded.revision, lease = excluded.lease`,
      ),
      delete: db.prepare(`DELETE FROM kv WHERE key = ?`),
      range: db.prepare(`SELECT key, value, revision FROM kv WHERE key >= ? AND key < ? ORDER BY key`),
      rangeOpen: db.prepare(`SELECT key, value, revision FROM kv WHERE key >= ? ORDER BY key`),
      keysOfLease: db.prepare(`SELECT key FROM kv WHERE lease = ? ORDER BY key`).pluck(),
      deleteOfLease: db.prepare(`DELETE FROM kv WHERE lease = ?`),
      insertLease: db.prepare(`INSERT INTO leases (id, ttl_seconds) VALUES (?, ?)`),
      deleteLease: db.prepare(`DELETE FROM leases WHERE id = ?`),
    };
    this.revision = db.prepare(`SELECT value FROM meta WHERE name = 'revision'`).pluck().get() as number;
    // As etcd does after a restart, surviving leases get a full TTL: a holder that is still alive has time to
    // renew, and one that is gone expires a TTL later, not at once because of our own downtime.
    const now = clock.now();
    for (const l of db.prepare(`SELECT id, ttl_seconds AS ttl FROM leases`).all() as {
      id: string;
      ttl: number;
    }[]) {
      this.leases.set(l.id, { ttlMs: l.ttl * 1000, expiresAt: now + l.ttl * 1000 });
    }
    this.schedule();
  }

  async get(key: string): Promise<Entry | undefined> {
    validateKey(key);
    this.ready();
    const row = this.sql.get.get(Buffer.from(key)) as Row | undefined;
    return row && toEntry(row);
  }

  async put(key: string, value: unknown, opts?: PutOptions): Promise<number> {
    const { text, lease } = validateWrite(key, value, opts);
    this.ready();
    this.requireLease(lease);
    return this.write(() => this.writeRow(key, text, lease));
  }

  async compareAndSwap(key: string, expected: number, value: unknown, opts?: PutOptions): Promise<boolean> {
    const { text, lease } = validateWrite(key, value, opts);
    validateRevision(expected);
    this.ready();
    this.requireLease(lease);
    const swapped = this.write(() => {
      const current = (this.sql.revisionOf.get(Buffer.from(key)) as number | undefined) ?? 0;
      return current === expected ? this.writeRow(key, text, lease) : undefined;
    });
    return swapped !== undefined;
  }

  async delete(key: string): Promise<boolean> {
    validateKey(key);
    this.ready();
    return this.write(() => {
      if (this.sql.delete.run(Buffer.from(key)).changes === 0) return false;
      const rev = this.bump();
      return [true, [{ type: 'delete', key, revision: rev }]] as const;
    });
  }

  async batch(ops: readonly BatchOp[]): Promise<(number | boolean)[]> {
    if (!Array.isArray(ops)) throw new StoreError('STORE_INVALID', 'ops', 'must be an array');
    const checked = ops.map((op, i) => {
      const key = validateKey(op?.key, `ops[${i}].key`);
      if (op.type === 'delete') return { key, text: undefined };
      if (op.type !== 'put')
        throw new StoreError('STORE_INVALID', `ops[${i}].type`, "must be 'put' or 'delete'");
      return { key, text: encodeValue(op.value, `ops[${i}].value`) };
    });
    this.ready();
    return this.write(() => {
      const results: (number | boolean)[] = [];
      const events: WatchEvent[] = [];
      for (const { key, text } of checked) {
        if (text !== undefined) {
          const [rev, evs] = this.writeRow(key, text, undefined);
          results.push(rev);
          events.push(...evs);
        } else if (this.sql.delete.run(Buffer.from(key)).changes === 0) {
          results.push(false);
        } else {
          results.push(true);
          events.push({ type: 'delete', key, revision: this.bump() });
        }
      }
      // No change at all (deletes of absent keys): the plain result, as write() expects.
      return events.length ? ([results, events] as const) : results;
    });
  }

  async list(prefix: string): Promise<Entry[]> {
    validatePrefix(prefix);
    this.ready();
    const start = Buffer.from(prefix);
    const end = prefixEnd(start);
    const rows = (end ? this.sql.range.all(start, end) : this.sql.rangeOpen.all(start)) as Row[];
    return rows.map(toEntry);
  }

  watch(prefix: string, cb: WatchCallback): () => void {
    validatePrefix(prefix);
    validateCallback(cb);
    this.ready();
    return this.hub.add(prefix, cb);
  }

  async grantLease(ttlSeconds: number): Promise<string> {
    validateTtl(ttlSeconds);
    this.ready();
    let id: string;
    do id = randomBytes(8).toString('hex');
    while (this.leases.has(id));
    this.sql.insertLease.run(id, ttlSeconds);
    this.leases.set(id, { ttlMs: ttlSeconds * 1000, expiresAt: this.clock.now() + ttlSeconds * 1000 });
    this.schedule();
    return id;
  }

  async keepAlive(lease: string): Promise<void> {
    validateLeaseId(lease);
    this.ready();
    const l = this.requireLease(lease)!;
    l.expiresAt = this.clock.now() + l.ttlMs;
    this.schedule();
  }

  async revokeLease(lease: string): Promise<void> {
    validateLeaseId(lease);
    this.ready();
    if (this.leases.has(lease)) this.dropLease(lease);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) this.clock.clearTimer(this.timer.handle);
    this.timer = undefined;
    this.hub.clear();
    this.db.close();
    this.releasePid();
  }

  /** Every operation first expires due leases, so no reader sees a key whose lease is past its deadline. */
  private ready(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', undefined, 'the store is closed');
    this.expireDue();
  }

  private requireLease(lease: string | undefined): Lease | undefined {
    if (lease === undefined) return undefined;
    const l = this.leases.get(lease);
    if (!l)
      throw new StoreError('STORE_LEASE_NOT_FOUND', 'lease', `lease ${lease} does not exist or has expired`);
    return l;
  }

  private writeRow(key: string, text: string, lease: string | undefined): readonly [number, WatchEvent[]] {
    const rev = this.bump();
    this.sql.upsert.run(Buffer.from(key), text, rev, lease ?? null);
    return [rev, [{ type: 'put', key, value: JSON.parse(text), revision: rev }]];
  }

  private bump(): number {
    this.sql.setRevision.run(this.revision + 1);
    return ++this.revision;
  }

  /**
   * Runs `body` in one transaction; its events reach watchers only after the commit. `body` returns either a
   * plain result (nothing changed) or [result, events].
   */
  private write<T>(body: () => T | readonly [T, WatchEvent[]]): T {
    const before = this.revision;
    let out: T | readonly [T, WatchEvent[]];
    try {
      out = this.db.transaction(body).immediate();
    } catch (err) {
      this.revision = before; // the transaction rolled back, so must the counter
      throw err;
    }
    if (this.revision === before) return out as T;
    const [result, events] = out as readonly [T, WatchEvent[]];
    this.hub.emit(events);
    return result;
  }

  private dropLease(id: string): void {
    this.write(() => {
      const keys = (this.sql.keysOfLease.all(id) as Buffer[]).map((k) => k.toString('utf8'));
      this.sql.deleteOfLease.run(id);
      this.sql.deleteLease.run(id);
      if (keys.length === 0) return undefined;
      // One revision for the whole revocation, as etcd does.
      const rev = this.bump();
      return [undefined, keys.map((key): WatchEvent => ({ type: 'delete', key, revision: rev }))] as const;
    });
    this.leases.delete(id);
    this.schedule();
  }

  private expireDue(): void {
    const now = this.clock.now();
    for (const [id, l] of this.leases) if (l.expiresAt <= now) this.dropLease(id);
  }

  /** Keeps one timer armed for the earliest lease deadline. */
  private schedule(): void {
    const earliest = this.earliestDeadline();
    if (this.timer && this.timer.at === earliest) return;
    if (this.timer) this.clock.clearTimer(this.timer.handle);
    this.timer = undefined;
    // Long delays are capped (setTimeout's limit); the early wake-up finds nothing due and re-arms.
    if (earliest !== Infinity && !this.closed)
      this.arm(Math.min(earliest - this.clock.now(), MAX_TIMER_MS), earliest);
  }

  private arm(delayMs: number, deadline: number): void {
    const handle = this.clock.setTimer(() => {
      this.timer = undefined;
      if (this.closed) return;
      try {
        this.expireDue();
      } catch (err) {
        this.onError(err, 'lease expiry failed, retrying');
        // Retry later rather than at once: a failing disk would otherwise make this a busy loop.
        this.arm(EXPIRY_RETRY_MS, this.earliestDeadline());
        return;
      }
      this.schedule();
    }, delayMs);
    this.timer = { handle, at: deadline };
  }

  private earliestDeadline(): number {
    let earliest = Infinity;
    for (const l of this.leases.values()) earliest = Math.min(earliest, l.expiresAt);
    return earliest;
  }
}

function toEntry(row: Row): Entry {
  const key = row.key.toString('utf8');
  return { key, value: decodeValue(row.value, key), revision: row.revision };
}
