/**
 * Group commit: writes requested in the same event-loop turn (concurrent REST requests) go to the store as
 * one batch, so one durable commit (one fsync) covers all of them. Each caller still resolves only after its
 * own write is durable. Falls back to one write at a time on stores without `batch`.
 */
import type { BatchOp, Store } from '../../store/index.js';

interface Pending {
  op: BatchOp;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Commits done and ops written (for tests and the benchmark report). */
  readonly stats = { commits: 0, ops: 0 };

  constructor(private readonly store: Store) {}

  put(key: string, value: unknown): Promise<void> {
    return this.enqueue({ type: 'put', key, value });
  }

  delete(key: string): Promise<void> {
    return this.enqueue({ type: 'delete', key });
  }

  /** Several ops in one commit, all or nothing (clear). */
  all(ops: BatchOp[]): Promise<void> {
    return Promise.all(ops.map((op) => this.enqueue(op))).then(() => undefined);
  }

  private enqueue(op: BatchOp): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // The end of this turn, not a time: a clock timer would change nothing but who may delay it.
        // Callers (and tests) wait on the promise of their own op.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    if (batch.length === 0) return;
    try {
      if (this.store.batch) {
        await this.store.batch(batch.map((p) => p.op));
      } else {
        for (const { op } of batch) {
          if (op.type === 'put') await this.store.put(op.key, op.value);
          else await this.store.delete(op.key);
        }
      }
      this.stats.commits++;
      this.stats.ops += batch.length;
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
