import {
  ClientClosedError,
  Etcd3,
  EtcdLeaseInvalidError,
  type IKeyValue,
  type IOptions,
  type Namespace,
  type Watcher,
} from 'etcd3';
import { StoreError, warnInBackground } from './errors.js';
import type { Entry, PutOptions, Store, WatchCallback, WatchEvent } from './types.js';
import * as check from './validate.js';
import { ETCD_DEFAULT_NAMESPACE, validateEtcdEndpoints, validateEtcdNamespace } from './etcdconfig.js';

export { ETCD_DEFAULT_NAMESPACE, validateEtcdEndpoints, validateEtcdNamespace } from './etcdconfig.js';

export interface EtcdStoreOptions {
  /** Client URLs, e.g. ['http://127.0.0.1:2379']. */
  endpoints: string[];
  /** Prepended to every key in etcd so Sluice can share a cluster; '' for none. Default '/sluice'. */
  namespace?: string;
  /** Deadline of each request. Default 5000. */
  requestTimeoutMs?: number;
  /** Errors no caller can receive: a throwing watcher, a watch stream failure. */
  onError?: (err: unknown, context: string) => void;
}

/** A Store on etcd v3. Connects lazily: an unreachable cluster shows as STORE_UNAVAILABLE on the first call. */
export function openEtcdStore(opts: EtcdStoreOptions): Store {
  if (typeof opts !== 'object' || opts === null)
    throw new StoreError('STORE_INVALID', 'opts', 'must be an object');
  const endpoints = validateEtcdEndpoints(opts.endpoints);
  const namespace = validateEtcdNamespace(opts.namespace ?? ETCD_DEFAULT_NAMESPACE);
  const timeout = opts.requestTimeoutMs ?? 5000;
  if (!Number.isInteger(timeout) || timeout <= 0) {
    throw new StoreError(
      'STORE_INVALID',
      'requestTimeoutMs',
      `must be a positive integer, got ${String(timeout)}`,
    );
  }
  const client = new Etcd3({
    hosts: endpoints,
    // A private subchannel pool goes away with the client; the shared one keeps reconnect timers alive after close.
    grpcOptions: { 'grpc.use_local_subchannel_pool': 1 },
    faultHandling: { watchBackoff: watchBackoff(0) },
    dialTimeout: timeout,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
  });
  return new EtcdStore(client, namespace, endpoints.join(','), timeout, opts.onError ?? warnInBackground);
}

type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

/**
 * Watch reconnects back off 100 ms doubling to 2 s (etcd3's default grows to 30 s): a controller should see
 * etcd again soon after it returns, and a pending retry timer must not hold a closing process for long.
 */
function watchBackoff(attempt: number): WatchBackoff {
  return { duration: Math.min(100 * 2 ** attempt, 2000), next: () => watchBackoff(attempt + 1) };
}

/** etcd lease ids are int64; the Store interface shows them in hex as etcdctl does. */
const leaseToHex = (id: string): string => BigInt(id).toString(16);
const leaseFromHex = (hex: string): string => BigInt('0x' + hex).toString(10);

class EtcdStore implements Store {
  private closed = false;
  private readonly ns: Namespace;
  /** Watches being set up: later calls wait for them so a write made after watch() returns is seen by it. */
  private readonly pendingWatches = new Set<Promise<void>>();
  /** Live watchers and how to stop each. */
  private readonly watchers = new Map<Watcher, () => Promise<void>>();

  constructor(
    private readonly client: Etcd3,
    namespace: string,
    private readonly where: string,
    private readonly timeoutMs: number,
    private readonly onError: (err: unknown, context: string) => void,
  ) {
    this.ns = namespace === '' ? client : client.namespace(namespace);
  }

  async get(key: string): Promise<Entry | undefined> {
    check.validateKey(key);
    const res = await this.call('get', () => this.ns.get(key).exec());
    return res.kvs.length === 0 ? undefined : toEntry(res.kvs[0], key);
  }

  async put(key: string, value: unknown, opts?: PutOptions): Promise<number> {
    const { text, lease } = check.validateWrite(key, value, opts);
    const res = await this.call('put', () => {
      const b = this.ns.put(key).value(text);
      return (lease ? b.lease(leaseFromHex(lease)) : b).exec();
    });
    return Number(res.header.revision);
  }

  async compareAndSwap(key: string, expected: number, value: unknown, opts?: PutOptions): Promise<boolean> {
    const { text, lease } = check.validateWrite(key, value, opts);
    check.validateRevision(expected);
    const res = await this.call('compareAndSwap', () => {
      const b = this.ns.put(key).value(text);
      // An absent key has mod revision 0, so expected 0 means "absent" with no special case.
      return this.ns
        .if(key, 'Mod', '==', expected)
        .then(lease ? b.lease(leaseFromHex(lease)) : b)
        .commit();
    });
    return res.succeeded;
  }

  async delete(key: string): Promise<boolean> {
    check.validateKey(key);
    const res = await this.call('delete', () => this.ns.delete().key(key).exec());
    return res.deleted !== '0';
  }

  async list(prefix: string): Promise<Entry[]> {
    check.validatePrefix(prefix);
    const res = await this.call('list', () => this.ns.getAll().prefix(prefix).sort('Key', 'Ascend').exec());
    return res.kvs.map((kv) => toEntry(kv));
  }

