/**
 * Reactive forwarding.
 *
 * Path mode (topology and hosts apps present): a packet to a known host gets a flow on every switch of the
 * shortest path (destination switch first, so the packet does not punt again on the way), then a
 * PACKET_OUT; broadcast, multicast and unknown destinations are flooded only along the spanning tree
 * (host ports + tree ports, never back out of the in_port), and such packets arriving on a blocked
 * inter-switch port are dropped, so rings do not storm. ARP requests for a known IPv4 address are answered
 * by the controller (proxy ARP, on by default); the rest are flooded like any broadcast.
 *
 * L2 mode (no topology): a per-switch learning switch (what cbench exercises).
 *
 * Flows go where the pipeline puts them: paths in the forwarding stage (the last table on OpenFlow 1.3, whose
 * miss brings packets here), cached deny verdicts in the filter stage.
 *
 * A 'deny' verdict from an earlier app (firewall) wins: a drop flow for the decision's match, no forwarding.
 * An 'allow' verdict with a match narrows every flow this packet causes to that match (the firewall's cached
 * decision must not cover packets it would treat differently) and ORs `notes.forwarding.cookieTag` (low 48
 * bits) into their cookie, so the deciding app can delete exactly the flows its decision caused.
 *
 * Invalidation: multi-hop flows are recorded (they carry SEND_FLOW_REM, so the record lives exactly as long
 * as the flow); when a link they use goes away they are deleted and traffic re-punts onto the new path.
 * When a host moves or is forgotten, flows towards its old location are deleted.
 *
 * Route constraints (host-aware rerouting, the seed's "kill route"): a host's traffic, both ways, takes the
 * fewest-hop route that avoids the switches and links its constraints name. Setting or clearing one deletes the
 * host's path flows, so its next packets punt and take the new route. When no route avoids them, its packets
 * are dropped rather than flooded (a flood would cross what was to be avoided). In a cluster, constraints and
 * service addresses are stored and every member holds them (shared.ts): the leader sets them, each master
 * forwards its switches' packets by them.
 *
 * Service addresses (host-aware load balancing, the idea of Floodlight's LoadBalancer module; path mode only, L2
 * mode ignores them): a virtual IPv4 address (optionally ip:port) whose ARP requests the controller answers with
 * a virtual MAC, and whose traffic is translated to one pool member and back. Each connection (TCP/UDP 5-tuple,
 * other protocols per client and protocol) gets its own flows above the ordinary path flows: on the client's
 * switch the destination MAC and IP are rewritten to the member's, on the member's switch the source of the
 * replies back to the service's; the hops between forward the rewritten packets. The member is picked when the
 * connection's first packet punts, so changing the member moves new connections only; a connection keeps its
 * member until one of its flows idles out (then all of them go, and its next packet picks again). Traffic to the
 * address that no service translates, or whose member cannot be reached, is dropped, never flooded.
 * Not done: a member calling its own service (that needs the source rewritten too: dropped), and ICMP errors a
 * member sends about a TCP/UDP connection (they leave with the member's own address). A one-way UDP stream's
 * reply flows idle out first, which ends the connection: its next packet goes to the member of that moment.
 */
import {
  APP_COOKIE_MASK,
  DEFAULT_PIPELINE,
  appCookie,
  flowDelete,
  flowKey,
  flowMod,
  type App,
  type AppContext,
  type Disposition,
  switchSink,
  type OfMessageBody,
  type Outgoing,
  type PacketDecision,
  type Place,
  type Sink,
  type SwitchSession,
} from '../../controller/index.js';
import {
  OFPFC,
  OFPFF_SEND_FLOW_REM,
  OFPP,
  OFP_NO_BUFFER,
  OFP_VERSION_1_3,
  L2FlowModTemplate,
  decode,
  type OfVersion,
  type Action,
  type FlowRemoved,
  type Match,
  type PacketIn,
} from '../../openflow/index.js';
import {
  ARP_OP,
  buildArpReply,
  buildArpRequest,
  ipv4NumToText,
  macNumToText,
  type EthernetFrame,
} from '../../packet/index.js';
import { ConflictError, FieldError } from '../../util/index.js';
import type { HostsApp, Host } from '../hosts/index.js';
import {
  undirectedKey,
  type Avoid,
  type Hop,
  type TopologyApp,
  type TopologyChange,
} from '../topology/index.js';
import {
  connKey,
  connMatch,
  connOf,
  memberView,
  parseMember,
  parseService,
  type ConnTuple,
  type ParsedMember,
  type ParsedService,
  type ServiceAddress,
  type ServiceMember,
  type ServiceView,
} from './service.js';
import { SharedForwarding } from './shared.js';

export const FORWARDING_APP_ID = 3;
const OFPVID_PRESENT = 0x1000;
/** FLOW_REMOVED reason: the flow was deleted by a FLOW_MOD (not aged out). */
const OFPRR_DELETE = 2;
/** At most one ARP probe for an unknown pool member per service this often. */
const PROBE_INTERVAL_MS = 1000;

export interface ForwardingOptions {
  /** Idle timeout of reactive flows in seconds; default 5. */
  idleTimeout?: number;
  /** Answer ARP requests for known hosts from the controller; default true. */
  proxyArp?: boolean;
  /** 'auto' (default): path mode when the topology and hosts handles are given, else L2 learning. */
  mode?: 'auto' | 'path' | 'l2';
  /** The services path mode routes with (typed handles; absent: L2 learning). */
  topology?: TopologyApp;
  hosts?: HostsApp;
}

