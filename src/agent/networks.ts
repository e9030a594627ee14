/**
 * Networks in the store. Layout (under the store's namespace):
 *   /agent/networks          {networks: Network[]}  the registry: every network definition, one key
 *   /agent/ipam/<network id> IpamDoc                  the network's addresses (see ipam.ts)
 *
 * IPAM records are keyed by the network's id, not its name, so a network deleted and created again under
 * the same name never shares a record with its earlier incarnation.
 *
 * Why one registry key: a new network must not clash with any other (name, VNI, overlapping subnet), and a
 * subnet overlap cannot be claimed with a per-value key. So create reads the registry, checks, and writes it
 * back by compare-and-swap on the revision it read: of two racing creates only one CAS succeeds, the other
 * re-reads, sees the winner and is refused (or picks another VNI). Networks are few, so one key is cheap.
 */
import { randomUUID } from 'node:crypto';
import { StoreError, type Store } from '../store/index.js';
import { ConflictError, NotFoundError } from '../util/index.js';
import { checkClashes, nextFreeVni, parseNetworkName, parseNetworkRequest, type Network } from './network.js';

export const REGISTRY_KEY = '/agent/networks';
export const IPAM_PREFIX = '/agent/ipam/';
/** CAS attempts before giving up; each failed attempt means another writer made progress. */
export const MAX_CAS_ATTEMPTS = 1000;

/** A network's addresses. `closed` is set while the network is being deleted. */
export interface IpamDoc {
  closed?: boolean;
  /** address -> owner (an endpoint id). */
  addresses: Record<string, string>;
}

export interface Registry {
  networks: Network[];
}

export const ipamKey = (net: Network): string => IPAM_PREFIX + net.id;

export async function readRegistry(store: Store): Promise<{ networks: Network[]; revision: number }> {
  const e = await store.get(REGISTRY_KEY);
  if (e === undefined) return { networks: [], revision: 0 };
  const v = e.value as Partial<Registry> | null;
  if (typeof v !== 'object' || v === null || !Array.isArray(v.networks)) {
    throw new StoreError('STORE_CORRUPT', REGISTRY_KEY, 'stored registry is not {networks: [...]}');
  }
  // Records written before `nat` existed read as nat: false.
  const networks = v.networks.map((n: Network) => ({ ...n, nat: n.nat === true }));
  return { networks, revision: e.revision };
}

export function readIpamDoc(key: string, value: unknown): IpamDoc {
  const v = value as Partial<IpamDoc> | null;
  if (typeof v !== 'object' || v === null || typeof v.addresses !== 'object' || v.addresses === null) {
    throw new StoreError('STORE_CORRUPT', key, 'stored IPAM record is not {addresses: {...}}');
  }
  return v as IpamDoc;
}

/** What an attempt returns when its compare-and-swap lost the race. */
export const RETRY: unique symbol = Symbol('retry');

/** Retries `attempt` (one read-check-CAS round) while it returns RETRY. */
export async function casLoop<T>(what: string, attempt: () => Promise<T | typeof RETRY>): Promise<T> {
  for (let i = 0; i < MAX_CAS_ATTEMPTS; i++) {
    const r = await attempt();
    if (r !== RETRY) return r;
  }
  throw new ConflictError(what, `still contended after ${MAX_CAS_ATTEMPTS} compare-and-swap attempts`);
}

export interface DeleteOptions {
  /** Delete even if addresses are allocated (their endpoints lose them). */
  force?: boolean;
}

export class NetworkStore {
  constructor(private readonly store: Store) {}

  /** Validates `request` (see parseNetworkRequest), refuses clashes, assigns a VNI if none was given. */
  async create(request: unknown): Promise<Network> {
    const spec = parseNetworkRequest(request);
    const id = randomUUID();
    // The IPAM record goes first, under the new id: once the network is visible it can allocate, and a
    // crash in between leaves only an unreferenced record, never a network that cannot allocate.
    const key = IPAM_PREFIX + id;
    const doc: IpamDoc = { addresses: {} };
    await this.store.put(key, doc);
    try {
      return await casLoop('name', async () => {
        const { networks, revision } = await readRegistry(this.store);
        checkClashes(spec, networks);
        const created: Network = { id, ...spec, vni: spec.vni ?? nextFreeVni(networks) };
        const ok = await this.store.compareAndSwap(REGISTRY_KEY, revision, {
          networks: [...networks, created],
        });
        return ok ? created : RETRY;
      });
    } catch (err) {
      await this.store.delete(key);
      throw err;
    }
  }

  async list(): Promise<Network[]> {
    const { networks } = await readRegistry(this.store);
    return [...networks].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** NotFoundError naming `field` if there is no such network. */
  async get(name: string, field = 'name'): Promise<Network> {
    parseNetworkName(field, name);
    const { networks } = await readRegistry(this.store);
    const net = networks.find((n) => n.name === name);
    if (net === undefined) throw new NotFoundError(field, `no network named ${name}`);
    return net;
  }

  /**
   * Refused (ConflictError 'name') while addresses are allocated, unless `force`. Race-safe with allocations:
   * first the IPAM record is closed by CAS at a revision where it had no addresses, so an allocation either
   * landed before (and the CAS fails, and we look again) or sees `closed` and is refused; then the network
   * leaves the registry, then its IPAM record goes.
   */
  async delete(name: string, opts: DeleteOptions = {}): Promise<void> {
    const net = await this.get(name);
    const key = ipamKey(net);
    await casLoop('name', async () => {
      const e = await this.store.get(key);
      const live = e === undefined ? undefined : readIpamDoc(key, e.value);
      const count = live ? Object.keys(live.addresses).length : 0;
      if (count > 0 && !opts.force) {
        throw new ConflictError(
          'name',
          `network ${name} has ${count} endpoint(s); detach them or force the delete`,
        );
      }
      const closed: IpamDoc = { closed: true, addresses: live?.addresses ?? {} };
      const ok = await this.store.compareAndSwap(key, e?.revision ?? 0, closed);
      return ok ? undefined : RETRY;
    });
    await casLoop('name', async () => {
      const { networks, revision } = await readRegistry(this.store);
      const rest = networks.filter((n) => n.id !== net.id);
      if (rest.length === networks.length) return undefined; // someone else deleted it
      const ok = await this.store.compareAndSwap(REGISTRY_KEY, revision, { networks: rest });
      return ok ? undefined : RETRY;
    });
    await this.store.delete(key);
  }
}
