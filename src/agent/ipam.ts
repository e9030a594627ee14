/**
 * IP address management by compare-and-swap on the network's IPAM record (networks.ts): read the record,
 * pick an address, write the record back only if nobody changed it since. Several agents (hosts) sharing one
 * store never hand out the same address: of two racing writes only one CAS succeeds, the other re-reads.
 */
import type { Store } from '../store/index.js';
import { ipv4NumToText, ipv4TextToNum } from '../packet/index.js';
import { ConflictError, FieldError, NotFoundError, parsePrefix } from '../util/index.js';
import { broadcastOf, parseHostIn, type Network } from './network.js';
import { RETRY, casLoop, ipamKey, NetworkStore, readIpamDoc, type IpamDoc } from './networks.js';

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

export class Ipam {
  private readonly networks: NetworkStore;
  constructor(private readonly store: Store) {
    this.networks = new NetworkStore(store);
  }

  /**
   * Allocates the next free address (or `opts.address`) in `network` to `owner` (an endpoint id). An owner
   * that already holds an address gets it back (ConflictError 'address' if it asked for a different one).
   */
  async allocate(network: string, owner: string, opts: AllocateOptions = {}): Promise<Allocation> {
    if (typeof owner !== 'string' || owner.length === 0 || owner.length > OWNER_MAX) {
      throw new FieldError('owner', `must be a string of 1..${OWNER_MAX} characters`);
    }
    const net = await this.networks.get(network, 'network');
    const p = parsePrefix('subnet', net.subnet);
    let wanted: number | undefined;
    if (opts.address !== undefined) {
      wanted = parseHostIn('address', opts.address, p);
      if (ipv4NumToText(wanted) === net.gateway) {
        throw new FieldError('address', `${opts.address} is the gateway of network ${net.name}`);
      }
    }
    const key = ipamKey(net);
    const address = await casLoop('network', async () => {
      const e = await this.store.get(key);
      const doc = e === undefined ? undefined : readIpamDoc(key, e.value);
      if (doc === undefined || doc.closed) {
        throw new NotFoundError('network', `network ${network} is being deleted`);
      }
      // Idempotent per owner: an endpoint that asks again (a retried attach, a restarted agent) gets the
      // address it holds instead of a second one.
      const held = Object.keys(doc.addresses).find((a) => doc.addresses[a] === owner);
      if (held !== undefined) {
        if (wanted !== undefined && ipv4TextToNum(held) !== wanted) {
          throw new ConflictError('address', `${owner} already holds ${held} in network ${network}`);
        }
        return held;
      }
      const used = new Set(Object.keys(doc.addresses).map((a) => ipv4TextToNum(a)!));
      if (wanted !== undefined && used.has(wanted)) {
        throw new ConflictError(
          'address',
          `${opts.address} is in use in network ${network} by ${doc.addresses[opts.address!]}`,
        );
      }
      const a = wanted ?? nextFreeAddress(net, used);
      if (a === undefined) {
        throw new ConflictError('network', `network ${network} has no free address left in ${net.subnet}`);
      }
      const text = ipv4NumToText(a);
      const next: IpamDoc = { addresses: { ...doc.addresses, [text]: owner } };
      const ok = await this.store.compareAndSwap(key, e!.revision, next);
      return ok ? text : RETRY;
    });
    return { network, address, cidr: `${address}/${p.bits}`, gateway: net.gateway, owner };
  }

  /**
   * Hands `address` from owner `from` to owner `to` (Docker's IPAM driver allocates before the endpoint it is
   * for has an id). Already held by `to`: done. Held by anyone else or free: ConflictError 'address'.
   */
  async transfer(network: string, address: string, from: string, to: string): Promise<Allocation> {
    const net = await this.networks.get(network, 'network');
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
          `${address} in network ${network} is ${holder === undefined ? 'not allocated' : `held by ${holder}`}, not by ${from}`,
        );
      }
      const ok = await this.store.compareAndSwap(key, e!.revision, {
        ...doc,
        addresses: { ...doc.addresses, [address]: to },
      });
      return ok ? undefined : RETRY;
    });
    return { network, address, cidr: `${address}/${p.bits}`, gateway: net.gateway, owner: to };
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
