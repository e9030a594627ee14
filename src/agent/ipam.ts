/**
 * IP address management by compare-and-swap on the network's IPAM record (networks.ts): read the record,
 * pick an address, write the record back only if nobody changed it since. Several agents (hosts) sharing one
 * store never hand out the same address: of two racing writes only one CAS succeeds, the other re-reads.
 */
import type { Store } from '../store/index.js';
import { ipv4NumToText, ipv4TextToNum } from '../packet/index.js';
import { ConflictError, FieldError, NotFoundError, parsePrefix } from '../util/index.js';
import { broadcastOf, parseHostIn, type Network } from './network.js';
import { RETRY, casLoop, ipamKey, NetworkStore, readIpamDoc } from './networks.js';

const OWNER_MAX = 256;

export interface AllocateOptions {
  /** A static address in the network's subnet; ConflictError 'address' if it is taken. */
  address?: string;
}

export interface Allocation {
  network: string;
  address: string;
  /** `address/prefix-length`, as an interface is configured. */
  cidr: string;
  gateway: string;
  owner: string;
}

/** The lowest address of the subnet that is not the network, gateway, broadcast or a used address. */
export function nextFreeAddress(net: Network, used: ReadonlySet<number>): number | undefined {
  const p = parsePrefix('subnet', net.subnet);
  const gateway = ipv4TextToNum(net.gateway);
  for (let a = p.addr + 1; a < broadcastOf(p); a++) if (a !== gateway && !used.has(a)) return a;
  return undefined;
}

/** One allocate call waiting for its network's next compare-and-swap round. */
interface Pending {
  owner: string;
  wanted: number | undefined;
  /** The static address as asked for (for messages). */
  asked: string | undefined;
  resolve(address: string): void;
  reject(err: unknown): void;
}

/**
 * Picks `r`'s address in `addresses` (address -> owner), which it updates; throws a coded error for `r`
 * alone. Idempotent per owner: an endpoint that asks again (a retried attach, a restarted agent) gets the
 * address it holds instead of a second one.
 */
function pick(net: Network, addresses: Record<string, string>, r: Pending): string {
  const held = Object.keys(addresses).find((a) => addresses[a] === r.owner);
  if (held !== undefined) {
    if (r.wanted !== undefined && ipv4TextToNum(held) !== r.wanted) {
      throw new ConflictError('address', `${r.owner} already holds ${held} in network ${net.name}`);
    }
    return held;
  }
  const used = new Set(Object.keys(addresses).map((a) => ipv4TextToNum(a)!));
  if (r.wanted !== undefined && used.has(r.wanted)) {
    throw new ConflictError(
      'address',
      `${r.asked} is in use in network ${net.name} by ${addresses[r.asked!]}`,
    );
  }
  const a = r.wanted ?? nextFreeAddress(net, used);
  if (a === undefined) {
    throw new ConflictError('network', `network ${net.name} has no free address left in ${net.subnet}`);
  }
  const text = ipv4NumToText(a);
  addresses[text] = r.owner;
  return text;
}

export class Ipam {
  private readonly networks: NetworkStore;
  /** Per IPAM key: allocations waiting for the round after the one in flight (group commit). */
  private readonly waiting = new Map<string, Pending[]>();
  private readonly flushing = new Set<string>();
  constructor(private readonly store: Store) {
    this.networks = new NetworkStore(store);
  }

  /**
   * Allocates the next free address (or `opts.address`) in `network` (its name, or its record when the
   * caller has just read it) to `owner` (an endpoint id). An owner that already holds an address gets it
   * back (ConflictError 'address' if it asked for a different one).
   */
  async allocate(network: string | Network, owner: string, opts: AllocateOptions = {}): Promise<Allocation> {
    if (typeof owner !== 'string' || owner.length === 0 || owner.length > OWNER_MAX) {
      throw new FieldError('owner', `must be a string of 1..${OWNER_MAX} characters`);
    }
    const net = typeof network === 'string' ? await this.networks.get(network, 'network') : network;
    const p = parsePrefix('subnet', net.subnet);
    let wanted: number | undefined;
    if (opts.address !== undefined) {
      wanted = parseHostIn('address', opts.address, p);
      if (ipv4NumToText(wanted) === net.gateway) {
        throw new FieldError('address', `${opts.address} is the gateway of network ${net.name}`);
      }
    }
    const address = await this.inBatch(net, { owner, wanted, asked: opts.address });
    return { network: net.name, address, cidr: `${address}/${p.bits}`, gateway: net.gateway, owner };
  }

