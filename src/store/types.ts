/** A stored record. `revision` is the store-wide revision of the write that last changed it (etcd's mod_revision). */
export interface Entry {
  key: string;
  value: unknown;
  revision: number;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** Present on 'put'. */
  value?: unknown;
  revision: number;
}

export type BatchOp = { type: 'put'; key: string; value: unknown } | { type: 'delete'; key: string };

export type WatchCallback = (ev: WatchEvent) => void;

export interface PutOptions {
  /** Attach the key to this lease: it is deleted when the lease expires or is revoked. */
  lease?: string;
}

export interface Store {
  get(key: string): Promise<Entry | undefined>;
  /** Returns the new revision. A put without `lease` detaches the key from any lease it had (as in etcd). */
  put(key: string, value: unknown, opts?: PutOptions): Promise<number>;
  /** Writes only if the key's revision is `expectedRevision` (0 = the key must be absent). */
  compareAndSwap(key: string, expectedRevision: number, value: unknown, opts?: PutOptions): Promise<boolean>;
  /** True if the key existed. */
  delete(key: string): Promise<boolean>;
  /** Entries whose key starts with `prefix`, ordered by key (UTF-8 byte order). */
  list(prefix: string): Promise<Entry[]>;
  /**
   * Calls `cb` for every change under `prefix` after the call, in revision order. Returns an unsubscribe function.
   * The embedded store calls back before the writing call resolves, etcd after: rely on neither.
   */
  watch(prefix: string, cb: WatchCallback): () => void;
  /** Returns the lease id. */
  grantLease(ttlSeconds: number): Promise<string>;
  /** Restarts the lease's TTL. Rejects with STORE_LEASE_NOT_FOUND if it has expired or never existed. */
  keepAlive(lease: string): Promise<void>;
  /** Deletes the lease and every key attached to it. Revoking an unknown lease is not an error. */
  revokeLease(lease: string): Promise<void>;
  /**
   * Optional (the embedded backend has it): several puts and deletes in one transaction, so one durable
   * commit covers them all; all or nothing. Each op gets its own revision, as if done one after another.
   * Returns, per op, the new revision (put) or whether the key existed (delete).
   */
  batch?(ops: readonly BatchOp[]): Promise<(number | boolean)[]>;
  close(): Promise<void>;
}

/** Time source and timers (util's; lease expiry is tested with a FakeClock). */
export type { Clock } from '../util/clock.js';
