/**
 * QoS's stored config: the enabled flag, services, policies and paths, in the store and in memory. Every
 * change is validated, written durably, then applied to memory, one at a time. Knows nothing of switches.
 */
import type { Logger } from '../../controller/index.js';
import { collection, type Collection, type Entry, type Store } from '../../store/index.js';
import { ConflictError, NotFoundError, SerialQueue } from '../../util/index.js';
import { putUnderFreeId } from '../follow.js';
import {
  BEST_EFFORT,
  MAX_ID,
  QosError,
  parsePathBody,
  parsePolicyBody,
  parseServiceBody,
  parseStoredPath,
  parseStoredPolicy,
  parseStoredService,
  pathToJson,
  policyToJson,
  serviceToJson,
  uintOf,
  type Policy,
  type QosPath,
  type Service,
} from './policy.js';

export const QOS_PREFIX = '/apps/qos/';
export const QOS_CONFIG_KEY = `${QOS_PREFIX}config`;
type Json = Record<string, unknown>;

export class QosState {
  enabled = false;
  readonly services = new Map<number, Service>();
  readonly policies = new Map<number, Policy>();
  readonly paths = new Map<number, QosPath>();
  /** Store writes and the memory changes that follow them, one at a time. */
  private readonly serial = new SerialQueue();
  private readonly serviceStore: Collection<Json>;
  private readonly policyStore: Collection<Json>;
  private readonly pathStore: Collection<Json>;

  constructor(private readonly store: Store) {
    this.serviceStore = collection(store, `${QOS_PREFIX}services/`, (v) =>
      serviceToJson(parseStoredService(v)),
    );
    this.policyStore = collection(store, `${QOS_PREFIX}policies/`, (v) => policyToJson(parseStoredPolicy(v)));
    this.pathStore = collection(store, `${QOS_PREFIX}paths/`, (v) => pathToJson(parseStoredPath(v)));
  }

  /** Reads everything; a fresh store gets Floodlight's start state (disabled, a "Best Effort" service). */
  async load(log: Logger): Promise<void> {
    const onInvalid = (err: Error & { field?: string }) =>
      log.error({ key: err.field, err: err.message }, 'skipping invalid stored QoS record');
    const config = (await this.store.get(QOS_CONFIG_KEY))?.value as { enabled?: unknown } | undefined;
    for (const s of await this.serviceStore.list({ onInvalid })) {
      const svc = parseStoredService(s.value);
      this.services.set(svc.sid, svc);
    }
    for (const p of await this.policyStore.list({ onInvalid })) {
      const policy = parseStoredPolicy(p.value);
      this.policies.set(policy.id, policy);
    }
    for (const p of await this.pathStore.list({ onInvalid })) {
      const path = parseStoredPath(p.value);
      this.paths.set(path.id, path);
    }
    if (config === undefined) {
      const be: Service = { sid: 1, ...BEST_EFFORT };
      await this.serviceStore.put(String(be.sid), serviceToJson(be));
      this.services.set(be.sid, be);
      await this.store.put(QOS_CONFIG_KEY, { enabled: false });
    } else {
      this.enabled = config.enabled === true;
    }
  }

  /**
   * Records changed in the store by someone else (another cluster member): memory follows, each record read
   * back as on load (a bad one is logged and counts as absent). Call it inside serialized(). Returns the ids of the policies and paths
   * that changed, and whether anything did (services and the flag too).
   */
  reload(
    changes: readonly { key: string; entry?: Entry }[],
    log: Logger,
  ): { changed: boolean; ids: number[] } {
    {
      let changed = false;
      const ids: number[] = [];
      const follow = <T>(
        map: Map<number, T>,
        coll: Collection<Json>,
        idOfRecord: (v: T) => number,
        parse: (v: unknown) => T,
        toJson: (v: T) => unknown,
        key: string,
        entry: Entry | undefined,
      ): void => {
        const name = key.slice(coll.prefix.length);
        let value: T | undefined;
        try {
          value = entry && parse(entry.value);
          if (value !== undefined && String(idOfRecord(value)) !== name)
            throw new QosError('id', `does not match the key ${key}`);
        } catch (err) {
          log.error({ key, err: (err as Error).message }, 'skipping invalid stored QoS record');
          value = undefined;
        }
        const id = Number(name);
        const old = map.get(id);
        if (value === undefined && old === undefined) return;
        if (
          value !== undefined &&
          old !== undefined &&
          JSON.stringify(toJson(value)) === JSON.stringify(toJson(old))
        )
          return;
        if (value === undefined) map.delete(id);
        else map.set(id, value);
        changed = true;
        ids.push(id);
      };
      for (const { key, entry } of changes) {
        if (key === QOS_CONFIG_KEY) {
          const on = (entry?.value as { enabled?: unknown } | undefined)?.enabled === true;
          changed ||= on !== this.enabled;
          this.enabled = on;
        } else if (key.startsWith(this.serviceStore.prefix)) {
          const s = this.serviceStore;
          follow(this.services, s, (v) => v.sid, parseStoredService, serviceToJson, key, entry);
        } else if (key.startsWith(this.policyStore.prefix)) {
          const s = this.policyStore;
          follow(this.policies, s, (v) => v.id, parseStoredPolicy, policyToJson, key, entry);
        } else if (key.startsWith(this.pathStore.prefix)) {
          follow(this.paths, this.pathStore, (v) => v.id, parseStoredPath, pathToJson, key, entry);
        }
      }
      return { changed, ids };
    }
  }

