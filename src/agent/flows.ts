/**
 * What the agent knows of its bridge (BridgeView) -> the flows the bridge should have (pure; the overlay app
 * hands them to the reconciler). Tables and bands: pipeline.ts.
 *
 * classify (table 0), priority 100, per port:
 *   container port P (mac M, ip I):  in_port=P, eth_src=M, ip, ipv4_src=I              -> meta=VNI, goto 1
 *                                    in_port=P, eth_src=M, arp, arp_spa=I, arp_sha=M   -> meta=VNI, goto 1
 *   gateway port G (mac M, ip I):    in_port=G, eth_src=M, ip (any source: it routes)  -> meta=VNI, goto 1
 *                                    in_port=G, eth_src=M, arp, arp_spa=I, arp_sha=M   -> meta=VNI, goto 1
 *   tunnel port T:                   in_port=T (the sending host checked its own ports) -> meta=VNI, goto 1
 *   priority 1: anything else dropped (other EtherTypes, spoofed sources, unknown ports).
 * forward (table 1), every flow matches metadata=VNI, so a packet only ever meets its own network's flows:
 *   300  ARP request for a known address (endpoint, remote endpoint, gateway) -> answered to in_port (OVN's
 *        ARP responder: eth/arp addresses swapped with Nicira reg_move, the target's filled in)
 *   200  eth_dst = a known MAC -> its port (a remote endpoint's: the network's tunnel port)
 *   100  anything else of the network (broadcast, multicast, unknown unicast) -> every port of the network
 *        (OVS never sends a packet back out its in_port, so a flood from the tunnel stays local: split horizon)
 *   1    dropped (no network in metadata).
 * The VNI is the metadata value (networks are told apart by VNI on every host alike).
 */
import type { FlowSpec } from '../controller/index.js';
import { OFPP, type Action, type Instruction, type Match } from '../openflow/index.js';
import { ARP_OP, ETH_TYPE } from '../packet/index.js';
import { FieldError, parseIntIn, parseIpv4, parseMac } from '../util/index.js';
import { VNI_MAX } from './network.js';
import { CLASSIFY_TABLE, FORWARD_TABLE } from './pipeline.js';

export interface GatewayPort {
  ofport: number;
  mac: string;
  ip: string;
}

/** A network with something on this host. */
export interface BridgeNetwork {
  vni: number;
  /** The bridge port of this network's VXLAN device, when the network reaches other hosts. */
  tunnelOfport?: number;
  /** The bridge port holding the network's gateway address on this host (outbound NAT), when there is one. */
  gateway?: GatewayPort;
}

/** A container interface plugged into this bridge. */
export interface LocalEndpoint {
  ofport: number;
  mac: string;
  ip: string;
  vni: number;
}

/** An endpoint on another host, reached through the network's tunnel port. */
export interface RemoteEndpoint {
  mac: string;
  ip: string;
  vni: number;
  host: string;
}

export interface BridgeView {
  networks: BridgeNetwork[];
  local: LocalEndpoint[];
  /**
   * Endpoints of other hosts. Those of networks not in `networks` are ignored (nothing here to reach them
   * from), and so are those whose MAC or address a local endpoint of the same network holds (this host
   * plumbed the local one: it is the truth until the store catches up).
   */
  remote: RemoteEndpoint[];
}

export const EMPTY_VIEW: BridgeView = { networks: [], local: [], remote: [] };

export const PRIORITY = {
  classifyAllow: 100,
  classifyDrop: 1,
  arpResponder: 300,
  unicast: 200,
  flood: 100,
  forwardDrop: 1,
} as const;

const ALL_ONES_64 = 0xffff_ffff_ffff_ffffn;

/** OFPP.MAX: the highest physical port number. */
const OFPORT_MAX = OFPP.MAX;