/** A reactive flow encoded by a template: `msg` is decoded from the bytes only when someone reads it. */
class PrecompiledOutgoing implements Outgoing {
  constructor(
    readonly dpid: bigint,
    readonly frame: Buffer,
  ) {}
  get msg(): OfMessageBody {
    const { version: _version, xid: _xid, ...body } = decode(this.frame);
    return body as OfMessageBody;
  }
}

interface PathFlow {
  match: Match;
  /** Undirected keys of the links the path used. */
  links: string[];
  srcMac: number;
  dstMac: number;
}

/** A service as the app keeps it: the validated address, its member now, and its installed connections. */
interface ServiceState extends Omit<ParsedService, 'member'> {
  member: ParsedMember;
  conns: Map<string, Connection>;
  /** What was logged about the current member (unknown, no route), so a busy client does not flood the log. */
  warned: Set<string>;
  probedAt: number;
}

/** One installed service flow: where, and its identity as FLOW_REMOVED reports it. */
interface ConnFlow {
  dpid: bigint;
  match: Match;
  priority: number;
  key: string;
}

/** One connection's flows, both directions, and what invalidates them. */
interface Connection {
  svc: ServiceState;
  key: string;
  clientMac: number;
  memberMac: number;
  links: string[];
  flows: ConnFlow[];
}

/** A route constraint as set: whose traffic (MAC as a number), and what it avoids. */
export interface RouteConstraint {
  id: string;
  mac: number;
  avoid: Avoid;
}

export class ForwardingApp implements App {
  readonly name = 'forwarding';
  readonly cookie = appCookie(FORWARDING_APP_ID);
  /** Verdict-setting apps (firewall, acl) and the learners run first; absent ones are ignored. */
  readonly after = ['topology', 'hosts', 'firewall', 'acl'];
  readonly idleTimeout: number;
  readonly proxyArp: boolean;
  private readonly modeOpt: 'auto' | 'path' | 'l2';
  private ctx: AppContext | undefined;
  private topology: TopologyApp | undefined;
  private hosts: HostsApp | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  /** L2 mode: per switch, MAC (as number) -> port. */
  private readonly macTables = new Map<bigint, Map<number, number>>();
  /** Path mode: multi-hop flows per switch, keyed by match identity. */
  private readonly pathFlows = new Map<bigint, Map<string, PathFlow>>();
  /** Route constraints by their owner's id (a host-aware rule and host). */
  private readonly constraints = new Map<string, RouteConstraint>();
  /** Service addresses by owner id, and the indexes the packet path looks them up by (VIP, VMAC). */
  private readonly servicesById = new Map<string, ServiceState>();
  private readonly servicesByIp = new Map<number, ServiceState[]>();
  private readonly servicesByMac = new Map<number, ServiceState[]>();
  /** Service connection flows per switch, keyed as flowRemoved sees them. */
  private readonly serviceFlows = new Map<bigint, Map<string, Connection>>();
  /** Reactive-flow templates by version and flags (built on first use). */
  private readonly templates = new Map<number, L2FlowModTemplate>();
  /** Where messages go; replaced by tests to capture instead of sending. */
  private sink: Sink = switchSink(() => this.ctx?.controller.switches);
  /** In a cluster: the route constraints and service addresses every member holds (shared.ts). */
  private shared: SharedForwarding | undefined;

  constructor(opts: ForwardingOptions = {}) {
    this.idleTimeout = opts.idleTimeout ?? 5;
    this.proxyArp = opts.proxyArp ?? true;
    this.modeOpt = opts.mode ?? 'auto';
    if (this.modeOpt !== 'l2') {
      this.topology = opts.topology;
      this.hosts = opts.hosts;
      if (this.modeOpt === 'path' && !(this.topology && this.hosts)) {
        throw new Error('forwarding.mode: "path" needs the topology and hosts handles');
      }
    }
  }

  get mode(): 'path' | 'l2' {
    return this.topology && this.hosts ? 'path' : 'l2';
  }

  async start(ctx: AppContext): Promise<void> {
    this.ctx = ctx;
    if (ctx.cluster) {
      this.shared = new SharedForwarding(ctx, {
        setConstraint: (id, mac, avoid) => this.putConstraint(id, mac, avoid),
        clearConstraint: (id) => this.dropConstraint(id),
        setService: (s) => this.putService(s),
        clearService: (id) => this.dropServiceById(id),
      });
      await this.shared.start();
    }
    if (this.topology)
      this.unsubscribe.push(this.topology.on('topology_changed', (c) => this.onTopologyChanged(c)));
    if (this.hosts) {
      this.unsubscribe.push(this.hosts.on('host_moved', (m) => this.onHostGone(m.host.mac, m.from)));
      this.unsubscribe.push(this.hosts.on('host_removed', (h) => this.onHostGone(h.mac, h)));
    }
  }

