/**
 * This host's side of the agent: endpoint plumbing (veth + OVS port) and the fabric (one VXLAN device per
 * network as a bridge port, its FDB pointing at live peers, and the overlay app's view). The AgentCore's
 * Plumbing and Fabric, over LinuxNet (ip, bridge, ethtool) and OVSDB.
 */
import { interfaceFromRow, type Vswitch } from '../ovsdb/index.js';
import {
  FLOOD_MAC,
  VETH_PREFIX,
  VXLAN_PREFIX,
  vethNames,
  vxlanName,
  type FdbEntry,
  type LinuxNet,
} from './linux.js';
import type { BridgeView, GatewayPort, LocalEndpoint, RemoteEndpoint } from './flows.js';
import {
  GATEWAY_PREFIX,
  RULE_CHAINS,
  gatewayMac,
  gatewayName,
  gatewayRules,
  ruleKey,
  type IptRule,
} from './gateway.js';
import type { Fabric, Plumbing } from './agent.js';
import type { PluginPlumbing } from './pluginbackend.js';
import type { Endpoint, HostRecord } from './types.js';
import type { Network } from './network.js';

/** external_ids keys on the OVS ports the agent makes: who owns a port is never guessed. */
export const EXT = {
  endpoint: 'sluice-endpoint',
  network: 'sluice-network',
  container: 'sluice-container',
  vni: 'sluice-vni',
} as const;

export class HostPlumbing implements Plumbing {
  constructor(
    private readonly net: LinuxNet,
    private readonly vs: Vswitch,
    private readonly bridge: string,
  ) {}

  async plumb(ep: Endpoint, netns: string): Promise<void> {
    const { peer } = vethNames(ep.id);
    // A pair left from the container's previous namespace (or a killed agent) is replaced.
    await this.net.createVeth(ep.hostIface, peer, ep.mtu, { replace: true });
    await this.net.plugIntoNetns(
      peer,
      { path: netns },
      { ifname: ep.ifname, mac: ep.mac, mtu: ep.mtu, cidr: ep.cidr, gateway: ep.gateway },
    );
    await this.vs.addPort(this.bridge, ep.hostIface, {
      externalIds: { [EXT.endpoint]: ep.id, [EXT.network]: ep.network, [EXT.container]: ep.containerId },
    });
    await this.vs.waitInterfaceOfport(ep.hostIface);
  }

  async unplumb(ep: Endpoint): Promise<void> {
    await this.vs.delPort(this.bridge, ep.hostIface);
    await this.net.deleteLink(ep.hostIface);
  }

  async isPlumbed(ep: Endpoint): Promise<boolean> {
    const [links, port] = await Promise.all([
      this.net.listLinks(ep.hostIface),
      this.vs.getPort(ep.hostIface),
    ]);
    return links.includes(ep.hostIface) && port !== undefined;
  }

  async removeStrays(keep: ReadonlySet<string>): Promise<string[]> {
    const ports = (await this.vs.listPorts(this.bridge)).filter((p) => p.startsWith(VETH_PREFIX));
    const links = await this.net.listLinks(VETH_PREFIX);
    const gone = [...new Set([...ports, ...links])].filter((n) => !keep.has(n)).sort();
    for (const name of gone) {
      await this.vs.delPort(this.bridge, name);
      await this.net.deleteLink(name);
    }
    return gone;
  }

  routes(): Promise<string[]> {
    return this.net.routeDestinations();
  }
}

/**
 * The Docker plugin's plumbing: Docker moves the container end into the sandbox itself, so only the pair and
 * the port are made here. `onChange` (a sync) runs once the port exists or is gone, so the flows follow.
 */
export class PluginHostPlumbing implements PluginPlumbing {
  constructor(
    private readonly net: LinuxNet,
    private readonly vs: Vswitch,
    private readonly bridge: string,
    private readonly onChange: () => Promise<void>,
  ) {}

