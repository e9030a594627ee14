/**
 * Endpoints in the store: one record per (container, network, interface), keyed by a deterministic id so a
 * repeated attach (a retry, a container restarted with a new network namespace, an agent restarted mid-way)
 * finds the record and gets the same address and MAC back.
 *
 * Order of writes, so that a crash at any point leaves nothing that hands out an address twice:
 *   reserve: IPAM address (owner = endpoint id) first, then the record. A crash between leaves an address
 *            held by an id with no record: the next attach of the same endpoint takes it back (IPAM is
 *            idempotent per owner); sweepOrphans() frees it otherwise.
 *   release: the record first, then the address. A crash between is the same orphan case.
 */
import { createHash } from 'node:crypto';
import { StoreError, type Store } from '../store/index.js';
import { ipv4TextToNum } from '../packet/index.js';
import { ConflictError, FieldError } from '../util/index.js';
import { Ipam } from './ipam.js';
import { NetworkStore, RETRY, casLoop, readRegistry } from './networks.js';
import type { Network } from './network.js';
import { ENDPOINT_PREFIX, type Endpoint, type EndpointKind } from './types.js';

/** Interface names are at most 15 bytes (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const CONTAINER_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** 16 hex characters of sha256(owner, network id, interface): the same endpoint always gets the same id. */
export function endpointId(containerId: string, networkId: string, ifname: string): string {
  return createHash('sha256').update(`${containerId}\0${networkId}\0${ifname}`).digest('hex').slice(0, 16);
}

/** The host-side interface (and OVS port) of an endpoint: `sv` + 11 hex of its id (13 characters). */
export function hostIfaceName(id: string): string {
  return `sv${id.slice(0, 11)}`;
}

/**
 * A MAC derived from the address (0a:58 + the four address bytes, the convention of Kubernetes' bridge CNI):
 * stable for as long as the endpoint keeps its address, unique within a network, and locally administered.
 */
