/**
 * Keys a member keeps in the store on its lease, written in the background: callers say what a key should hold
 * (or that it should be gone) and return at once; changes are coalesced per key over a short window and written
 * one flush at a time, so a burst of changes to one key costs one write and nothing waits on the store.
 *
 *   const p = new LeasePublisher({store, clock, snapshot: () => everythingIKnow()});
 *   p.setLease(lease);              // a new lease: its keys start empty, so everything is published again
 *   p.set(key, () => value);        // evaluated at flush time; a thunk returning undefined deletes the key
 *   p.set(key, undefined);          // delete
 *
 * A failed write is retried on the next flush; a lease the store no longer knows stops the writes until the
 * next setLease (the keys went with it).
 */
import { StoreError, type Clock, type Store } from '../store/index.js';

/** What a key should hold: undefined (gone), or a thunk read when the write happens (undefined: gone). */
export type Wanted = (() => unknown) | undefined;

export interface LeasePublisherOptions {
  store: Store;
  clock: Clock;
  /** Everything that should be published now, read when a new lease starts. */
  snapshot: () => Iterable<[string, Wanted]>;
  /** Coalescing window (ms); default 200. */
  delayMs?: number;
  /** Delay before retrying after a failed write (ms); default 1000. */
  retryMs?: number;
  /** Writes in flight at once; default 64. */
  concurrency?: number;
  /** Store failures (they are retried). */
  onError?: (err: unknown, key: string) => void;
}

export class LeasePublisher {
  private lease: string | undefined;
  /** Key -> JSON text written (or being written) under the current lease. */
  private readonly written = new Map<string, string>();
  private pending = new Map<string, Wanted>();
  private timer: unknown;
  private flushing: Promise<void> | undefined;
  private stopped = false;
  private readonly delayMs: number;
  private readonly retryMs: number;
  private readonly concurrency: number;
  private readonly onError: (err: unknown, key: string) => void;

  constructor(private readonly opts: LeasePublisherOptions) {
    this.delayMs = opts.delayMs ?? 200;
    this.retryMs = opts.retryMs ?? 1000;
    this.concurrency = opts.concurrency ?? 64;
    this.onError = opts.onError ?? (() => {});
  }

  /** The lease keys go on now (undefined: none, writes wait). A different lease republishes the snapshot. */
  setLease(lease: string | undefined): void {
    if (lease === this.lease) return;
    this.lease = lease;
    this.written.clear();
    if (lease === undefined) return;
    for (const [key, wanted] of this.opts.snapshot()) this.pending.set(key, wanted);
    this.schedule(this.delayMs);
  }

  set(key: string, wanted: Wanted): void {
    if (this.stopped) return;
    this.pending.set(key, wanted);
    this.schedule(this.delayMs);
  }

  /** Keys written under the current lease (for tests and the keys a caller may have to delete). */
  get size(): number {
    return this.written.size;
  }

  /** Resolves once everything set so far has been tried (a flush now, then any in flight). */
  async flush(): Promise<void> {
    this.clearTimer();
    while (this.flushing) await this.flushing;
    if (this.pending.size > 0) await this.runFlush();
  }

  /** Drops what is pending; keys already written stay until the lease goes. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
    this.pending.clear();
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined || this.stopped || this.lease === undefined) return;
    this.timer = this.opts.clock.setTimer(() => {
      this.timer = undefined;
      if (this.flushing) {
        // One flush at a time (writes to one key stay in order): go again once it is done.
        void this.flushing.then(() => this.schedule(0));
        return;
      }
      void this.runFlush();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.opts.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private runFlush(): Promise<void> {
    const run = this.write().finally(() => {
      if (this.flushing === run) this.flushing = undefined;
    });
    this.flushing = run;
    return run;
  }

  private async write(): Promise<void> {
    const lease = this.lease;
    if (lease === undefined || this.stopped) return;
    const batch = this.pending;
    this.pending = new Map();
    const ops: (() => Promise<void>)[] = [];
    for (const [key, wanted] of batch) {
      const value = wanted?.();
      const text = value === undefined ? undefined : JSON.stringify(value);
      const before = this.written.get(key);
      if (text === before) continue;
      if (text === undefined) {
        this.written.delete(key);
        ops.push(() => this.attempt(key, wanted, lease, () => this.opts.store.delete(key), before));
      } else {
        this.written.set(key, text);
        ops.push(() =>
          this.attempt(key, wanted, lease, () => this.opts.store.put(key, value, { lease }), before),
        );
      }
    }
    for (let i = 0; i < ops.length; i += this.concurrency) {
      await Promise.all(ops.slice(i, i + this.concurrency).map((op) => op()));
    }
  }

  private async attempt(
    key: string,
    wanted: Wanted,
    lease: string,
    op: () => Promise<unknown>,
    before: string | undefined,
  ): Promise<void> {
    try {
      await op();
    } catch (err) {
      if (this.lease !== lease) return; // the keys of that lease are gone anyway
      if (err instanceof StoreError && err.code === 'STORE_LEASE_NOT_FOUND') {
        // Expired under us: the member registers again and setLease republishes everything.
        this.written.clear();
        this.lease = undefined;
        return;
      }
      this.onError(err, key);
      // What the store holds is unknown: restore the old belief and try again unless something newer came.
      if (before === undefined) this.written.delete(key);
      else this.written.set(key, before);
      if (!this.pending.has(key)) this.pending.set(key, wanted);
      this.schedule(this.retryMs);
    }
  }
}