  async createVeth(ep: Endpoint, peer: string): Promise<void> {
    await this.net.createVeth(ep.hostIface, peer, ep.mtu, { peerMac: ep.mac, replace: true });
  }

  deleteVeth(ep: Endpoint): Promise<void> {
    return this.net.deleteLink(ep.hostIface);
  }

  async addPort(ep: Endpoint): Promise<void> {
    await this.vs.addPort(this.bridge, ep.hostIface, {
      externalIds: { [EXT.endpoint]: ep.id, [EXT.network]: ep.network, [EXT.container]: ep.containerId },
    });
    await this.vs.waitInterfaceOfport(ep.hostIface);
    await this.onChange();
  }

  async removePort(ep: Endpoint): Promise<void> {
    await this.vs.delPort(this.bridge, ep.hostIface);
    await this.onChange();
  }
}

export interface HostFabricOptions {
  net: LinuxNet;
  vs: Vswitch;
  bridge: string;
  underlay: { ip: string; iface: string };
  /** The overlay app's setView. */
  setView: (view: BridgeView) => Promise<unknown>;
}

/** What the FDB of one network's VXLAN device should hold: flood entries per live peer, one per remote MAC. */
export function desiredFdb(
  net: Network,
  endpoints: readonly Endpoint[],
  peers: ReadonlyMap<string, HostRecord>,
): { flood: string[]; macs: Map<string, string> } {
  const flood = [...new Set([...peers.values()].map((p) => p.underlayIp))].sort();
  const macs = new Map<string, string>();
  for (const ep of endpoints) {
    const peer = peers.get(ep.host);
    if (ep.networkId === net.id && peer) macs.set(ep.mac, peer.underlayIp);
  }
  return { flood, macs };
}

/**
 * How long HostFabric trusts what it did itself (devices made, FDB entries written): within it a sync runs
 * commands only for what changed; after it, a sync reads the devices and FDBs again, so changes made by
 * hand are repaired.
 */
export const FABRIC_CACHE_MS = 10_000;

export class HostFabric implements Fabric {
  private cacheAt = 0;
  /** VXLAN device -> the spec it was made (or checked) with. */
  private readonly devSpecs = new Map<string, string>();
  /** VXLAN device -> its static FDB entries, as the last converge left them. */
  private readonly fdbs = new Map<string, FdbEntry[]>();
  /** The devices the last sync wanted (stale ones are looked for only when the set changes). */
  private lastDevs: string | undefined;
  /** Gateway port -> the spec it was configured with. */
  private readonly gwSpecs = new Map<string, string>();
  /** The gateway ports and iptables rules the last sync left (strays are looked for when these change). */
  private lastGws: string | undefined;
  private lastRules: string | undefined;

  constructor(
    private readonly o: HostFabricOptions,
    private readonly now: () => number = Date.now,
  ) {}

  async sync(s: {
    networks: Network[];
    endpoints: Endpoint[];
    hosts: HostRecord[];
    self: HostRecord;
  }): Promise<void> {
    if (this.now() - this.cacheAt >= FABRIC_CACHE_MS) {
      this.forget();
      this.cacheAt = this.now();
    }
    try {
      await this.converge(s);
    } catch (err) {
      this.forget();
      throw err;
    }
  }

  private forget(): void {
    this.cacheAt = 0;
    this.devSpecs.clear();
    this.fdbs.clear();
    // Unknown, not empty: an empty wanted set after a forget must still look for strays.
    this.lastDevs = undefined;
    this.gwSpecs.clear();
    this.lastGws = undefined;
    this.lastRules = undefined;
  }