export function macFor(address: string): string {
  const n = ipv4TextToNum(address);
  if (n === undefined) throw new FieldError('address', `not an IPv4 address: ${address}`);
  const bytes = [0x0a, 0x58, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function parseIfname(field: string, v: unknown): string {
  if (typeof v !== 'string' || !IFNAME.test(v)) {
    throw new FieldError(field, `must be an interface name of 1..${IFNAME_MAX} letters, digits, _ . -`);
  }
  return v;
}

export function parseContainerId(field: string, v: unknown): string {
  if (typeof v !== 'string' || !CONTAINER_ID.test(v)) {
    throw new FieldError(field, 'must be 1..128 letters, digits, _ . : -');
  }
  return v;
}

export interface ReserveRequest {
  /** The network's name, or its record when the caller has just read it (one store read fewer). */
  network: string | Network;
  containerId: string;
  containerName?: string;
  host: string;
  kind: EndpointKind;
  ifname?: string;
  address?: string;
  /**
   * Take over `address` from this IPAM owner instead of allocating (Docker's IPAM driver hands out the address
   * before the endpoint it is for exists; see plugin.ts). Needs `address`.
   */
  claim?: string;
}

const endpointKey = (networkId: string, id: string) => `${ENDPOINT_PREFIX}${networkId}/${id}`;

function readEndpoint(key: string, value: unknown): Endpoint {
  const v = value as Partial<Endpoint> | null;
  if (typeof v !== 'object' || v === null || typeof v.id !== 'string' || typeof v.address !== 'string') {
    throw new StoreError('STORE_CORRUPT', key, 'stored endpoint is not an Endpoint record');
  }
  return v as Endpoint;
}

export interface EndpointFilter {
  network?: string;
  host?: string;
  /** A container id, a unique prefix of one, or a container name. */
  container?: string;
}

export class EndpointStore {
  private readonly networks: NetworkStore;
  private readonly ipam: Ipam;
  constructor(private readonly store: Store) {
    this.networks = new NetworkStore(store);
    this.ipam = new Ipam(store);
  }

  /**
   * The endpoint for (container, network, ifname): the stored one if it exists (same address and MAC; a
   * different static address asked for is a ConflictError 'address'), else a new one with an address from IPAM.
   */
  async reserve(req: ReserveRequest): Promise<{ endpoint: Endpoint; created: boolean }> {
    const containerId = parseContainerId('containerId', req.containerId);
    const ifname = parseIfname('ifname', req.ifname ?? 'eth0');
    const net =
      typeof req.network === 'string' ? await this.networks.get(req.network, 'network') : req.network;
    const id = endpointId(containerId, net.id, ifname);
    const key = endpointKey(net.id, id);
    const existing = await this.store.get(key);
    if (existing !== undefined) {
      const ep = readEndpoint(key, existing.value);
      if (req.address !== undefined && req.address !== ep.address) {
        throw new ConflictError(
          'address',
          `${containerId} is attached to ${net.name} with ${ep.address}; detach it first to change the address`,
        );
      }
      return { endpoint: ep, created: false };
    }
    if (req.claim !== undefined && req.address === undefined) {
      throw new FieldError('address', 'is required to claim an allocated address');
    }
    const a =
      req.claim !== undefined
        ? await this.ipam.transfer(net, req.address!, req.claim, id)
        : await this.ipam.allocate(net, id, req.address === undefined ? {} : { address: req.address });
    const endpoint: Endpoint = {
      id,
      network: net.name,
      networkId: net.id,
      vni: net.vni,
      host: req.host,
      kind: req.kind,
      containerId,
      ...(req.containerName ? { containerName: req.containerName } : {}),
      ifname,
      hostIface: hostIfaceName(id),
      address: a.address,
      cidr: a.cidr,
      gateway: a.gateway,
      mac: macFor(a.address),
      mtu: net.mtu,
      createdAt: new Date().toISOString(),
    };
    if (await this.store.compareAndSwap(key, 0, endpoint)) return { endpoint, created: true };
    // Someone attached the same endpoint at the same moment: theirs is the record (same id, same address).
    const won = await this.store.get(key);
    if (won === undefined) throw new ConflictError('container', `${containerId} is being detached; retry`);
    return { endpoint: readEndpoint(key, won.value), created: false };
  }

  /**
   * Records which container endpoint `id` belongs to (a Docker plugin endpoint learns it after Join), by
   * compare-and-swap so a concurrent write is never lost. The id, address and MAC stay. Undefined if there
   * is no such record (detached meanwhile).
   */
  async setContainer(
    networkId: string,
    id: string,
    container: { id: string; name: string },
  ): Promise<Endpoint | undefined> {
    const containerId = parseContainerId('containerId', container.id);
    const key = endpointKey(networkId, id);
    return casLoop('container', async () => {
      const e = await this.store.get(key);
      if (e === undefined) return undefined;
      const ep = readEndpoint(key, e.value);
      if (ep.containerId === containerId && (ep.containerName ?? '') === container.name) return ep;
      const named: Endpoint = {
        ...ep,
        containerId,
        ...(container.name ? { containerName: container.name } : {}),
      };
      return (await this.store.compareAndSwap(key, e.revision, named)) ? named : RETRY;
    });
  }

  /** Removes the record, then frees its address. False if there was no record. */
  async release(ep: Endpoint): Promise<boolean> {
    const existed = await this.store.delete(endpointKey(ep.networkId, ep.id));
    await this.ipam.release(ep.network, ep.address, ep.id).catch((err: unknown) => {
      // The network may have been force-deleted meanwhile: its addresses went with it.
      if ((err as { code?: string }).code !== 'SLU_NOT_FOUND') throw err;
    });
    return existed;
  }

  /** The record of endpoint `id` in the network with id `networkId`, if there is one (one store read). */
  async get(networkId: string, id: string): Promise<Endpoint | undefined> {
    const key = endpointKey(networkId, id);
    const e = await this.store.get(key);
    return e === undefined ? undefined : readEndpoint(key, e.value);
  }

  async list(filter: EndpointFilter = {}): Promise<Endpoint[]> {
    let prefix = ENDPOINT_PREFIX;
    if (filter.network !== undefined) {
      const net = await this.networks.get(filter.network, 'network');
      prefix = `${ENDPOINT_PREFIX}${net.id}/`;
    }
    const all = (await this.store.list(prefix)).map((e) => readEndpoint(e.key, e.value));
    return all.filter(
      (ep) =>
        (filter.host === undefined || ep.host === filter.host) &&
        (filter.container === undefined || matchesContainer(ep, filter.container)),
    );
  }

  /**
   * Frees IPAM addresses whose owner has no endpoint record (a crash between the two writes). An attach in
   * flight looks the same for a moment, so run it only when none can be: at start-up of a single-host agent,
   * or by an operator. Returns the freed `network/address` pairs.
   */
  async sweepOrphans(): Promise<string[]> {
    const { networks } = await readRegistry(this.store);
    const owners = new Set((await this.store.list(ENDPOINT_PREFIX)).map((e) => e.key.split('/').pop()));
    const freed: string[] = [];
    for (const net of networks) {
      const held = await this.ipam.list(net.name).catch(() => ({}) as Record<string, string>);
      for (const [address, owner] of Object.entries(held)) {
        if (!owners.has(owner) && (await this.ipam.release(net.name, address))) {
          freed.push(`${net.name}/${address}`);
        }
      }
    }
    return freed;
  }
}

export function matchesContainer(ep: Endpoint, ref: string): boolean {
  return (
    ep.containerId === ref ||
    (ref.length >= 4 && ep.containerId.startsWith(ref)) ||
    ep.containerName === ref ||
    ep.containerName === ref.replace(/^\//, '')
  );
}