/** Checks the view's shape and consistency; FieldError names the entry at fault (`local[2].mac`). */
export function validateView(raw: unknown): BridgeView {
  if (typeof raw !== 'object' || raw === null) throw new FieldError('view', 'must be an object');
  const v = raw as Partial<BridgeView>;
  for (const k of ['networks', 'local', 'remote'] as const) {
    if (!Array.isArray(v[k])) throw new FieldError(k, 'must be a list');
  }
  const ports = new Map<number, string>();
  const takePort = (field: string, raw: unknown) => {
    const n = parseIntIn(field, num(field, raw), 1, OFPORT_MAX);
    const other = ports.get(n);
    if (other) throw new FieldError(field, `ofport ${n} is already ${other}'s`);
    ports.set(n, field);
    return n;
  };
  const vnis = new Set<number>();
  const networks = v.networks!.map((n: BridgeNetwork, i): BridgeNetwork => {
    const f = `networks[${i}]`;
    const vni = parseIntIn(`${f}.vni`, num(`${f}.vni`, n?.vni), 1, VNI_MAX);
    if (vnis.has(vni)) throw new FieldError(`${f}.vni`, `VNI ${vni} is listed twice`);
    vnis.add(vni);
    const out: BridgeNetwork = { vni };
    if (n.tunnelOfport !== undefined) out.tunnelOfport = takePort(`${f}.tunnelOfport`, n.tunnelOfport);
    if (n.gateway !== undefined) {
      out.gateway = {
        ofport: takePort(`${f}.gateway.ofport`, n.gateway.ofport),
        mac: unicastMac(`${f}.gateway.mac`, n.gateway.mac),
        ip: ipv4(`${f}.gateway.ip`, n.gateway.ip),
      };
    }
    return out;
  });
  // Per network: who holds each MAC and address (gateway and local endpoints; remote ones are checked apart).
  const held = new Map<string, string>();
  const hold = (field: string, vni: number, what: string) => {
    const key = `${vni} ${what}`;
    const other = held.get(key);
    if (other) throw new FieldError(field, `${what} is already ${other}'s in VNI ${vni}`);
    held.set(key, field);
  };
  networks.forEach((n, i) => {
    if (n.gateway) {
      hold(`networks[${i}].gateway.mac`, n.vni, n.gateway.mac);
      hold(`networks[${i}].gateway.ip`, n.vni, n.gateway.ip);
    }
  });
  const local = v.local!.map((e: LocalEndpoint, i): LocalEndpoint => {
    const f = `local[${i}]`;
    const vni = parseIntIn(`${f}.vni`, num(`${f}.vni`, e?.vni), 1, VNI_MAX);
    if (!vnis.has(vni)) throw new FieldError(`${f}.vni`, `VNI ${vni} is not one of the view's networks`);
    const out = {
      ofport: takePort(`${f}.ofport`, e.ofport),
      mac: unicastMac(`${f}.mac`, e.mac),
      ip: ipv4(`${f}.ip`, e.ip),
      vni,
    };
    hold(`${f}.mac`, vni, out.mac);
    hold(`${f}.ip`, vni, out.ip);
    return out;
  });
  const remote = v.remote!.map((e: RemoteEndpoint, i): RemoteEndpoint => {
    const f = `remote[${i}]`;
    if (typeof e?.host !== 'string' || e.host === '') throw new FieldError(`${f}.host`, 'must be a host id');
    return {
      mac: unicastMac(`${f}.mac`, e.mac),
      ip: ipv4(`${f}.ip`, e.ip),
      vni: parseIntIn(`${f}.vni`, num(`${f}.vni`, e.vni), 1, VNI_MAX),
      host: e.host,
    };
  });
  return { networks, local, remote };
}

function num(field: string, v: unknown): number | string {
  if (typeof v === 'number' || typeof v === 'string') return v;
  throw new FieldError(field, `must be a number, got ${v === undefined ? 'nothing' : typeof v}`);
}

function ipv4(field: string, v: unknown): string {
  if (typeof v !== 'string') throw new FieldError(field, 'must be an IPv4 address string');
  return parseIpv4(field, v);
}

function unicastMac(field: string, v: unknown): string {
  if (typeof v !== 'string') throw new FieldError(field, 'must be a MAC address string');
  const mac = parseMac(field, v);
  if (parseInt(mac.slice(0, 2), 16) & 1) throw new FieldError(field, `${mac} is a multicast MAC`);
  return mac;
}

/** The flows for `view` (validated first: see validateView); the owner's cookie is the reconciler's to add. */
export function overlayFlows(view: BridgeView): FlowSpec[] {
  const v = validateView(view);
  const flows: FlowSpec[] = [
    { tableId: CLASSIFY_TABLE, priority: PRIORITY.classifyDrop, match: {}, instructions: [] },
    { tableId: FORWARD_TABLE, priority: PRIORITY.forwardDrop, match: {}, instructions: [] },
  ];
  for (const net of v.networks) {
    const local = v.local.filter((e) => e.vni === net.vni);
    const taken = new Set(local.flatMap((e) => [e.mac, e.ip]));
    if (net.gateway) taken.add(net.gateway.mac).add(net.gateway.ip);
    const remote = v.remote.filter((e) => e.vni === net.vni && !taken.has(e.mac) && !taken.has(e.ip));
    const enter = enterNetwork(net.vni);
    const metadata = { metadata: BigInt(net.vni) };

    // classify
    for (const e of local) {
      for (const m of sourceMatches(e.ofport, e.mac, e.ip, true)) flows.push(classify(m, enter));
    }
    if (net.gateway) {
      const g = net.gateway;
      for (const m of sourceMatches(g.ofport, g.mac, g.ip, false)) flows.push(classify(m, enter));
    }
    if (net.tunnelOfport !== undefined) flows.push(classify({ in_port: net.tunnelOfport }, enter));

    // forward: ARP answers
    const known: { mac: string; ip: string }[] = [...local, ...(net.gateway ? [net.gateway] : [])];
    if (net.tunnelOfport !== undefined) known.push(...remote);
    for (const k of known) {
      flows.push({
        tableId: FORWARD_TABLE,
        priority: PRIORITY.arpResponder,
        match: { ...metadata, eth_type: ETH_TYPE.ARP, arp_op: ARP_OP.REQUEST, arp_tpa: k.ip },
        instructions: [{ type: 'apply_actions', actions: arpReply(k.mac, k.ip) }],
      });
    }
    // forward: unicast
    const unicast: [mac: string, port: number][] = local.map((e) => [e.mac, e.ofport]);
    if (net.gateway) unicast.push([net.gateway.mac, net.gateway.ofport]);
    if (net.tunnelOfport !== undefined) for (const r of remote) unicast.push([r.mac, net.tunnelOfport]);
    for (const [mac, port] of unicast) {
      flows.push({
        tableId: FORWARD_TABLE,
        priority: PRIORITY.unicast,
        match: { ...metadata, eth_dst: mac },
        instructions: [{ type: 'apply_actions', actions: [output(port)] }],
      });
    }
    // forward: flood within the network
    const ports = networkPorts(v, net);
    flows.push({
      tableId: FORWARD_TABLE,
      priority: PRIORITY.flood,
      match: metadata,
      instructions: ports.length ? [{ type: 'apply_actions', actions: ports.map(output) }] : [],
    });
  }
  return flows;
}

