import type { WatchCallback, WatchEvent } from './types.js';

/**
 * Fans events out to prefix watchers. Delivery goes through one queue so that a watcher that writes from its
 * callback does not make others see events out of revision order, and a throwing watcher hurts no one else.
 */
export class WatchHub {
  private readonly watchers = new Set<{ prefix: string; cb: WatchCallback }>();
  private readonly queue: WatchEvent[] = [];
  private draining = false;

  constructor(private readonly onWatcherError: (err: unknown, ev: WatchEvent) => void) {}

  add(prefix: string, cb: WatchCallback): () => void {
    const w = { prefix, cb };
    this.watchers.add(w);
    return () => {
      this.watchers.delete(w);
    };
  }

  get size(): number {
    return this.watchers.size;
  }

  hasWatcherFor(key: string): boolean {
    for (const w of this.watchers) if (key.startsWith(w.prefix)) return true;
    return false;
  }

  emit(events: readonly WatchEvent[]): void {
    if (this.watchers.size === 0) return;
    this.queue.push(...events);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let ev = this.queue.shift(); ev; ev = this.queue.shift()) {
        for (const w of [...this.watchers]) {
          if (!ev.key.startsWith(w.prefix) || !this.watchers.has(w)) continue;
          try {
            w.cb({ ...ev });
          } catch (err) {
            this.onWatcherError(err, ev);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  clear(): void {
    this.watchers.clear();
    this.queue.length = 0;
  }
}

export function reportWatcherError(err: unknown, ev: WatchEvent): void {
  process.emitWarning(
    `store watcher threw on ${ev.type} ${ev.key}: ${err instanceof Error ? err.message : String(err)}`,
    {
      code: 'SLUICE_STORE_WATCHER',
    },
  );
}