  private async converge(s: {
    networks: Network[];
    endpoints: Endpoint[];
    hosts: HostRecord[];
    self: HostRecord;
  }): Promise<void> {
    const { net, vs, bridge } = this.o;
    const peers = new Map(s.hosts.filter((h) => h.id !== s.self.id).map((h) => [h.id, h]));
    const ofports = await this.ofports();
    const view: BridgeView = { networks: [], local: [], remote: [] };
    const wantedDevs = new Set<string>();
    // A network's gateway lives on the hosts where it has endpoints (anycast: the same address and MAC on each).
    const localNets = new Set(s.endpoints.filter((e) => e.host === s.self.id).map((e) => e.networkId));
    const wantedGws = new Set<string>();
    const wantedRules: IptRule[] = [];
    for (const n of s.networks) {
      const spec = {
        vni: n.vni,
        underlayIp: this.o.underlay.ip,
        underlayIface: this.o.underlay.iface,
        mtu: n.mtu,
      };
      let dev = vxlanName(n.vni);
      if (this.devSpecs.get(dev) !== JSON.stringify(spec)) {
        this.fdbs.delete(dev); // a re-created device starts with an empty FDB
        dev = await net.ensureVxlan(spec);
        this.devSpecs.set(dev, JSON.stringify(spec));
      }
      wantedDevs.add(dev);
      let tunnelOfport = ofports.get(dev);
      if (tunnelOfport === undefined) {
        await vs.addPort(bridge, dev, { externalIds: { [EXT.network]: n.name, [EXT.vni]: String(n.vni) } });
        tunnelOfport = await vs.waitInterfaceOfport(dev);
      }
      await this.convergeFdb(dev, desiredFdb(n, s.endpoints, peers));
      if (localNets.has(n.id)) {
        const gateway = await this.ensureGateway(n, ofports);
        wantedGws.add(gatewayName(n.vni));
        wantedRules.push(...gatewayRules(n));
        view.networks.push({ vni: n.vni, tunnelOfport, gateway });
      } else {
        view.networks.push({ vni: n.vni, tunnelOfport });
      }
    }
    await this.removeStrayGateways(wantedGws);
    await this.convergeRules(wantedRules);
    // Devices of networks that are gone.
    const devKey = [...wantedDevs].sort().join(' ');
    if (devKey !== this.lastDevs) {
      const devs = new Set([
        ...(await vs.listPorts(bridge)).filter((p) => p.startsWith(VXLAN_PREFIX)),
        ...(await net.listLinks(VXLAN_PREFIX)),
      ]);
      for (const dev of devs) {
        if (wantedDevs.has(dev)) continue;
        this.devSpecs.delete(dev);
        this.fdbs.delete(dev);
        await vs.delPort(bridge, dev);
        await net.deleteLink(dev);
      }
      this.lastDevs = devKey;
    }
    const vnis = new Set(s.networks.map((n) => n.vni));
    for (const ep of s.endpoints) {
      if (!vnis.has(ep.vni)) continue;
      if (ep.host === s.self.id) {
        const ofport = ofports.get(ep.hostIface);
        if (ofport !== undefined && ofport > 0) {
          view.local.push({ ofport, mac: ep.mac, ip: ep.address, vni: ep.vni } satisfies LocalEndpoint);
        }
      } else if (peers.has(ep.host)) {
        view.remote.push({
          mac: ep.mac,
          ip: ep.address,
          vni: ep.vni,
          host: ep.host,
        } satisfies RemoteEndpoint);
      }
    }
    await this.o.setView(view);
  }

  /**
   * The network's gateway port on this bridge (an OVS internal port named for the VNI), configured with the
   * gateway's address and MAC; IPv4 forwarding on, since the host routes for its gateways.
   */
  private async ensureGateway(n: Network, ofports: Map<string, number>): Promise<GatewayPort> {
    const { net, vs, bridge } = this.o;
    const name = gatewayName(n.vni);
    const mac = gatewayMac(n.vni);
    let ofport = ofports.get(name);
    if (ofport === undefined) {
      this.gwSpecs.delete(name);
      await vs.addPort(bridge, name, {
        type: 'internal',
        externalIds: { [EXT.network]: n.name, [EXT.vni]: String(n.vni) },
      });
      ofport = await vs.waitInterfaceOfport(name);
    }
    const spec = { mac, cidr: `${n.gateway}/${n.subnet.split('/')[1]}`, mtu: n.mtu };
    if (this.gwSpecs.get(name) !== JSON.stringify(spec)) {
      if (this.gwSpecs.size === 0) await net.enableIpv4Forwarding();
      await net.configureGateway(name, spec);
      this.gwSpecs.set(name, JSON.stringify(spec));
    }
    return { ofport, mac, ip: n.gateway };
  }