  stop(): void {
    this.shared?.stop();
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** Resolves when the other members' changes seen so far are applied (tests). */
  synced(): Promise<void> {
    return this.shared?.settled() ?? Promise.resolve();
  }

  /** Counters for the API: multi-hop flows tracked for invalidation, L2-mode MAC table entries. */
  stats(): { pathFlows: number; macEntries: number } {
    let pathFlows = 0;
    for (const m of this.pathFlows.values()) pathFlows += m.size;
    let macEntries = 0;
    for (const m of this.macTables.values()) macEntries += m.size;
    return { pathFlows, macEntries };
  }

  /** Capture outgoing messages instead of sending them (unit tests). */
  setSink(sink: Sink): void {
    this.sink = sink;
  }

  /** Where this app's `role` flows go on a switch of `version` ('paths' or 'verdict'). */
  place(version: OfVersion, role: 'paths' | 'verdict' = 'paths'): Place {
    return (this.ctx?.pipeline ?? DEFAULT_PIPELINE).place(this.name, role, version);
  }

  switchDisconnected(dpid: bigint): void {
    this.macTables.delete(dpid);
    this.pathFlows.delete(dpid);
    // A connection with a hop on a switch that went away is broken: its flows elsewhere go too.
    if (this.serviceFlows.has(dpid)) this.deleteConnections((c) => c.flows.some((f) => f.dpid === dpid));
    this.serviceFlows.delete(dpid);
  }

  flowRemoved(sw: SwitchSession, msg: FlowRemoved): void {
    if ((msg.cookie & APP_COOKIE_MASK) !== this.cookie) return;
    const key = flowKey({ tableId: 0, priority: msg.priority, match: msg.match }, OFP_VERSION_1_3);
    const conn = this.serviceFlows.size > 0 ? this.serviceFlows.get(sw.dpid)?.get(key) : undefined;
    if (conn !== undefined) {
      // Deletes are this app's own (the records went with them), or a replaced connection's leftovers whose
      // key may already be the new connection's: only an aged-out flow ends a connection.
      if (msg.reason !== OFPRR_DELETE) {
        this.deleteConnection(conn, (f) => f.dpid !== sw.dpid || f.key !== key);
      }
      return;
    }
    this.pathFlows.get(sw.dpid)?.delete(key);
  }

  packetIn(sw: SwitchSession, msg: PacketIn, frame: EthernetFrame, decision: PacketDecision): Disposition {
    const inPort = msg.match.in_port;
    if (inPort === undefined || frame.srcNum < 0) return 'stop';
    if (decision.verdict === 'deny') {
      this.deny(sw, msg, decision);
      return 'stop';
    }
    // Bridges never forward link-local control frames (01:80:c2:00:00:0x: STP, LACP, LLDP...).
    if (frame.dstNum >= 0x0180c2000000 && frame.dstNum <= 0x0180c200000f) {
      this.release(sw, msg);
      return 'stop';
    }
    const narrow = narrowingOf(decision);
    if (this.topology && this.hosts)
      this.forwardPath(sw, msg, inPort, frame, this.topology, this.hosts, narrow);
    else this.forwardL2(sw, msg, inPort, frame, narrow);
    return 'stop';
  }

  // -------------------------------------------------------------------------------- route constraints

  /**
   * Sets (or replaces) constraint `id`: traffic from and to the host with MAC `mac` avoids `avoid`'s switches
   * and links. The host's current path flows are deleted, so its next packets take the constrained route.
   */
  setRouteConstraint(id: string, mac: number, avoid: Avoid): void {
    this.putConstraint(id, mac, avoid);
    this.shared?.constraintSet(id, mac, avoid);
  }

  private putConstraint(id: string, mac: number, avoid: Avoid): void {
    const before = this.constraints.get(id);
    this.constraints.set(id, { id, mac, avoid });
    if (before && before.mac !== mac) this.resetHostPaths(before.mac);
    this.resetHostPaths(mac);
  }

  /** Removes constraint `id` (nothing when unknown); the host's flows are redone on the unconstrained route. */
  clearRouteConstraint(id: string): boolean {
    this.shared?.constraintCleared(id);
    return this.dropConstraint(id);
  }

  private dropConstraint(id: string): boolean {
    const c = this.constraints.get(id);
    if (!c) return false;
    this.constraints.delete(id);
    this.resetHostPaths(c.mac);
    return true;
  }

  routeConstraints(): RouteConstraint[] {
    return [...this.constraints.values()];
  }

  /** What the traffic between two hosts must avoid: every constraint on either, merged; undefined if none. */
  private avoidFor(srcMac: number, dstMac: number): Avoid | undefined {
    let switches: Set<bigint> | undefined;
    let links: Set<string> | undefined;
    for (const c of this.constraints.values()) {
      if (c.mac !== srcMac && c.mac !== dstMac) continue;
      for (const d of c.avoid.switches ?? []) (switches ??= new Set()).add(d);
      for (const l of c.avoid.links ?? []) (links ??= new Set()).add(l);
    }
    return switches || links ? { ...(switches ? { switches } : {}), ...(links ? { links } : {}) } : undefined;
  }

  /**
   * Deletes the host's path flows, both directions: the recorded multi-hop ones everywhere, and on OpenFlow 1.3
   * (which filters by this app's cookie) every flow of this app that matches the host's MAC.
   */
  private resetHostPaths(mac: number): void {
    this.deletePathFlows((f) => f.srcMac === mac || f.dstMac === mac);
    this.deleteConnections((c) => c.clientMac === mac || c.memberMac === mac);
    const text = macNumToText(mac);
    for (const sw of this.ctx?.controller.switches.values() ?? []) {
      if (sw.version !== OFP_VERSION_1_3) continue;
      for (const match of [{ eth_src: text }, { eth_dst: text }]) {
        this.sink({ dpid: sw.dpid, msg: this.deleteMod(match, OFPFC.DELETE, 0, OFPP.ANY, sw.version) });
      }
    }
  }

  // ------------------------------------------------------------------------------------------ path mode

  private forwardPath(
    sw: SwitchSession,
    msg: PacketIn,
    inPort: number,
    frame: EthernetFrame,
    topo: TopologyApp,
    hosts: HostsApp,
    narrow: Narrowing | undefined,
  ): void {
    // The one cost services add to other traffic: this size check.
    if (this.servicesById.size > 0 && this.serviceFrame(sw, msg, inPort, frame, topo, hosts, narrow)) return;
    const dst = frame.isMulticast ? undefined : hosts.byMacNum(frame.dstNum);
    if (dst === undefined) {
      const arp = frame.arp;
      if (this.proxyArp && arp !== undefined && arp.op === ARP_OP.REQUEST) {
        const target = hosts.byIpv4Num(arp.tpaNum);
        if (target !== undefined && target.mac !== arp.shaNum) {
          this.answerArp(sw, inPort, frame, target.mac, target.ipv4);
          this.release(sw, msg);
          return;
        }
      }
      this.flood(sw, msg, inPort, topo);
      return;
    }
    const avoid = this.constraints.size > 0 ? this.avoidFor(frame.srcNum, dst.mac) : undefined;
    const hops = topo.route(sw.dpid, inPort, dst.dpid, dst.port, avoid);
    if (hops === undefined && avoid !== undefined) {
      this.release(sw, msg); // no route stays off what the constraint names: drop, never flood around it
      return;
    }
    if (hops === undefined) {
      // Came in where the destination lives (a hub, or a stale entry): nothing to do but drop it.
      if (dst.dpid === sw.dpid && dst.port === inPort) this.release(sw, msg);
      else this.flood(sw, msg, inPort, topo);
      return;
    }
    this.installPath(sw, msg, frame, hops, narrow);
  }

  private installPath(
    sw: SwitchSession,
    msg: PacketIn,
    frame: EthernetFrame,
    hops: Hop[],
    narrow: Narrowing | undefined,
  ): void {
    const multiHop = hops.length > 1;
    const links = multiHop ? pathLinks(hops) : [];
    const buffered = msg.bufferId !== OFP_NO_BUFFER;
    const flags = multiHop ? OFPFF_SEND_FLOW_REM : 0;
    // Destination switch first so the packet never overtakes its flows.
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i];
      const bufferId = i === 0 && buffered ? msg.bufferId : OFP_NO_BUFFER;
      const version =
        hop.dpid === sw.dpid ? sw.version : this.ctx?.controller.switches.get(hop.dpid)?.version;
      const fast = this.precompiled(
        hop.dpid,
        version,
        narrow,
        frame,
        flags,
        bufferId,
        hop.inPort,
        hop.outPort,
      );
      // The match object: for the generic message, and as the record of a multi-hop flow.
      const match = fast === undefined || multiHop ? reactiveMatch(narrow, hop.inPort, frame) : undefined;
      const place = this.place(version ?? sw.version);
      this.sink(
        fast ?? {
          dpid: hop.dpid,
          msg: this.flowMod(match!, [{ type: 'output', port: hop.outPort, maxLen: 0 }], place, {
            bufferId,
            flags,
            cookieTag: narrow?.cookieTag,
          }),
        },
      );
      if (multiHop) {
        let perSwitch = this.pathFlows.get(hop.dpid);
        if (!perSwitch) this.pathFlows.set(hop.dpid, (perSwitch = new Map()));
        // Keyed as flowRemoved sees it (one table for this app's paths, version-free key).
        perSwitch.set(flowKey({ tableId: 0, priority: place.low, match: match! }, OFP_VERSION_1_3), {
          match: match!,
          links,
          srcMac: frame.srcNum,
          dstMac: frame.dstNum,
        });
      }
    }
    // A buffered packet went with the ingress FLOW_MOD; an unbuffered one needs its own PACKET_OUT.
    if (!buffered) this.packetOut(sw.dpid, msg, [{ type: 'output', port: hops[0].outPort, maxLen: 0 }]);
  }

  private flood(sw: SwitchSession, msg: PacketIn, inPort: number, topo: TopologyApp): void {
    // A flood copy arriving over a blocked link went around a loop: drop it.
    if (topo.isInterSwitchPort(sw.dpid, inPort) && !topo.isFloodPort(sw.dpid, inPort)) {
      this.release(sw, msg);
      return;
    }
    const actions: Action[] = [];
    for (const p of topo.floodPorts(sw.dpid))
      if (p !== inPort) actions.push({ type: 'output', port: p, maxLen: 0 });
    this.packetOut(sw.dpid, msg, actions);
  }

  private answerArp(sw: SwitchSession, inPort: number, frame: EthernetFrame, mac: number, ip: number): void {
    const arp = frame.arp!;
    const data = buildArpReply({
      answerMac: macNumToText(mac),
      answerIp: ipv4NumToText(ip),
      requesterMac: arp.sha,
      requesterIp: arp.spa,
      vlan: frame.vlan ? { vid: frame.vlan.vid, pcp: frame.vlan.pcp } : undefined,
    });
    this.sink({
      dpid: sw.dpid,
      msg: {
        type: 'packet_out',
        bufferId: OFP_NO_BUFFER,
        inPort: OFPP.CONTROLLER,
        actions: [{ type: 'output', port: inPort, maxLen: 0 }],
        data,
      },
    });
  }

  // ---------------------------------------------------------------------------------- service addresses

  /**
   * Adds or replaces service `s.id` (path mode; L2 mode keeps it but ignores it). Replacing only the member
   * acts as setServiceMember; a new address, port or MAC deletes the old one's connections. Throws FieldError
   * naming the field at fault, ConflictError when another service already takes that address (and port).
   */
  setService(s: ServiceAddress): void {
    this.putService(s);
    this.shareService(s.id);
  }

  /** Stores service `id` as it is now (in a cluster), so every member forwards to the same member. */
  private shareService(id: string): void {
    const svc = this.servicesById.get(id);
    if (!this.shared || !svc) return;
    const rec: ServiceAddress = { id, ip: svc.ip, mac: svc.mac, member: memberView(svc.member) };
    this.shared.serviceSet(svc.port === undefined ? rec : { ...rec, port: svc.port });
  }

  private putService(s: ServiceAddress): void {
    const p = parseService(s);
    for (const other of this.servicesByIp.get(p.ipNum) ?? []) {
      if (other.id === p.id) continue;
      if (other.port === undefined || p.port === undefined || other.port === p.port) {
        const what = other.port === undefined ? other.ip : `${other.ip}:${other.port}`;
        throw new ConflictError(
          p.port === undefined ? 'ip' : 'port',
          `${what} is already service ${other.id}`,
        );
      }
      if (other.macNum !== p.macNum) {
        throw new ConflictError('mac', `${p.ip} answers ARP with ${other.mac} already (service ${other.id})`);
      }
    }
    for (const other of this.servicesByMac.get(p.macNum) ?? []) {
      if (other.id !== p.id && other.ipNum !== p.ipNum) {
        throw new ConflictError('mac', `${p.mac} is already the MAC of ${other.ip} (service ${other.id})`);
      }
    }
    const before = this.servicesById.get(p.id);
    if (before && before.ipNum === p.ipNum && before.port === p.port && before.macNum === p.macNum) {
      this.setMember(before, p.member);
      return;
    }
    if (before) this.dropService(before);
    const svc: ServiceState = { ...p, conns: new Map(), warned: new Set(), probedAt: -Infinity };
    this.servicesById.set(p.id, svc);
    indexAdd(this.servicesByIp, p.ipNum, svc);
    indexAdd(this.servicesByMac, p.macNum, svc);
  }

  /**
   * Where service `id`'s new connections go from now on; its existing connections keep their member until
   * their flows idle out. False when there is no such service. Throws FieldError (`member.ip`...) on bad input.
   */
  setServiceMember(id: string, member: ServiceMember): boolean {
    const parsed = parseMember(member);
    const svc = this.servicesById.get(id);
    if (svc === undefined) return false;
    if (parsed.ipNum === svc.ipNum)
      throw new FieldError('member.ip', `is the service address ${svc.ip} itself`);
    this.setMember(svc, parsed);
    this.shareService(id);
    return true;
  }

  /** Removes service `id` and deletes every flow it installed; false when there is no such service. */
  clearService(id: string): boolean {
    this.shared?.serviceCleared(id);
    return this.dropServiceById(id);
  }

  private dropServiceById(id: string): boolean {
    const svc = this.servicesById.get(id);
    if (svc === undefined) return false;
    this.dropService(svc);
    return true;
  }

  services(): ServiceView[] {
    return [...this.servicesById.values()].map((s) => ({
      id: s.id,
      ip: s.ip,
      ...(s.port !== undefined ? { port: s.port } : {}),
      mac: s.mac,
      member: memberView(s.member),
      connections: s.conns.size,
    }));
  }

  private setMember(svc: ServiceState, member: ParsedMember): void {
    svc.member = member;
    svc.warned.clear();
    svc.probedAt = -Infinity;
  }

  private dropService(svc: ServiceState): void {
    this.deleteConnections((c) => c.svc === svc);
    this.servicesById.delete(svc.id);
    indexRemove(this.servicesByIp, svc.ipNum, svc);
    indexRemove(this.servicesByMac, svc.macNum, svc);
  }

  /** Handles the frame if it concerns a service address (ARP for it, traffic to it); false otherwise. */
  private serviceFrame(
    sw: SwitchSession,
    msg: PacketIn,
    inPort: number,
    frame: EthernetFrame,
    topo: TopologyApp,
    hosts: HostsApp,
    narrow: Narrowing | undefined,
  ): boolean {
    const ip = frame.ipv4;
    if (ip !== undefined) {
      const svcs = this.servicesByIp.get(ip.dstNum);
      if (svcs !== undefined) {
        for (const svc of svcs) {
          const conn = connOf(frame, svc.port);
          if (conn !== undefined) {
            this.serviceConnection(sw, msg, inPort, frame, svc, conn, topo, hosts, narrow);
            return true;
          }
        }
        this.release(sw, msg); // no service takes this port or protocol: nothing else may have the address
        return true;
      }
    } else if (frame.arp !== undefined && frame.arp.op === ARP_OP.REQUEST) {
      // Answered whether or not proxy ARP is on: no host owns the address to answer it.
      const svc = this.servicesByIp.get(frame.arp.tpaNum)?.[0];
      if (svc !== undefined) {
        this.answerArp(sw, inPort, frame, svc.macNum, svc.ipNum);
        this.release(sw, msg);
        return true;
      }
    }
    // Anything else sent to a virtual MAC (a member's answer to a probe, non-IP frames) ends here.
    if (this.servicesByMac.has(frame.dstNum)) {
      this.release(sw, msg);
      return true;
    }
    return false;
  }

  /** The first packet of a connection to `svc`: its flows to the current member and back, then the packet. */
  private serviceConnection(
    sw: SwitchSession,
    msg: PacketIn,
    inPort: number,
    frame: EthernetFrame,
    svc: ServiceState,
    conn: ConnTuple,
    topo: TopologyApp,
    hosts: HostsApp,
    narrow: Narrowing | undefined,
  ): void {
    const m = svc.member;
    const member = m.macNum !== undefined ? hosts.byMacNum(m.macNum) : hosts.byIpv4Num(m.ipNum);
    if (member === undefined) {
      this.warnOnce(svc, 'unknown', 'service member is unknown to host tracking: dropping its traffic');
      this.probeMember(svc, topo);
      this.release(sw, msg);
      return;
    }
    if (member.mac === frame.srcNum) {
      // A member calling its own service would get its own packets back from itself: that needs a source
      // rewrite too (hairpin NAT), which this does not do.
      this.warnOnce(svc, 'hairpin', 'service member is the client itself: dropping');
      this.release(sw, msg);
      return;
    }
    const avoid = this.constraints.size > 0 ? this.avoidFor(frame.srcNum, member.mac) : undefined;
    const hops = topo.route(sw.dpid, inPort, member.dpid, member.port, avoid);
    if (hops === undefined) {
      this.warnOnce(svc, 'route', 'no route from the client to the service member: dropping');
      this.release(sw, msg);
      return;
    }
    this.installConnection(sw, msg, frame, svc, conn, member, hops, narrow);
  }

  private installConnection(
    sw: SwitchSession,
    msg: PacketIn,
    frame: EthernetFrame,
    svc: ServiceState,
    conn: ConnTuple,
    member: Host,
    hops: Hop[],
    narrow: Narrowing | undefined,
  ): void {
    const key = connKey(conn);
    const vid = frame.vlan ? OFPVID_PRESENT | frame.vlan.vid : undefined;
    const memberMac = macNumToText(member.mac);
    const memberIp = svc.member.ipNum;
    const rec: Connection = {
      svc,
      key,
      clientMac: frame.srcNum,
      memberMac: member.mac,
      links: hops.length > 1 ? pathLinks(hops) : [],
      flows: [],
    };
    const buffered = msg.bufferId !== OFP_NO_BUFFER;
    const install = (dpid: bigint, match: Match, actions: Action[], bufferId: number): void => {
      const version = dpid === sw.dpid ? sw.version : this.ctx?.controller.switches.get(dpid)?.version;
      const place = this.place(version ?? sw.version);
      // Above every ordinary path flow, so a member->client path flow cannot skip the reverse rewrite.
      const priority = place.high;
      this.sink({
        dpid,
        msg: this.flowMod(match, actions, place, {
          bufferId,
          flags: OFPFF_SEND_FLOW_REM,
          cookieTag: narrow?.cookieTag,
          priority,
        }),
      });
      const flowId = flowKey({ tableId: 0, priority, match }, OFP_VERSION_1_3);
      rec.flows.push({ dpid, match, priority, key: flowId });
    };
    const out = (port: number): Action => ({ type: 'output', port, maxLen: 0 });
    // Replies, from the client's switch back to the member's (where their source becomes the service's):
    // in place before the first packet can reach the member.
    for (let i = 0; i < hops.length; i++) {
      const h = hops[i];
      const atMember = i === hops.length - 1;
      const match = connMatch(conn, h.outPort, atMember ? memberIp : svc.ipNum, conn.client, false, vid);
      const actions: Action[] = atMember
        ? [
            { type: 'set_field', field: 'eth_src', value: svc.mac },
            { type: 'set_field', field: 'ipv4_src', value: svc.ip },
            out(h.inPort),
          ]
        : [out(h.inPort)];
      install(h.dpid, match, actions, OFP_NO_BUFFER);
    }
    // Requests, member's switch first and the client's last (it carries a buffered packet with it).
    const rewrite: Action[] = [
      { type: 'set_field', field: 'eth_dst', value: memberMac },
      { type: 'set_field', field: 'ipv4_dst', value: svc.member.ip },
      out(hops[0].outPort),
    ];
    for (let i = hops.length - 1; i >= 0; i--) {
      const h = hops[i];
      if (i > 0) {
        install(
          h.dpid,
          connMatch(conn, h.inPort, conn.client, memberIp, true, vid),
          [out(h.outPort)],
          OFP_NO_BUFFER,
        );
        continue;
      }
      const own = connMatch(conn, h.inPort, conn.client, svc.ipNum, true, vid);
      install(
        h.dpid,
        narrow ? within(narrow.match, own) : own,
        rewrite,
        buffered ? msg.bufferId : OFP_NO_BUFFER,
      );
    }
    const old = svc.conns.get(key);
    if (old !== undefined) {
      // Re-punted (a flow of it was lost): flows the new set rewrote in place stay, the others go.
      const kept = new Set(rec.flows.map((f) => `${f.dpid}|${f.key}`));
      this.deleteConnection(old, (f) => !kept.has(`${f.dpid}|${f.key}`));
    }
    svc.conns.set(key, rec);
    for (const f of rec.flows) {
      let perSwitch = this.serviceFlows.get(f.dpid);
      if (!perSwitch) this.serviceFlows.set(f.dpid, (perSwitch = new Map()));
      perSwitch.set(f.key, rec);
    }
    if (!buffered) this.packetOut(sw.dpid, msg, rewrite);
  }

  private deleteConnections(pred: (c: Connection) => boolean): void {
    if (this.servicesById.size === 0) return;
    for (const svc of this.servicesById.values())
      for (const c of [...svc.conns.values()]) if (pred(c)) this.deleteConnection(c);
  }

  /** Forgets connection `c` and deletes its flows (those `send` selects; all by default) from the switches. */
  private deleteConnection(c: Connection, send: (f: ConnFlow) => boolean = () => true): void {
    if (c.svc.conns.get(c.key) === c) c.svc.conns.delete(c.key);
    for (const f of c.flows) {
      const perSwitch = this.serviceFlows.get(f.dpid);
      if (perSwitch?.get(f.key) === c) {
        perSwitch.delete(f.key);
        if (perSwitch.size === 0) this.serviceFlows.delete(f.dpid);
      }
      if (!send(f)) continue;
      const version = this.ctx?.controller.switches.get(f.dpid)?.version;
      if (version === undefined) continue; // gone with its switch
      this.sink({
        dpid: f.dpid,
        msg: this.deleteMod(f.match, OFPFC.DELETE_STRICT, f.priority, OFPP.ANY, version),
      });
    }
  }

  /**
   * A member host tracking has not seen (a quiet server) is asked for its MAC: an ARP request from the service
   * address out of every host port. Its answer, sent to the virtual MAC, teaches host tracking where it is.
   */
  private probeMember(svc: ServiceState, topo: TopologyApp): void {
    const now = this.ctx?.now() ?? 0;
    if (now - svc.probedAt < PROBE_INTERVAL_MS) return;
    svc.probedAt = now;
    const data = buildArpRequest({ senderMac: svc.mac, senderIp: svc.ip, targetIp: svc.member.ip });
    for (const sw of this.ctx?.controller.switches.values() ?? []) {
      const actions: Action[] = [];
      for (const p of topo.floodPorts(sw.dpid))
        if (!topo.isInterSwitchPort(sw.dpid, p)) actions.push({ type: 'output', port: p, maxLen: 0 });
      if (actions.length === 0) continue;
      this.sink({
        dpid: sw.dpid,
        msg: { type: 'packet_out', bufferId: OFP_NO_BUFFER, inPort: OFPP.CONTROLLER, actions, data },
      });
    }
  }

  private warnOnce(svc: ServiceState, what: string, text: string): void {
    if (svc.warned.has(what)) return;
    svc.warned.add(what);
    this.ctx?.log.warn({ service: svc.id, ip: svc.ip, member: svc.member.ip }, text);
  }

  // -------------------------------------------------------------------------------------------- L2 mode

  private forwardL2(
    sw: SwitchSession,
    msg: PacketIn,
    inPort: number,
    frame: EthernetFrame,
    narrow: Narrowing | undefined,
  ): void {
    let table = this.macTables.get(sw.dpid);
    if (!table) this.macTables.set(sw.dpid, (table = new Map()));
    if ((frame.data[6] & 1) === 0 && inPort < OFPP.MAX) table.set(frame.srcNum, inPort);
    const out = frame.isMulticast ? undefined : table.get(frame.dstNum);
    if (out === undefined) {
      this.packetOut(sw.dpid, msg, [{ type: 'output', port: OFPP.FLOOD, maxLen: 0 }]);
      return;
    }
    if (out === inPort) {
      this.release(sw, msg);
      return;
    }
    const buffered = msg.bufferId !== OFP_NO_BUFFER;
    const bufferId = buffered ? msg.bufferId : OFP_NO_BUFFER;
    const actions: Action[] = [{ type: 'output', port: out, maxLen: 0 }];
    this.sink(
      this.precompiled(sw.dpid, sw.version, narrow, frame, 0, bufferId, inPort, out) ?? {
        dpid: sw.dpid,
        msg: this.flowMod(reactiveMatch(narrow, inPort, frame), actions, this.place(sw.version), {
          bufferId,
          cookieTag: narrow?.cookieTag,
        }),
      },
    );
    if (!buffered) this.packetOut(sw.dpid, msg, actions);
  }

  // ----------------------------------------------------------------------------------- verdicts, events

  private deny(sw: SwitchSession, msg: PacketIn, decision: PacketDecision): void {
    if (decision.match === undefined) {
      this.release(sw, msg);
      return;
    }
    // A drop flow (no instructions); a buffered packet is handed to it and so dropped too.
    this.sink({
      dpid: sw.dpid,
      msg: this.flowMod(decision.match, undefined, this.place(sw.version, 'verdict'), {
        bufferId: msg.bufferId,
      }),
    });
  }

  private onTopologyChanged(change: TopologyChange): void {
    if (change.removed.length === 0) return;
    const gone = new Set(change.removed.map(undirectedKey));
    this.deletePathFlows((f) => f.links.some((k) => gone.has(k)));
    this.deleteConnections((c) => c.links.some((k) => gone.has(k)));
    // Flows this process has no record of (installed before a controller restart) would keep sending into
    // the dead link for as long as traffic keeps them alive. OF1.3 can select them by cookie and out_port;
    // OF1.0 cannot filter by cookie, so there they age out once traffic stops.
    for (const l of change.removed) {
      const sw = this.ctx?.controller.switches.get(l.srcDpid);
      if (sw?.version === OFP_VERSION_1_3) {
        this.sink({ dpid: l.srcDpid, msg: this.deleteMod({}, OFPFC.DELETE, 0, l.srcPort, sw.version) });
      }
    }
  }

  private onHostGone(mac: number, from: { dpid: bigint; port: number }): void {
    for (const table of this.macTables.values()) table.delete(mac);
    this.deletePathFlows((f) => f.dstMac === mac);
    // Both ends of a service connection are pinned to a place: a client or member that moved needs new flows.
    this.deleteConnections((c) => c.clientMac === mac || c.memberMac === mac);
    // Last-hop flows towards the old attachment (single- or multi-hop): match the MAC, filter by out_port.
    const sw = this.ctx?.controller.switches.get(from.dpid);
    if (sw) {
      this.sink({
        dpid: from.dpid,
        msg: this.deleteMod({ eth_dst: macNumToText(mac) }, OFPFC.DELETE, 0, from.port, sw.version),
      });
    }
  }

  private deletePathFlows(pred: (f: PathFlow) => boolean): void {
    for (const [dpid, flows] of this.pathFlows) {
      const version = this.ctx?.controller.switches.get(dpid)?.version ?? OFP_VERSION_1_3;
      for (const [k, f] of flows) {
        if (!pred(f)) continue;
        flows.delete(k);
        this.sink({
          dpid,
          msg: this.deleteMod(f.match, OFPFC.DELETE_STRICT, this.place(version).low, OFPP.ANY, version),
        });
      }
    }
  }

  // ---------------------------------------------------------------------------------------- messages

  /**
   * The common reactive flow (no verdict narrows it, untagged, plain ports) encoded by a template for the
   * switch's version: the same FLOW_MOD as flowMod() builds, without building it. Undefined otherwise.
   */
  private precompiled(
    dpid: bigint,
    version: OfVersion | undefined,
    narrow: Narrowing | undefined,
    frame: EthernetFrame,
    flags: number,
    bufferId: number,
    inPort: number,
    outPort: number,
  ): Outgoing | undefined {
    if (version === undefined || narrow !== undefined || frame.vlan !== undefined) return undefined;
    if (inPort >= OFPP.MAX || outPort >= OFPP.MAX) return undefined;
    const key = version * 0x10000 + flags;
    let t = this.templates.get(key);
    if (t === undefined) {
      const place = this.place(version);
      const fixed = {
        cookie: this.cookie,
        idleTimeout: this.idleTimeout,
        hardTimeout: 0,
        priority: place.low,
        flags,
        tableId: place.tableId,
      };
      this.templates.set(key, (t = new L2FlowModTemplate(version, fixed)));
    }
    return new PrecompiledOutgoing(
      dpid,
      t.encode({ bufferId, inPort, ethSrc: frame.srcNum, ethDst: frame.dstNum, outPort }),
    );
  }

  private flowMod(
    match: Match,
    actions: Action[] | undefined,
    place: Place,
    opts: { bufferId: number; flags?: number; cookieTag?: bigint; priority?: number },
  ): OfMessageBody {
    return flowMod({
      // BigInt arithmetic allocates: only when there is a tag to add.
      cookie: opts.cookieTag ? this.cookie | (opts.cookieTag & ~APP_COOKIE_MASK) : this.cookie,
      tableId: place.tableId,
      idleTimeout: this.idleTimeout,
      priority: opts.priority ?? place.low,
      bufferId: opts.bufferId,
      flags: opts.flags ?? 0,
      match,
      instructions: actions ? [{ type: 'apply_actions', actions }] : [],
    });
  }

  /**
   * A delete of this app's flows. OF1.3 filters by the app's cookie and searches every table; OF1.0 has
   * neither (its codec rejects them), so there the match (exact MACs) and out_port must be precise enough.
   */
  private deleteMod(
    match: Match,
    command: number,
    priority: number,
    outPort: number,
    version: OfVersion,
  ): OfMessageBody {
    const strict = command === OFPFC.DELETE_STRICT;
    return flowDelete(
      { match, strict, priority, cookie: this.cookie, cookieMask: APP_COOKIE_MASK, outPort },
      version,
    );
  }

  private packetOut(dpid: bigint, msg: PacketIn, actions: Action[]): void {
    const buffered = msg.bufferId !== OFP_NO_BUFFER;
    if (!buffered && actions.length === 0) return;
    this.sink({
      dpid,
      msg: {
        type: 'packet_out',
        bufferId: msg.bufferId,
        inPort: msg.match.in_port ?? OFPP.CONTROLLER,
        actions,
        data: buffered ? EMPTY : msg.data,
      },
    });
  }

  /** Drop the packet; a buffered one must still be released from the switch's buffer. */
  private release(sw: SwitchSession, msg: PacketIn): void {
    if (msg.bufferId !== OFP_NO_BUFFER) this.packetOut(sw.dpid, msg, []);
  }
}