  watch(prefix: string, cb: WatchCallback): () => void {
    check.validatePrefix(prefix);
    check.validateCallback(cb);
    this.assertOpen();
    let stopped = false;
    const deliver = (ev: WatchEvent): void => {
      if (stopped) return;
      try {
        cb(ev);
      } catch (err) {
        this.onError(err, `watcher of ${ev.key} threw`);
      }
    };
    // watcher() rather than create(): we hold the Watcher from the start, so one that never connects (etcd
    // unreachable) can still be cancelled, which stops etcd3 from retrying it forever.
    const w = this.ns.watch().prefix(prefix).watcher();
    w.on('put', (kv) => {
      let entry: Entry;
      try {
        entry = toEntry(kv);
      } catch (err) {
        return this.onError(err, `watch ${prefix}`);
      }
      deliver({ type: 'put', key: entry.key, value: entry.value, revision: entry.revision });
    });
    // etcd reports a delete's own revision as the key's mod_revision.
    w.on('delete', (kv) =>
      deliver({ type: 'delete', key: kv.key.toString('utf8'), revision: Number(kv.mod_revision) }),
    );
    w.on('error', (err) => this.onError(err, `watch ${prefix}`));
    let settle = (): void => {};
    const setup = new Promise<void>((resolve) => (settle = resolve)).finally(() =>
      this.pendingWatches.delete(setup),
    );
    w.once('connected', settle);
    w.once('error', settle);
    this.pendingWatches.add(setup);
    const stop = async (): Promise<void> => {
      stopped = true;
      settle();
      this.watchers.delete(w);
      await w.cancel().catch(() => {});
    };
    this.watchers.set(w, stop);
    return () => void stop();
  }

  async grantLease(ttlSeconds: number): Promise<string> {
    check.validateTtl(ttlSeconds);
    const res = await this.call('grantLease', () =>
      this.ns.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: 0 }),
    );
    return leaseToHex(res.ID);
  }

  async keepAlive(lease: string): Promise<void> {
    check.validateLeaseId(lease);
    const res = await this.call('keepAlive', async () => {
      // Streams get no default deadline; this one answers once, so it gets the request timeout.
      const stream = await this.ns.leaseClient.leaseKeepAlive({ deadline: Date.now() + this.timeoutMs });
      try {
        return await new Promise<{ TTL: string }>((resolve, reject) => {
          stream.on('data', resolve);
          stream.on('error', reject);
          stream.write({ ID: leaseFromHex(lease) });
        });
      } finally {
        stream.on('error', () => {}); // a late cancellation error after end() is expected
        stream.end();
      }
    });
    if (res.TTL === '0') leaseNotFound(lease);
  }

  async revokeLease(lease: string): Promise<void> {
    check.validateLeaseId(lease);
    try {
      await this.call('revokeLease', () => this.ns.leaseClient.leaseRevoke({ ID: leaseFromHex(lease) }));
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'STORE_LEASE_NOT_FOUND')) throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stops = [...this.watchers.values()];
    this.watchers.clear();
    await Promise.allSettled(stops.map((stop) => stop()));
    this.client.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', undefined, 'the store is closed');
  }

  /** Waits for watches being set up, but no longer than a request may take (an unreachable etcd never answers). */
  private async watchesSettled(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.pendingWatches]),
      new Promise((resolve) => (timer = setTimeout(resolve, this.timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  private async call<T>(what: string, rpc: () => Promise<T>): Promise<T> {
    this.assertOpen();
    if (this.pendingWatches.size > 0) await this.watchesSettled();
    try {
      return await rpc();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      if (err instanceof EtcdLeaseInvalidError) leaseNotFound('');
      if (err instanceof ClientClosedError)
        throw new StoreError('STORE_CLOSED', undefined, 'the store is closed');
      throw new StoreError('STORE_UNAVAILABLE', `etcd ${this.where}`, etcdFailure(what, err), { cause: err });
    }
  }
}

/**
 * Why an etcd call failed, in words a user acts on. The etcd3 client's own texts say little: after a few
 * failed calls it only reports "the circuit breaker is open" (it stops trying for a while); gRPC's
 * "14 UNAVAILABLE: No connection established. Last error: ..." buries the refused connection.
 */
export function etcdFailure(what: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/circuit breaker is open/i.test(message)) {
    return `${what} failed: etcd is unreachable (no answer to the last calls; retrying in a few seconds)`;
  }
  const unavailable = /^14 UNAVAILABLE\b/.exec(message);
  if (
    unavailable ||
    /ECONNREFUSED|EHOSTUNREACH|ETIMEDOUT|DEADLINE_EXCEEDED|deadline exceeded/i.test(message)
  ) {
    const last = /Last error: (?:Error: )?(.*?)\.?(?: Resolution note:|$)/.exec(message)?.[1];
    return `${what} failed: etcd is unreachable (${last ?? message})`;
  }
  return `${what} failed: ${message}`;
}

function leaseNotFound(lease: string): never {
  const which = lease ? `lease ${lease}` : 'the lease';
  throw new StoreError('STORE_LEASE_NOT_FOUND', 'lease', `${which} does not exist or has expired`);
}

function toEntry(kv: IKeyValue, key = kv.key.toString('utf8')): Entry {
  return { key, value: check.decodeValue(kv.value.toString('utf8'), key), revision: Number(kv.mod_revision) };
}