/** Every bridge port of `net` on this host (containers, gateway, tunnel), ascending. */
export function networkPorts(view: BridgeView, net: BridgeNetwork): number[] {
  const ports = view.local.filter((e) => e.vni === net.vni).map((e) => e.ofport);
  if (net.gateway) ports.push(net.gateway.ofport);
  if (net.tunnelOfport !== undefined) ports.push(net.tunnelOfport);
  return ports.sort((a, b) => a - b);
}

function enterNetwork(vni: number): Instruction[] {
  return [
    { type: 'write_metadata', metadata: BigInt(vni), mask: ALL_ONES_64 },
    { type: 'goto_table', tableId: FORWARD_TABLE },
  ];
}

function classify(match: Match, instructions: Instruction[]): FlowSpec {
  return { tableId: CLASSIFY_TABLE, priority: PRIORITY.classifyAllow, match, instructions };
}

/** What a port may send: IPv4 from its MAC (and its address unless it routes), ARP claiming only itself. */
function sourceMatches(port: number, mac: string, ip: string, ownIpOnly: boolean): Match[] {
  const ipv4: Match = { in_port: port, eth_src: mac, eth_type: ETH_TYPE.IPV4 };
  if (ownIpOnly) ipv4.ipv4_src = ip;
  return [ipv4, { in_port: port, eth_src: mac, eth_type: ETH_TYPE.ARP, arp_spa: ip, arp_sha: mac }];
}

function output(port: number): Action {
  return { type: 'output', port, maxLen: 0 };
}

// Nicira extension: NXAST_REG_MOVE copies one field into another (OpenFlow 1.3 has no copy of its own).
const NX_VENDOR_ID = 0x00002320;
const NXAST_REG_MOVE = 6;
/** NXM headers: (vendor << 16) | (field << 9) | length. */
export const NXM = {
  ETH_DST: 0x0000_0206,
  ETH_SRC: 0x0000_0406,
  ARP_SPA: 0x0000_2004,
  ARP_TPA: 0x0000_2204,
  ARP_SHA: 0x0001_2206,
  ARP_THA: 0x0001_2406,
} as const;

/** NXAST_REG_MOVE of a whole field (`bits` wide) into another of the same width. */
export function regMove(src: number, dst: number, bits: number): Action {
  const data = Buffer.alloc(16);
  data.writeUInt16BE(NXAST_REG_MOVE, 0);
  data.writeUInt16BE(bits, 2);
  data.writeUInt16BE(0, 4); // src_ofs
  data.writeUInt16BE(0, 6); // dst_ofs
  data.writeUInt32BE(src, 8);
  data.writeUInt32BE(dst, 12);
  return { type: 'experimenter', experimenter: NX_VENDOR_ID, data };
}

/** Turns an ARP request for `ip` into the reply `mac` would send, back out the port it came in on. */
export function arpReply(mac: string, ip: string): Action[] {
  return [
    regMove(NXM.ETH_SRC, NXM.ETH_DST, 48),
    { type: 'set_field', field: 'eth_src', value: mac },
    { type: 'set_field', field: 'arp_op', value: ARP_OP.REPLY },
    regMove(NXM.ARP_SHA, NXM.ARP_THA, 48),
    { type: 'set_field', field: 'arp_sha', value: mac },
    regMove(NXM.ARP_SPA, NXM.ARP_TPA, 32),
    { type: 'set_field', field: 'arp_spa', value: ip },
    { type: 'output', port: OFPP.IN_PORT, maxLen: 0 },
  ];
}