  /** Gateway ports no network here wants any more (last endpoint gone, network deleted, left by a crash). */
  private async removeStrayGateways(wanted: ReadonlySet<string>): Promise<void> {
    const { net, vs, bridge } = this.o;
    const key = [...wanted].sort().join(' ');
    if (key === this.lastGws) return;
    const ports = (await vs.listPorts(bridge)).filter((p) => p.startsWith(GATEWAY_PREFIX));
    for (const port of ports) {
      if (wanted.has(port)) continue;
      this.gwSpecs.delete(port);
      await vs.delPort(bridge, port);
    }
    // An internal port's kernel device goes with its OVS port; one left by a crashed OVS is removed by hand.
    for (const link of await net.listLinks(GATEWAY_PREFIX)) {
      if (!wanted.has(link)) await net.deleteLink(link);
    }
    this.lastGws = key;
  }

  /** The agent's tagged iptables rules: exactly `wanted`, the others (strays of any earlier run) deleted. */
  private async convergeRules(wanted: IptRule[]): Promise<void> {
    const { net } = this.o;
    const key = wanted.map(ruleKey).sort().join('\n');
    if (key === this.lastRules) return;
    this.lastRules = undefined;
    const want = new Map(wanted.map((r) => [ruleKey(r), r]));
    const have = new Set<string>();
    for (const { table, chain } of RULE_CHAINS) {
      for (const r of await net.listTaggedRules(table, chain)) {
        const k = ruleKey(r);
        if (want.has(k) && !have.has(k)) have.add(k);
        else await net.deleteRule(r);
      }
    }
    for (const [k, r] of want) if (!have.has(k)) await net.insertRule(r);
    this.lastRules = key;
  }

  /** Interface name -> ofport, for every interface of this OVS (one read). */
  private async ofports(): Promise<Map<string, number>> {
    const rows = await this.o.vs.select('Interface', [], ['_uuid', 'name', 'ofport', 'type', 'options']);
    const out = new Map<string, number>();
    for (const r of rows) {
      const i = interfaceFromRow(r);
      if (i.ofport !== undefined && i.ofport > 0) out.set(i.name, i.ofport);
    }
    return out;
  }

  private async convergeFdb(
    dev: string,
    want: { flood: string[]; macs: Map<string, string> },
  ): Promise<void> {
    const { net } = this.o;
    const have = this.fdbs.get(dev) ?? (await net.listFdb(dev));
    this.fdbs.delete(dev); // unknown until every command below has run
    const haveFlood = new Set(have.filter((e) => e.mac === FLOOD_MAC).map((e) => e.dst));
    const haveMacs = new Map(have.filter((e) => e.mac !== FLOOD_MAC).map((e) => [e.mac, e.dst]));
    for (const ip of want.flood) if (!haveFlood.has(ip)) await net.addFloodPeer(dev, ip);
    for (const ip of haveFlood) if (!want.flood.includes(ip)) await net.removeFloodPeer(dev, ip);
    for (const [mac, ip] of want.macs) if (haveMacs.get(mac) !== ip) await net.setRemoteMac(dev, mac, ip);
    for (const mac of haveMacs.keys()) if (!want.macs.has(mac)) await net.removeRemoteMac(dev, mac);
    this.fdbs.set(dev, [
      ...want.flood.map((dst) => ({ mac: FLOOD_MAC, dst })),
      ...[...want.macs].map(([mac, dst]) => ({ mac, dst })),
    ]);
  }
}
