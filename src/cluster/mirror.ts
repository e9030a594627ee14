/**
 * A live copy of what the store holds under a prefix: a watch, an initial list, and a re-list every `resyncMs`
 * (a watch can miss events while it reconnects to etcd). Changes reach `onChange` in batches (one per list, and
 * the watch events of one turn together) holding each changed key's latest state; what a list finds gone is
 * reported as a delete. Values are passed on as read: the caller validates them.
 */
import type { Clock, Entry, Store, WatchEvent } from '../store/index.js';
import { every } from '../util/clock.js';

/** A key's latest state: its entry, or undefined when it is gone. */
type Batch = Map<string, Entry | undefined>;

/** One batch: each key at most once, in one of the two lists. */
export interface MirrorChange {
  puts: Entry[];
  deletes: string[];
}

export interface PrefixMirrorOptions {
  store: Store;
  prefix: string;
  clock: Clock;
  onChange: (change: MirrorChange) => void;
  /** Default 60 s; 0: never re-list. */
  resyncMs?: number;
  /** A list that failed (retried at the next resync), or an onChange that threw. */
  onError?: (err: unknown, context: string) => void;
}

export class PrefixMirror {
  /** Key -> revision of the value last passed on. */
  private readonly known = new Map<string, number>();
  /** Watch events held back while a list is in flight (replayed after it), or queued for this turn's batch. */
  private held: WatchEvent[] = [];
  private listing = 0;
  private batchQueued = false;
  private unwatch?: () => void;
  private stopResync?: () => void;
  private stopped = false;
  private readonly onError: (err: unknown, context: string) => void;

  constructor(private readonly opts: PrefixMirrorOptions) {
    this.onError = opts.onError ?? (() => {});
  }

  /** Watches, then lists; resolves once the first list has been passed on (or has failed: retried later). */
  async start(): Promise<void> {
    if (this.unwatch || this.stopped) return;
    this.unwatch = this.opts.store.watch(this.opts.prefix, (ev) => this.onEvent(ev));
    const resyncMs = this.opts.resyncMs ?? 60_000;
    if (resyncMs > 0) this.stopResync = every(this.opts.clock, resyncMs, () => void this.resync());
    await this.resync();
  }

  stop(): void {
    this.stopped = true;
    this.unwatch?.();
    this.stopResync?.();
    this.held = [];
  }

  /** Lists the prefix and reconciles the copy with it; watch events that arrive meanwhile are replayed after. */
  async resync(): Promise<void> {
    if (this.stopped) return;
    this.listing++;
    let entries: Entry[] | undefined;
    try {
      entries = await this.opts.store.list(this.opts.prefix);
    } catch (err) {
      this.onError(err, `list ${this.opts.prefix}`);
    } finally {
      this.listing--;
    }
    if (this.stopped) return;
    const change: Batch = new Map();
    if (entries) {
      const listed = new Set<string>();
      for (const e of entries) {
        listed.add(e.key);
        if (this.known.get(e.key) === e.revision) continue;
        this.known.set(e.key, e.revision);
        change.set(e.key, e);
      }
      for (const key of this.known.keys()) {
        if (listed.has(key)) continue;
        this.known.delete(key);
        change.set(key, undefined);
      }
    }
    if (this.listing === 0) this.drainInto(change);
    this.deliver(change);
  }

  private onEvent(ev: WatchEvent): void {
    if (this.stopped) return;
    this.held.push(ev);
    if (this.listing > 0 || this.batchQueued) return;
    this.batchQueued = true;
    queueMicrotask(() => {
      this.batchQueued = false;
      if (this.listing > 0 || this.stopped) return;
      const change: Batch = new Map();
      this.drainInto(change);
      this.deliver(change);
    });
  }

  /** Applies the held events in order to `change`, skipping those the copy already reflects. */
  private drainInto(change: Batch): void {
    const events = this.held;
    this.held = [];
    for (const ev of events) {
      const rev = this.known.get(ev.key);
      if (rev !== undefined && rev >= ev.revision) continue;
      if (ev.type === 'put') {
        this.known.set(ev.key, ev.revision);
        change.set(ev.key, { key: ev.key, value: ev.value, revision: ev.revision });
      } else if (rev !== undefined) {
        this.known.delete(ev.key);
        change.set(ev.key, undefined);
      }
    }
  }

  private deliver(batch: Batch): void {
    if (batch.size === 0) return;
    const change: MirrorChange = { puts: [], deletes: [] };
    for (const [key, entry] of batch) {
      if (entry) change.puts.push(entry);
      else change.deletes.push(key);
    }
    try {
      this.opts.onChange(change);
    } catch (err) {
      this.onError(err, `apply changes under ${this.opts.prefix}`);
    }
  }
}
