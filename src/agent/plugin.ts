/**
 * Docker's libnetwork remote NetworkDriver and IpamDriver, one plugin named `sluice`, so the plain docker CLI
 * works: `docker network create -d sluice --ipam-driver sluice --subnet 10.5.0.0/16 net1`, `docker run
 * --network net1 ...`. dockerd finds it as /run/docker/plugins/sluice.sock and POSTs JSON to
 * /<Interface>.<Method>; answers are JSON ({"Err": "..."} on failure).
 *
 * The protocol is here as handlers (request JSON -> response JSON) over PluginBackend: what the agent does
 * for them (store, IPAM, dockerd, Linux plumbing). Mapping rules (issue 8, section 6):
 *   - scope "local": Docker 20.10 has no cluster store; the Sluice network in the store is what is global;
 *   - the Sluice network is `-o sluice.network=NAME` if given, else the Docker network's own name. With the
 *     option it is created (or checked) at CreateNetwork, so a clash fails `docker network create` with the
 *     field named. dockerd does not pass the name and has not committed the network yet at CreateNetwork, so
 *     without the option only the subnet and VNI are checked there, and the Sluice network is created when
 *     dockerd reports the network (its `network create` event, see dockerEvent) or at first use;
 *   - `-o sluice.vni=N` asks for that VNI (a new network) or checks it (an existing one);
 *   - the IPAM pool is the Sluice network's subnet (PoolID `sluice:<subnet>`): subnets never overlap, so a
 *     pool names at most one Sluice network. Addresses come from Sluice's IPAM, so two hosts never hand out
 *     the same one; the gateway request returns the Sluice network's gateway;
 *   - RequestAddress comes before the endpoint has an id: the address is held by a pending owner of this
 *     host until CreateEndpoint hands it to the endpoint record (owner = the endpoint's id, derived from
 *     Docker's endpoint id). ReleaseAddress frees only a still-pending address; an endpoint's address is
 *     freed with its record at DeleteEndpoint;
 *   - Join names only the endpoint: the container it belongs to is learned from dockerd, which lists a
 *     network's containers with their endpoint ids once they have joined (learnContainers, on dockerd's
 *     `network connect` event and whenever the event stream (re)connects).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ipv4NumToText } from '../packet/index.js';
import { ConflictError, FieldError } from '../util/index.js';
import type { DockerEvent, NetworkInfo } from './docker.js';
import type { Allocation } from './ipam.js';
import {
  formatPrefix,
  overlaps,
  parseHostIn,
  parseNetworkName,
  parseSubnet,
  VNI_MAX,
  type Network,
} from './network.js';
import type { Endpoint } from './types.js';
import { parseIntIn, parsePrefix } from '../util/index.js';

export const PLUGIN_NAME = 'sluice';
export const DEFAULT_PLUGIN_SOCKET = '/run/docker/plugins/sluice.sock';
export const PLUGIN_CONTENT_TYPE = 'application/vnd.docker.plugins.v1+json';
/** `-o sluice.network=NAME` (driver option) or `--ipam-opt sluice.network=NAME`. */
export const NETWORK_OPTION = 'sluice.network';
/** `-o sluice.vni=N`: the VNI of the Sluice network (a new one gets it; an existing one must have it). */
export const VNI_OPTION = 'sluice.vni';
export const LOCAL_ADDRESS_SPACE = 'sluice-local';
export const GLOBAL_ADDRESS_SPACE = 'sluice-global';
const GENERIC = 'com.docker.network.generic';
const GATEWAY_REQUEST = 'com.docker.network.gateway';
const POOL_PREFIX = 'sluice:';
const BODY_MAX = 1024 * 1024;
const DOCKER_ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** What the handlers need from the agent. Errors are util's coded errors; their message becomes `Err`. */
export interface PluginBackend {
  listNetworks(): Promise<Network[]>;
  createNetwork(spec: { name: string; subnet: string; gateway: string; vni?: number }): Promise<Network>;
  /** dockerd's view of a Docker network (NotFoundError 'network' if unknown). */
  dockerNetwork(id: string): Promise<NetworkInfo>;
  /** dockerd's networks of driver `sluice`. */
  dockerNetworks(): Promise<NetworkInfo[]>;
  /** An address in `network` (the one asked for, or the next free one), held by a pending owner of this host. */
  allocateAddress(network: string, address?: string): Promise<Allocation>;
  /** Frees `address` if it is still held by a pending owner of this host; else nothing. */
  releaseAddress(network: string, address: string): Promise<void>;
  /** The endpoint record for Docker endpoint `dockerEndpointId`, taking over its pending `address`. */
  createEndpoint(req: { network: string; dockerEndpointId: string; address: string }): Promise<Endpoint>;
  findEndpoint(network: string, dockerEndpointId: string): Promise<Endpoint | undefined>;
  /** Records the container of Docker endpoint `dockerEndpointId`; undefined if there is no such endpoint. */
  nameEndpoint(
    network: string,
    dockerEndpointId: string,
    container: { id: string; name: string },
  ): Promise<Endpoint | undefined>;
  /** Removes the record and frees its address. */
  deleteEndpoint(ep: Endpoint): Promise<void>;
  /**
   * Plumbs `ep` for Docker's sandbox: a veth pair whose host end (ep.hostIface) is a port of the bridge and
   * whose other end, returned, stays in the host namespace for Docker to move in and rename. Idempotent.
   */
  join(ep: Endpoint, sandboxKey: string): Promise<{ ifname: string }>;
  /** Undoes join; nothing to undo is fine. */
  leave(ep: Endpoint): Promise<void>;
}