  /** Runs `fn` in the queue of changes (a reload reads and applies there). */
  serialized<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial.run(fn);
  }

  serviceByName(name: string): Service | undefined {
    for (const s of this.services.values()) if (s.name === name) return s;
    return undefined;
  }

  async setEnabled(on: boolean): Promise<void> {
    await this.serial.run(async () => {
      await this.store.put(QOS_CONFIG_KEY, { enabled: on });
      this.enabled = on;
    });
  }

  async addService(body: unknown): Promise<Service> {
    const s = parseServiceBody(body);
    return this.serial.run(async () => {
      if (this.serviceByName(s.name)) throw new ConflictError('name', `a service named '${s.name}' exists`);
      const sid = await freshId(this.serviceStore, nextId(this.services.keys()), (sid) =>
        serviceToJson({ sid, ...s }),
      );
      const service: Service = { sid, ...s };
      this.services.set(service.sid, service);
      return service;
    });
  }

  async deleteService(sidRaw: unknown): Promise<Service> {
    const sid = idOf('sid', sidRaw);
    return this.serial.run(async () => {
      const s = this.services.get(sid);
      if (!s) throw new NotFoundError('sid', `no service with sid ${sid}`);
      const uses = (a: Policy['action']) => a.kind === 'service' && a.service === s.name;
      const user =
        [...this.policies.values()].find((p) => uses(p.action))?.name ??
        [...this.paths.values()].find((p) => uses(p.template.action))?.name;
      if (user !== undefined)
        throw new ConflictError('sid', `service '${s.name}' is used by '${user}'; delete that first`);
      await this.serviceStore.delete(String(sid));
      this.services.delete(sid);
      return s;
    });
  }

  /** Validates and stores a policy; `check` sees it before it is stored (may throw). */
  async addPolicy(body: unknown, check: (p: Omit<Policy, 'id'>) => void): Promise<Policy> {
    const parsed = parsePolicyBody(body, (n) => this.serviceByName(n));
    return this.serial.run(async () => {
      if ([...this.policies.values()].some((p) => p.name === parsed.name)) {
        throw new ConflictError('name', `a policy named '${parsed.name}' exists`);
      }
      check(parsed);
      const first = nextId(this.policies.keys(), this.paths.keys());
      const id = await freshId(this.policyStore, first, (id) => policyToJson({ id, ...parsed }));
      const policy: Policy = { id, ...parsed };
      this.policies.set(policy.id, policy);
      return policy;
    });
  }

  async deletePolicy(idRaw: unknown): Promise<Policy> {
    const id = idOf('policy-id', idRaw);
    return this.serial.run(async () => {
      const p = this.policies.get(id);
      if (!p) throw new NotFoundError('policy-id', `no policy with id ${id}`);
      await this.policyStore.delete(String(id));
      this.policies.delete(id);
      return p;
    });
  }

  async addPath(body: unknown, check: (p: Omit<QosPath, 'id'>) => void): Promise<QosPath> {
    const parsed = parsePathBody(body, (n) => this.serviceByName(n));
    return this.serial.run(async () => {
      if ([...this.paths.values()].some((p) => p.name === parsed.name)) {
        throw new ConflictError('name', `a QoS path named '${parsed.name}' exists`);
      }
      check(parsed);
      const first = nextId(this.policies.keys(), this.paths.keys());
      const id = await freshId(this.pathStore, first, (id) => pathToJson({ id, ...parsed }));
      const path: QosPath = { id, ...parsed };
      this.paths.set(path.id, path);
      return path;
    });
  }

  /** By name (or path-id). */
  async deletePath(nameRaw: unknown): Promise<QosPath> {
    if (typeof nameRaw !== 'string' && typeof nameRaw !== 'number') {
      throw new QosError('name', 'is required (the QoS path name)');
    }
    const key = String(nameRaw).trim();
    return this.serial.run(async () => {
      const p = [...this.paths.values()].find((x) => x.name === key || String(x.id) === key);
      if (!p) throw new NotFoundError('name', `no QoS path named '${key}'`);
      await this.pathStore.delete(String(p.id));
      this.paths.delete(p.id);
      return p;
    });
  }
}

/** Stores a new record under the first id from `first` no cluster member has taken yet. */
function freshId(coll: Collection<Json>, first: number, json: (id: number) => Json): Promise<number> {
  const full = () => new ConflictError('name', `no free id (ids run to ${MAX_ID})`);
  const put = (id: number) => coll.compareAndSwap(String(id), 0, json(id));
  return putUnderFreeId(put, first, false, MAX_ID, full, full);
}

function nextId(...used: Iterable<number>[]): number {
  let max = 0;
  for (const ids of used) for (const id of ids) max = Math.max(max, id);
  if (max >= MAX_ID) throw new ConflictError('name', `no free id (ids run to ${MAX_ID})`);
  return max + 1;
}

function idOf(field: string, raw: unknown): number {
  if (raw === undefined || raw === null || raw === '') throw new QosError(field, 'is required');
  return uintOf(field, raw, Number.MAX_SAFE_INTEGER);
}