  /**
   * Group commit: the allocations of one network that arrive while a round is in flight share the next
   * round (one read and one compare-and-swap for all of them), so a burst of N attaches on this agent costs
   * a few rounds instead of N contending ones.
   */
  private inBatch(net: Network, req: Omit<Pending, 'resolve' | 'reject'>): Promise<string> {
    const key = ipamKey(net);
    return new Promise<string>((resolve, reject) => {
      const queue = this.waiting.get(key) ?? [];
      queue.push({ ...req, resolve, reject });
      this.waiting.set(key, queue);
      if (!this.flushing.has(key)) void this.flush(key, net);
    });
  }

  private async flush(key: string, net: Network): Promise<void> {
    this.flushing.add(key);
    try {
      for (let batch = this.waiting.get(key); batch; batch = this.waiting.get(key)) {
        this.waiting.delete(key);
        await this.commit(key, net, batch);
      }
    } finally {
      this.flushing.delete(key);
    }
  }

  /** One read-pick-CAS loop for `batch`; settles every request (never throws). */
  private async commit(key: string, net: Network, batch: Pending[]): Promise<void> {
    try {
      const results = await casLoop('network', async () => {
        const e = await this.store.get(key);
        const doc = e === undefined ? undefined : readIpamDoc(key, e.value);
        if (doc === undefined || doc.closed) {
          throw new NotFoundError('network', `network ${net.name} is being deleted`);
        }
        const addresses = { ...doc.addresses };
        const out = batch.map((r): { address: string } | { err: unknown } => {
          try {
            return { address: pick(net, addresses, r) };
          } catch (err) {
            return { err };
          }
        });
        const changed = Object.keys(addresses).length !== Object.keys(doc.addresses).length;
        if (!changed) return out;
        const ok = await this.store.compareAndSwap(key, e!.revision, { ...doc, addresses });
        return ok ? out : RETRY;
      });
      results.forEach((r, i) => ('address' in r ? batch[i].resolve(r.address) : batch[i].reject(r.err)));
    } catch (err) {
      for (const r of batch) r.reject(err);
    }
  }

  /**
   * Hands `address` in `network` (name or record, as for allocate) from owner `from` to owner `to` (Docker's
   * IPAM driver allocates before the endpoint it is for has an id). Already held by `to`: done. Held by anyone else or free: ConflictError 'address'.
   */
  async transfer(network: string | Network, address: string, from: string, to: string): Promise<Allocation> {
    // The record itself when the caller has just read it: one store read fewer on the attach path.
    const net = typeof network === 'string' ? await this.networks.get(network, 'network') : network;
    const p = parsePrefix('subnet', net.subnet);
    parseHostIn('address', address, p);
    const key = ipamKey(net);
    await casLoop('network', async () => {
      const e = await this.store.get(key);
      const doc = e === undefined ? undefined : readIpamDoc(key, e.value);
      const holder = doc?.addresses[address];
      if (holder === to) return undefined;
      if (doc === undefined || holder !== from) {
        throw new ConflictError(
          'address',
          `${address} in network ${net.name} is ${holder === undefined ? 'not allocated' : `held by ${holder}`}, not by ${from}`,
        );
      }
      const ok = await this.store.compareAndSwap(key, e!.revision, {
        ...doc,
        addresses: { ...doc.addresses, [address]: to },
      });
      return ok ? undefined : RETRY;
    });
    return { network: net.name, address, cidr: `${address}/${p.bits}`, gateway: net.gateway, owner: to };
  }

  /** The owner of `address` in `network`, if it is allocated. */
  async ownerOf(network: string, address: string): Promise<string | undefined> {
    return (await this.list(network))[address];
  }

  /**
   * Frees `address` in `network`; false if it was not allocated. With `owner`, only if that owner holds it
   * (so a late release never frees an address someone else has been given since).
   */
  async release(network: string, address: string, owner?: string): Promise<boolean> {
    const net = await this.networks.get(network, 'network');
    parseHostIn('address', address, parsePrefix('subnet', net.subnet));
    const key = ipamKey(net);
    return casLoop('network', async () => {
      const e = await this.store.get(key);
      if (e === undefined) return false;
      const doc = readIpamDoc(key, e.value);
      if (!(address in doc.addresses)) return false;
      if (owner !== undefined && doc.addresses[address] !== owner) return false;
      const addresses = { ...doc.addresses };
      delete addresses[address];
      const ok = await this.store.compareAndSwap(key, e.revision, { ...doc, addresses });
      return ok ? true : RETRY;
    });
  }

  /** The allocated addresses of `network`, address -> owner. */
  async list(network: string): Promise<Record<string, string>> {
    const net = await this.networks.get(network, 'network');
    const e = await this.store.get(ipamKey(net));
    return e === undefined ? {} : { ...readIpamDoc(ipamKey(net), e.value).addresses };
  }
}
