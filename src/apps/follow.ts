/**
 * Following the store (issue 13): an app whose config lives in the store watches its prefixes and, when a
 * record changes (written by another cluster member, or straight into the store), reloads it and brings its
 * memory in line. The app's own writes come back through the watch too; the app compares what it reads with
 * what it holds, so they change nothing.
 *
 * Events only say which keys changed: each batch re-reads those keys inside the app's queue of changes, so
 * what the app is given is what the store holds now, whichever order watch events and the app's own writes
 * arrive in (the embedded store calls back before a write resolves, etcd after). Keys changed in one
 * event-loop turn are given together, and one batch runs at a time.
 */
import type { Logger } from '../controller/index.js';
import type { Entry, Store } from '../store/index.js';

/** One changed key with what the store holds now; `entry` undefined: the key is gone. */
export interface StoreChange {
  key: string;
  entry?: Entry;
}

export interface FollowOptions {
  store: Store;
  /** Watched prefixes (or single keys: a key is its own prefix). */
  prefixes: readonly string[];
  /** Keys under the prefixes that are not config (state the app alone writes): left alone. */
  ignore?: (key: string) => boolean;
  /**
   * Brings memory in line with the changes (run it inside the app's own queue of changes). A record that does
   * not validate is the app's to log and skip; a throw is logged and the batch is not retried.
   */
  apply: (changes: StoreChange[]) => Promise<void> | void;
  /**
   * The app's queue of changes: the keys are read and applied inside it, so a read never sees a write whose
   * memory update (or undo) is still to come. Default: none.
   */
  serialize?: (fn: () => Promise<void>) => Promise<void>;
  log: Logger;
  /** The app's name, for the log. */
  app: string;
}

export class StoreFollower {
  private readonly unwatch: (() => void)[];
  private readonly pending = new Set<string>();
  private running: Promise<void> = Promise.resolve();
  private scheduled = false;
  private live = false;
  private stopped = false;

  /** Starts watching at once; changes are held until start(), so none is missed while the app loads. */
  constructor(private readonly o: FollowOptions) {
    this.unwatch = o.prefixes.map((p) =>
      o.store.watch(p, (ev) => {
        if (this.stopped || o.ignore?.(ev.key)) return;
        this.pending.add(ev.key);
        this.schedule();
      }),
    );
  }

  /** Delivers the changes seen since construction (the app has loaded), then every later one. */
  start(): void {
    this.live = true;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    for (const u of this.unwatch.splice(0)) u();
  }

  /** Resolves when every change seen so far has been applied (tests wait on it). */
  async settled(): Promise<void> {
    do await this.running;
    while (this.scheduled);
  }

  private schedule(): void {
    if (!this.live || this.scheduled || this.stopped || this.pending.size === 0) return;
    this.scheduled = true;
    this.running = this.running
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    if (this.stopped) return;
    const keys = [...this.pending].sort();
    this.pending.clear();
    const serialize = this.o.serialize ?? ((fn: () => Promise<void>) => fn());
    await serialize(async () => {
      let changes: StoreChange[];
      try {
        changes = await Promise.all(
          keys.map(async (key): Promise<StoreChange> => {
            const entry = await this.o.store.get(key);
            return entry ? { key, entry } : { key };
          }),
        );
      } catch (err) {
        // The store did not answer: keep the keys for the next change to retry.
        for (const k of keys) this.pending.add(k);
        this.o.log.warn({ app: this.o.app, keys: keys.length, err: String(err) }, 'reloading config failed');
        return;
      }
      if (this.stopped) return;
      await this.o.apply(changes);
    }).catch((err: unknown) => {
      this.o.log.error(
        { app: this.o.app, keys, err: err instanceof Error ? err.message : String(err) },
        'applying a stored config change failed',
      );
    });
  }
}

/** Whether two values have the same JSON (canonical records from one codec compare equal). */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Stores a new record under the first id from `first` that no one has (compare-and-swap on the key being
 * absent: another cluster member may have taken an id this one has not seen yet), or under `first` only when
 * `fixed`. Returns the id; throws `taken(id)` when a fixed id is taken, `full()` past `max`.
 */
export async function putUnderFreeId(
  put: (id: number) => Promise<boolean>,
  first: number,
  fixed: boolean,
  max: number,
  taken: (id: number) => Error,
  full: () => Error,
): Promise<number> {
  for (let id = first; ; id++) {
    if (id > max) throw full();
    if (await put(id)) return id;
    if (fixed) throw taken(id);
  }
}