const EMPTY = Buffer.alloc(0);

/** What an 'allow' verdict asks of this packet's flows. */
interface Narrowing {
  match: Match;
  cookieTag: bigint;
}

/** The exact L2 match of a reactive flow (VLAN included), inside the narrowing verdict's match if any. */
function reactiveMatch(narrow: Narrowing | undefined, inPort: number, frame: EthernetFrame): Match {
  // A literal when not narrowed: spreading `undefined` takes V8's slow object-clone path.
  const match: Match =
    narrow === undefined
      ? { in_port: inPort, eth_src: frame.src, eth_dst: frame.dst }
      : { ...narrow.match, in_port: inPort, eth_src: frame.src, eth_dst: frame.dst };
  if (frame.vlan) match.vlan_vid = OFPVID_PRESENT | frame.vlan.vid;
  return match;
}

function narrowingOf(decision: PacketDecision): Narrowing | undefined {
  if (decision.verdict !== 'allow' || decision.match === undefined) return undefined;
  const note = decision.notes?.forwarding as { cookieTag?: unknown } | undefined;
  return {
    match: decision.match,
    cookieTag: typeof note?.cookieTag === 'bigint' ? note.cookieTag & ~APP_COOKIE_MASK : 0n,
  };
}

/**
 * `own` (exact values) inside a verdict's match: the verdict's other fields stay, and a mask it had on a field
 * `own` sets goes, or the exact value would match the verdict's whole prefix (a /24 rewritten to one member).
 */
function within(verdict: Match, own: Match): Match {
  const m: Record<string, unknown> = { ...verdict, ...own };
  for (const k of Object.keys(own)) delete m[`${k}_mask`];
  return m as Match;
}

function indexAdd<K>(index: Map<K, ServiceState[]>, k: K, svc: ServiceState): void {
  const list = index.get(k);
  if (list) list.push(svc);
  else index.set(k, [svc]);
}

function indexRemove<K>(index: Map<K, ServiceState[]>, k: K, svc: ServiceState): void {
  const list = index.get(k)?.filter((x) => x !== svc);
  if (list === undefined || list.length === 0) index.delete(k);
  else index.set(k, list);
}

function pathLinks(hops: Hop[]): string[] {
  const keys: string[] = [];
  for (let i = 0; i + 1 < hops.length; i++) {
    keys.push(
      undirectedKey({
        srcDpid: hops[i].dpid,
        srcPort: hops[i].outPort,
        dstDpid: hops[i + 1].dpid,
        dstPort: hops[i + 1].inPort,
      }),
    );
  }
  return keys;
}