export interface PluginReply {
  status: number;
  body: unknown;
}

type Body = Record<string, unknown>;
type Handler = (body: Body) => Promise<unknown>;

const ok = async (): Promise<unknown> => ({});

export class DockerPlugin {
  /** Docker network id -> Sluice network name, once resolved. */
  private readonly resolved = new Map<string, string>();
  private readonly handlers: Record<string, Handler>;

  constructor(private readonly backend: PluginBackend) {
    this.handlers = {
      'Plugin.Activate': async () => ({ Implements: ['NetworkDriver', 'IpamDriver'] }),
      'NetworkDriver.GetCapabilities': async () => ({ Scope: 'local', ConnectivityScope: 'global' }),
      'NetworkDriver.CreateNetwork': (b) => this.createNetwork(b),
      'NetworkDriver.DeleteNetwork': async (b) => {
        this.resolved.delete(dockerId(b, 'NetworkID'));
        return {};
      },
      'NetworkDriver.CreateEndpoint': (b) => this.createEndpoint(b),
      'NetworkDriver.EndpointOperInfo': async (b) => {
        dockerId(b, 'NetworkID');
        dockerId(b, 'EndpointID');
        return { Value: {} };
      },
      'NetworkDriver.DeleteEndpoint': (b) => this.deleteEndpoint(b),
      'NetworkDriver.Join': (b) => this.join(b),
      'NetworkDriver.Leave': (b) => this.leave(b),
      'NetworkDriver.DiscoverNew': ok,
      'NetworkDriver.DiscoverDelete': ok,
      'NetworkDriver.ProgramExternalConnectivity': ok,
      'NetworkDriver.RevokeExternalConnectivity': ok,
      'NetworkDriver.AllocateNetwork': ok,
      'NetworkDriver.FreeNetwork': ok,
      'IpamDriver.GetCapabilities': async () => ({ RequiresMACAddress: false, RequiresRequestReplay: false }),
      'IpamDriver.GetDefaultAddressSpaces': async () => ({
        LocalDefaultAddressSpace: LOCAL_ADDRESS_SPACE,
        GlobalDefaultAddressSpace: GLOBAL_ADDRESS_SPACE,
      }),
      'IpamDriver.RequestPool': (b) => this.requestPool(b),
      'IpamDriver.ReleasePool': async (b) => {
        parsePoolId(b.PoolID);
        return {};
      },
      'IpamDriver.RequestAddress': (b) => this.requestAddress(b),
      'IpamDriver.ReleaseAddress': (b) => this.releaseAddress(b),
    };
  }

