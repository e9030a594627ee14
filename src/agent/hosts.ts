/**
 * Live hosts: each agent writes its HostRecord under a lease it keeps alive; the record vanishes when the
 * agent stops keeping it (a dead host, a partition longer than the TTL). Peers are the records a watcher of
 * the prefix sees, re-listed on a timer too, so a missed watch event (an etcd reconnect) heals within one
 * period.
 */
import { StoreError, type Store } from '../store/index.js';
import { systemClock, type Clock } from '../util/index.js';
import { HOST_PREFIX, type HostRecord } from './types.js';

/** Seconds a host outlives its last keepalive. Short enough that peers drop a dead host's tunnels quickly. */
export const HOST_LEASE_TTL_S = 6;

export interface HostLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

function readHost(key: string, value: unknown): HostRecord {
  const v = value as Partial<HostRecord> | null;
  if (typeof v !== 'object' || v === null || typeof v.id !== 'string' || typeof v.underlayIp !== 'string') {
    throw new StoreError('STORE_CORRUPT', key, 'stored host is not a HostRecord');
  }
  return v as HostRecord;
}

export async function listHosts(store: Store): Promise<HostRecord[]> {
  return (await store.list(HOST_PREFIX)).map((e) => readHost(e.key, e.value));
}

export interface HostRegistryOptions {
  ttlSeconds?: number;
  clock?: Clock;
  log: HostLogger;
  /** Called with every live host (this one included) whenever the set may have changed. */
  onHosts: (hosts: HostRecord[]) => void;
}

export class HostRegistry {
  private lease: string | undefined;
  private timer: unknown;
  private unwatch: (() => void) | undefined;
  private stopped = false;
  private readonly ttl: number;
  private readonly clock: Clock;
  private lastSeen = '';

  constructor(
    private readonly store: Store,
    private readonly self: HostRecord,
    private readonly opts: HostRegistryOptions,
  ) {
    this.ttl = opts.ttlSeconds ?? HOST_LEASE_TTL_S;
    this.clock = opts.clock ?? systemClock;
  }

  /** Registers this host and starts watching the others. Rejects if the store cannot be reached. */
  async start(): Promise<void> {
    await this.register();
    this.unwatch = this.store.watch(HOST_PREFIX, () => void this.refresh());
    await this.refresh();
    this.schedule();
  }

  private async register(): Promise<void> {
    this.lease = await this.store.grantLease(this.ttl);
    await this.store.put(HOST_PREFIX + this.self.id, this.self, { lease: this.lease });
  }

  /** Keepalive a third of the TTL; a lost lease (expired during a partition) is granted again. */
  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimer(
      () => void this.tick().finally(() => this.schedule()),
      (this.ttl * 1000) / 3,
    );
  }

  private async tick(): Promise<void> {
    try {
      if (this.lease === undefined) await this.register();
      else await this.store.keepAlive(this.lease);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'STORE_LEASE_NOT_FOUND') {
        this.opts.log.warn({ host: this.self.id }, 'host lease expired; registering again');
        this.lease = undefined;
        await this.register().catch((e: unknown) =>
          this.opts.log.warn({ err: e }, 'host registration failed'),
        );
      } else {
        this.opts.log.warn({ err }, 'host lease keepalive failed; retrying');
      }
    }
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    if (this.stopped) return;
    try {
      const hosts = await listHosts(this.store);
      const seen = JSON.stringify(hosts);
      if (seen === this.lastSeen) return;
      this.lastSeen = seen;
      this.opts.onHosts(hosts);
    } catch (err) {
      this.opts.log.warn({ err }, 'listing hosts failed; keeping the peers known so far');
    }
  }

  /** Stops keeping the lease; `revoke` removes this host at once (a clean stop), else it expires. */
  async stop(revoke = true): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.unwatch?.();
    if (revoke && this.lease !== undefined) await this.store.revokeLease(this.lease).catch(() => undefined);
  }
}