  /** One request: `method` is the URL path (`/NetworkDriver.Join`), `text` its body. Never throws. */
  async handle(method: string, text: string): Promise<PluginReply> {
    const handler = Object.hasOwn(this.handlers, method.replace(/^\//, ''))
      ? this.handlers[method.replace(/^\//, '')]
      : undefined;
    if (handler === undefined) return { status: 404, body: { Err: `unknown plugin method ${method}` } };
    let body: Body;
    try {
      body = text.trim() === '' ? {} : (JSON.parse(text) as Body);
    } catch (err) {
      return { status: 400, body: { Err: `body: not JSON (${(err as Error).message})` } };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { status: 400, body: { Err: 'body: must be a JSON object' } };
    }
    try {
      return { status: 200, body: await handler(body) };
    } catch (err) {
      const status = err instanceof FieldError ? 400 : 500;
      return { status, body: { Err: err instanceof Error ? err.message : String(err) } };
    }
  }

  // --- IPAM -------------------------------------------------------------------------------------------

  private async requestPool(b: Body): Promise<unknown> {
    if (b.V6 === true) throw new FieldError('V6', 'Sluice networks are IPv4 only');
    addressSpace('AddressSpace', b.AddressSpace);
    if (typeof b.SubPool === 'string' && b.SubPool !== '') {
      throw new FieldError('SubPool', 'is not supported (--ip-range): the whole subnet is the pool');
    }
    const opts = stringMap('Options', b.Options);
    const name =
      opts[NETWORK_OPTION] === undefined
        ? undefined
        : parseNetworkName(`Options.${NETWORK_OPTION}`, opts[NETWORK_OPTION]);
    const given = optionalString('Pool', b.Pool);
    const pool = given === undefined ? undefined : formatPrefix(parseSubnet('Pool', given));
    const networks = await this.backend.listNetworks();
    const named = name === undefined ? undefined : networks.find((n) => n.name === name);
    if (named !== undefined && pool !== undefined && named.subnet !== pool) {
      throw new FieldError('Pool', `${pool} is not the subnet of Sluice network ${name} (${named.subnet})`);
    }
    const chosen = pool ?? named?.subnet;
    if (chosen === undefined) {
      throw new FieldError(
        'Pool',
        `is required: give --subnet, or --ipam-opt ${NETWORK_OPTION}=NAME of an existing Sluice network`,
      );
    }
    checkPool('Pool', chosen, networks);
    return { PoolID: POOL_PREFIX + chosen, Pool: chosen, Data: {} };
  }

  private async requestAddress(b: Body): Promise<unknown> {
    const pool = parsePoolId(b.PoolID);
    const prefix = parsePrefix('PoolID', pool);
    const address = optionalString('Address', b.Address);
    if (address !== undefined) parseHostIn('Address', address, prefix);
    const opts = stringMap('Options', b.Options);
    if (opts.RequestAddressType === GATEWAY_REQUEST) {
      const net = (await this.backend.listNetworks()).find((n) => n.subnet === pool);
      if (net === undefined) {
        // The Sluice network is created with this gateway (CreateNetwork or first use).
        return { Address: `${address ?? ipv4NumToText(prefix.addr + 1)}/${prefix.bits}`, Data: {} };
      }
      if (address !== undefined && address !== net.gateway) {
        throw new FieldError(
          'Address',
          `the gateway of Sluice network ${net.name} is ${net.gateway}, not ${address}`,
        );
      }
      return { Address: `${net.gateway}/${prefix.bits}`, Data: {} };
    }
    const net = await this.networkForPool(pool);
    const a = await this.backend.allocateAddress(net.name, address);
    return { Address: a.cidr, Data: {} };
  }

  private async releaseAddress(b: Body): Promise<unknown> {
    const pool = parsePoolId(b.PoolID);
    const address = requiredString('Address', b.Address);
    parseHostIn('Address', address, parsePrefix('PoolID', pool));
    const net = (await this.backend.listNetworks()).find((n) => n.subnet === pool);
    // No network (deleted with --force meanwhile) or the gateway (never allocated): nothing to free.
    if (net !== undefined && address !== net.gateway) await this.backend.releaseAddress(net.name, address);
    return {};
  }

  // --- network driver ---------------------------------------------------------------------------------

  private async createNetwork(b: Body): Promise<unknown> {
    const id = dockerId(b, 'NetworkID');
    if (Array.isArray(b.IPv6Data) && b.IPv6Data.length > 0) {
      throw new FieldError('IPv6Data', 'Sluice networks are IPv4 only');
    }
    if (!Array.isArray(b.IPv4Data) || b.IPv4Data.length !== 1) {
      throw new FieldError('IPv4Data', 'must hold exactly one pool: create the network with one --subnet');
    }
    const data = b.IPv4Data[0] as Body;
    if (typeof data !== 'object' || data === null) throw new FieldError('IPv4Data[0]', 'must be an object');
    addressSpace('IPv4Data[0].AddressSpace', data.AddressSpace);
    const pool = formatPrefix(parseSubnet('IPv4Data[0].Pool', requiredString('IPv4Data[0].Pool', data.Pool)));
    const gateway = gatewayOf('IPv4Data[0].Gateway', data.Gateway, pool);
    const options = (b.Options ?? {}) as Body;
    if (typeof options !== 'object' || options === null) throw new FieldError('Options', 'must be an object');
    const generic = stringMap(`Options.${GENERIC}`, options[GENERIC]);
    const vni = vniOption(generic);
    const networks = await this.backend.listNetworks();
    checkPool('IPv4Data[0].Pool', pool, networks);
    if (vni !== undefined) checkVni(vni, pool, networks);
    if (generic[NETWORK_OPTION] !== undefined) {
      const name = parseNetworkName(NETWORK_OPTION, generic[NETWORK_OPTION]);
      await this.ensure(name, pool, gateway, networks, vni);
      this.resolved.set(id, name);
    }
    // Without the option the name is dockerd's, which it does not know yet: see dockerEvent.
    return {};
  }

  private async createEndpoint(b: Body): Promise<unknown> {
    const networkId = dockerId(b, 'NetworkID');
    const endpointId = dockerId(b, 'EndpointID');
    const iface = (b.Interface ?? {}) as Body;
    if (typeof iface !== 'object' || iface === null) throw new FieldError('Interface', 'must be an object');
    if (typeof iface.AddressIPv6 === 'string' && iface.AddressIPv6 !== '') {
      throw new FieldError('Interface.AddressIPv6', 'Sluice networks are IPv4 only');
    }
    if (typeof iface.MacAddress === 'string' && iface.MacAddress !== '') {
      throw new FieldError(
        'Interface.MacAddress',
        'Sluice derives the MAC from the address (stable across restarts); do not set --mac-address',
      );
    }
    const cidr = optionalString('Interface.Address', iface.Address);
    if (cidr === undefined) {
      throw new FieldError(
        'Interface.Address',
        `is required: create the network with --ipam-driver ${PLUGIN_NAME}`,
      );
    }
    const net = await this.networkFor(networkId);
    const address = cidr.split('/')[0];
    parseHostIn('Interface.Address', address, parsePrefix('subnet', net.subnet));
    const ep = await this.backend.createEndpoint({
      network: net.name,
      dockerEndpointId: endpointId,
      address,
    });
    return { Interface: { MacAddress: ep.mac } };
  }

  private async deleteEndpoint(b: Body): Promise<unknown> {
    const ep = await this.endpoint(b);
    if (ep !== undefined) {
      await this.backend.leave(ep);
      await this.backend.deleteEndpoint(ep);
    }
    return {};
  }

  private async join(b: Body): Promise<unknown> {
    const sandboxKey = requiredString('SandboxKey', b.SandboxKey);
    const ep = await this.endpoint(b);
    if (ep === undefined) {
      throw new FieldError('EndpointID', `no Sluice endpoint for Docker endpoint ${String(b.EndpointID)}`);
    }
    const { ifname } = await this.backend.join(ep, sandboxKey);
    return {
      InterfaceName: { SrcName: ifname, DstPrefix: 'eth' },
      Gateway: ep.gateway,
      StaticRoutes: [],
      DisableGatewayService: false,
    };
  }

  private async leave(b: Body): Promise<unknown> {
    const ep = await this.endpoint(b);
    if (ep !== undefined) await this.backend.leave(ep);
    return {};
  }

  // --- mapping ----------------------------------------------------------------------------------------

  private async endpoint(b: Body): Promise<Endpoint | undefined> {
    const networkId = dockerId(b, 'NetworkID');
    const endpointId = dockerId(b, 'EndpointID');
    const net = await this.networkFor(networkId);
    return this.backend.findEndpoint(net.name, endpointId);
  }

  /**
   * The Sluice network of Docker network `id`, created from the Docker network's subnet if it does not
   * exist yet. dockerd is asked once per Docker network (also after an agent restart).
   */
  async networkFor(id: string, inspected?: NetworkInfo): Promise<Network> {
    const known = this.resolved.get(id);
    const networks = await this.backend.listNetworks();
    if (known !== undefined) {
      const net = networks.find((n) => n.name === known);
      if (net !== undefined) return net;
    }
    const info = inspected ?? (await this.backend.dockerNetwork(id));
    const net = await this.fromDocker(info, networks);
    this.resolved.set(id, net.name);
    return net;
  }

  /** The Sluice network of `pool`; if none yet, the one of the sluice Docker network using that pool. */
  private async networkForPool(pool: string): Promise<Network> {
    const networks = await this.backend.listNetworks();
    const net = networks.find((n) => n.subnet === pool);
    if (net !== undefined) return net;
    const docker = (await this.backend.dockerNetworks()).find((d) =>
      d.ipamConfig.some((c) => c.subnet !== undefined && samePrefix(c.subnet, pool)),
    );
    if (docker === undefined) {
      throw new FieldError(
        'PoolID',
        `no Sluice network or ${PLUGIN_NAME} Docker network has the subnet ${pool}`,
      );
    }
    const created = await this.fromDocker(docker, networks);
    this.resolved.set(docker.id, created.name);
    return created;
  }

  private async fromDocker(info: NetworkInfo, networks: readonly Network[]): Promise<Network> {
    const name = parseNetworkName(
      info.options[NETWORK_OPTION] === undefined ? 'Docker network name' : NETWORK_OPTION,
      info.options[NETWORK_OPTION] ?? info.name,
    );
    const config = info.ipamConfig[0];
    if (config?.subnet === undefined) {
      throw new FieldError('IPAM', `Docker network ${info.name} has no subnet; create it with --subnet`);
    }
    const pool = formatPrefix(parseSubnet('IPAM.Config[0].Subnet', config.subnet));
    const gateway = gatewayOf('IPAM.Config[0].Gateway', config.gateway, pool);
    return this.ensure(name, pool, gateway, networks, vniOption(info.options));
  }

  /** Sluice network `name` with subnet `pool`: the existing one (which must match) or a new one. */
  private async ensure(
    name: string,
    pool: string,
    gateway: string,
    networks: readonly Network[],
    vni?: number,
  ): Promise<Network> {
    const existing = networks.find((n) => n.name === name);
    if (existing !== undefined) return matching(existing, pool, gateway, vni);
    const holder = networks.find((n) => n.subnet === pool);
    if (holder !== undefined) {
      throw new ConflictError(
        NETWORK_OPTION,
        `the subnet ${pool} is Sluice network ${holder.name}'s, not ${name}'s: create the Docker network with -o ${NETWORK_OPTION}=${holder.name}`,
      );
    }
    try {
      return await this.backend.createNetwork({
        name,
        subnet: pool,
        gateway,
        ...(vni === undefined ? {} : { vni }),
      });
    } catch (err) {
      // Another host created it at the same moment: theirs is the network if it matches.
      if (!(err instanceof ConflictError && err.field === 'name')) throw err;
      const raced = (await this.backend.listNetworks()).find((n) => n.name === name);
      if (raced === undefined) throw err;
      return matching(raced, pool, gateway, vni);
    }
  }

  // --- what dockerd reports -----------------------------------------------------------------------------

  /**
   * A dockerd event of this plugin's networks (`Actor.Attributes.type` is the driver): `create` makes the
   * Sluice network of a network created without `-o sluice.network` (its name is known only now); `connect`
   * learns which container the new endpoint belongs to. Errors are the caller's to log: a clash found here
   * also fails the first container's CreateEndpoint, with the field named.
   */
  async dockerEvent(ev: DockerEvent): Promise<void> {
    if (ev.type !== 'network' || ev.attributes.type !== PLUGIN_NAME) return;
    if (ev.action === 'create') await this.networkFor(ev.id);
    else if (ev.action === 'connect') await this.learnContainers(ev.id);
  }

  /**
   * Records, for each container dockerd lists on Docker network `id`, its id and name on the Sluice
   * endpoint of its Docker endpoint (libnetwork's Join names only the endpoint). Returns the endpoints seen.
   */
  async learnContainers(id: string): Promise<Endpoint[]> {
    const info = await this.backend.dockerNetwork(id);
    const net = await this.networkFor(id, info);
    const named: Endpoint[] = [];
    for (const [containerId, c] of Object.entries(info.containers)) {
      const ep = await this.backend.nameEndpoint(net.name, c.endpointId, { id: containerId, name: c.name });
      if (ep !== undefined) named.push(ep);
    }
    return named;
  }

  /** learnContainers for every Docker network of this plugin (at start-up: events missed while down). */
  async learnAllContainers(): Promise<Endpoint[]> {
    const named: Endpoint[] = [];
    for (const d of await this.backend.dockerNetworks()) named.push(...(await this.learnContainers(d.id)));
    return named;
  }
}

function matching(net: Network, pool: string, gateway: string, vni?: number): Network {
  if (net.subnet !== pool) {
    throw new ConflictError('Pool', `Sluice network ${net.name} has the subnet ${net.subnet}, not ${pool}`);
  }
  if (net.gateway !== gateway) {
    throw new ConflictError(
      'Gateway',
      `Sluice network ${net.name} has the gateway ${net.gateway}, not ${gateway}`,
    );
  }
  if (vni !== undefined && net.vni !== vni) {
    throw new ConflictError(VNI_OPTION, `Sluice network ${net.name} has the VNI ${net.vni}, not ${vni}`);
  }
  return net;
}

/** A pool may be a Sluice network's subnet exactly, or overlap none. */
function checkPool(field: string, pool: string, networks: readonly Network[]): void {
  const p = parsePrefix(field, pool);
  const clash = networks.find((n) => n.subnet !== pool && overlaps(p, parsePrefix('subnet', n.subnet)));
  if (clash !== undefined) {
    throw new ConflictError(field, `${pool} overlaps ${clash.subnet} of Sluice network ${clash.name}`);
  }
}

/** `-o sluice.vni=N` of a network's driver options, if given. */
function vniOption(options: Record<string, string>): number | undefined {
  const v = options[VNI_OPTION];
  return v === undefined ? undefined : parseIntIn(VNI_OPTION, v, 1, VNI_MAX);
}

/** A VNI asked for must be free, or be the VNI of the Sluice network that has the subnet `pool`. */
function checkVni(vni: number, pool: string, networks: readonly Network[]): void {
  const holder = networks.find((n) => n.vni === vni);
  if (holder !== undefined && holder.subnet !== pool) {
    throw new ConflictError(
      VNI_OPTION,
      `${vni} is the VNI of Sluice network ${holder.name} (${holder.subnet}), not of ${pool}`,
    );
  }
  const same = networks.find((n) => n.subnet === pool);
  if (same !== undefined && same.vni !== vni) {
    throw new ConflictError(
      VNI_OPTION,
      `Sluice network ${same.name} (${pool}) has the VNI ${same.vni}, not ${vni}`,
    );
  }
}

function samePrefix(a: string, b: string): boolean {
  try {
    return formatPrefix(parsePrefix('subnet', a)) === b;
  } catch {
    return false;
  }
}

function gatewayOf(field: string, v: unknown, pool: string): string {
  const p = parsePrefix(field, pool);
  if (v === undefined || v === '') return ipv4NumToText(p.addr + 1);
  if (typeof v !== 'string') throw new FieldError(field, 'must be an address string');
  return ipv4NumToText(parseHostIn(field, v.split('/')[0], p));
}

function parsePoolId(v: unknown): string {
  const id = requiredString('PoolID', v);
  if (!id.startsWith(POOL_PREFIX)) throw new FieldError('PoolID', `${id} is not a pool of this plugin`);
  return formatPrefix(parseSubnet('PoolID', id.slice(POOL_PREFIX.length)));
}

function addressSpace(field: string, v: unknown): void {
  if (v === undefined || v === '' || v === LOCAL_ADDRESS_SPACE || v === GLOBAL_ADDRESS_SPACE) return;
  throw new FieldError(
    field,
    `${JSON.stringify(v)} is not Sluice's: addresses must come from Sluice's IPAM (--ipam-driver ${PLUGIN_NAME})`,
  );
}

function dockerId(b: Body, field: string): string {
  const v = b[field];
  if (typeof v !== 'string' || !DOCKER_ID.test(v)) {
    throw new FieldError(
      field,
      v === undefined ? 'is required' : 'must be a Docker id (1..128 letters, digits)',
    );
  }
  return v;
}

function requiredString(field: string, v: unknown): string {
  const s = optionalString(field, v);
  if (s === undefined) throw new FieldError(field, 'is required');
  return s;
}

function optionalString(field: string, v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new FieldError(field, `must be a string, got ${typeof v}`);
  return v;
}

function stringMap(field: string, v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new FieldError(field, 'must be an object');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

export interface PluginServer {
  readonly socketPath: string;
  close(): Promise<void>;
}

/**
 * Serves `plugin` on a Unix socket (DEFAULT_PLUGIN_SOCKET by default; its directory is created). A stale
 * socket file left by a crashed agent is replaced; one that another process still answers on is not.
 */
export async function servePlugin(
  plugin: DockerPlugin,
  socketPath = DEFAULT_PLUGIN_SOCKET,
  onError?: (method: string, err: string) => void,
): Promise<PluginServer> {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true });
  if (fs.existsSync(socketPath)) {
    if (await answers(socketPath)) {
      throw new ConflictError('plugin-socket', `${socketPath} is in use by another process (another agent?)`);
    }
    fs.rmSync(socketPath, { force: true });
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_MAX) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const reply: Promise<PluginReply> =
        req.method === 'POST'
          ? plugin.handle(req.url ?? '', Buffer.concat(chunks).toString('utf8'))
          : Promise.resolve({ status: 405, body: { Err: 'plugin methods are POST' } });
      void reply.then((r) => {
        if (r.status !== 200) onError?.(req.url ?? '', (r.body as { Err: string }).Err);
        res.writeHead(r.status, { 'content-type': PLUGIN_CONTENT_TYPE }).end(JSON.stringify(r.body));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          fs.rmSync(socketPath, { force: true });
          resolve();
        });
      }),
  };
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request(
      { socketPath, path: '/Plugin.Activate', method: 'POST', timeout: 1000 },
      (res) => {
        res.resume();
        resolve(true);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
