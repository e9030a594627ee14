/**
 * The firewall's decision for one packet, as pure functions.
 *
 * Order: ascending priority (0 first), the newest rule (highest id) first among equal priorities
 * (Floodlight's list order). The first rule that matches decides; none matching means deny.
 *
 * The match a decision is cached under (Floodlight issue 854): it must not cover any packet the rule set
 * would treat differently. Every rule up to and including the deciding one (all rules when none matched)
 * names the fields it distinguishes on; the cached match pins each of those fields to the packet's own
 * value. Any packet matching the cached flow then agrees with this one on every field those rules test, so
 * the same rule decides it. MACs and the EtherType are always pinned: forwarding's flows carry the MACs
 * anyway, and it keeps OpenFlow 1.0 deletes (which cannot filter by cookie) within one host pair.
 * A packet that lacks a header a pinned field needs (a truncated packet, a non-first IP fragment) gets a
 * verdict but no cacheable match.
 */
import type { Match } from '../../openflow/index.js';
import { ETH_TYPE, ipv4TextToNum, type EthernetFrame } from '../../packet/index.js';
import { PROTO_TCP, PROTO_UDP, prefixContains, type FirewallAction, type FirewallRule } from './rule.js';

/** What a rule can distinguish on, beyond the always-pinned MACs and EtherType. */
type Dimension = 'in_port' | 'nw_src' | 'nw_dst' | 'nw_proto' | 'tp_src' | 'tp_dst';

export interface PacketFacts {
  dpid: bigint;
  inPort: number;
  frame: EthernetFrame;
}

export interface FirewallDecision {
  action: FirewallAction;
  /** The deciding rule; undefined for the default deny (and for broadcast handling). */
  rule?: FirewallRule;
  /** The flow match that caches this decision; undefined when it cannot be cached. */
  match?: Match;
  reason: 'rule' | 'default' | 'broadcast' | 'malformed-broadcast';
}

export function compareRules(a: FirewallRule, b: FirewallRule): number {
  return a.priority - b.priority || b.id - a.id;
}

export function sortRules(rules: Iterable<FirewallRule>): FirewallRule[] {
  return [...rules].sort(compareRules);
}

function dimensions(r: FirewallRule): Dimension[] {
  const d: Dimension[] = [];
  if (r.inPort !== undefined) d.push('in_port');
  if (r.srcIp !== undefined) d.push('nw_src');
  if (r.dstIp !== undefined) d.push('nw_dst');
  if (r.nwProto !== undefined) d.push('nw_proto');
  if (r.tpSrc !== undefined) d.push('tp_src');
  if (r.tpDst !== undefined) d.push('tp_dst');
  return d;
}

/** Sender/target IPv4 of an IPv4 or ARP packet (ARP rules match the ARP addresses, as Floodlight's do). */
function l3Addresses(f: EthernetFrame): { src: number; dst: number } | undefined {
  if (f.ethType === ETH_TYPE.IPV4 && f.ipv4) return { src: f.ipv4.srcNum, dst: f.ipv4.dstNum };
  if (f.ethType === ETH_TYPE.ARP && f.arp) return { src: f.arp.spaNum >>> 0, dst: f.arp.tpaNum >>> 0 };
  return undefined;
}

function l4Ports(f: EthernetFrame): { src: number; dst: number } | undefined {
  return (f.tcp ?? f.udp) ? { src: (f.tcp ?? f.udp)!.srcPort, dst: (f.tcp ?? f.udp)!.dstPort } : undefined;
}

export function ruleMatches(r: FirewallRule, p: PacketFacts): boolean {
  const f = p.frame;
  if (r.dpid !== undefined && r.dpid !== p.dpid) return false;
  if (r.inPort !== undefined && r.inPort !== p.inPort) return false;
  if (r.srcMac !== undefined && r.srcMac !== f.src) return false;
  if (r.dstMac !== undefined && r.dstMac !== f.dst) return false;
  if (r.dlType !== undefined && r.dlType !== f.ethType) return false;
  if (r.srcIp !== undefined || r.dstIp !== undefined) {
    const a = l3Addresses(f);
    if (!a) return false;
    if (r.srcIp !== undefined && !prefixContains(r.srcIp, a.src)) return false;
    if (r.dstIp !== undefined && !prefixContains(r.dstIp, a.dst)) return false;
  }
  if (r.nwProto !== undefined && (f.ipv4 === undefined || f.ipv4.proto !== r.nwProto)) return false;
  if (r.tpSrc !== undefined || r.tpDst !== undefined) {
    const ports = l4Ports(f);
    if (!ports) return false;
    if (r.tpSrc !== undefined && r.tpSrc !== ports.src) return false;
    if (r.tpDst !== undefined && r.tpDst !== ports.dst) return false;
  }
  return true;
}

/**
 * The packet's own values for `dims` (plus MACs and EtherType), or undefined when the packet lacks a header
 * a dimension needs although its type says it should have one.
 */
export function pinnedMatch(p: PacketFacts, dims: ReadonlySet<Dimension>): Match | undefined {
  const f = p.frame;
  const m: Match = { eth_src: f.src, eth_dst: f.dst, eth_type: f.ethType };
  if (dims.has('in_port')) m.in_port = p.inPort;
  const wantsL3 = dims.has('nw_src') || dims.has('nw_dst');
  const wantsProto = dims.has('nw_proto') || dims.has('tp_src') || dims.has('tp_dst');
  const wantsL4 = dims.has('tp_src') || dims.has('tp_dst');
  if (f.ethType === ETH_TYPE.IPV4) {
    if (!f.ipv4) return wantsL3 || wantsProto ? undefined : m;
    if (dims.has('nw_src')) m.ipv4_src = f.ipv4.src;
    if (dims.has('nw_dst')) m.ipv4_dst = f.ipv4.dst;
    if (wantsProto) m.ip_proto = f.ipv4.proto;
    if (wantsL4 && (f.ipv4.proto === PROTO_TCP || f.ipv4.proto === PROTO_UDP)) {
      const l4 = f.ipv4.proto === PROTO_TCP ? f.tcp : f.udp;
      if (!l4) return undefined;
      const [src, dst] =
        f.ipv4.proto === PROTO_TCP ? (['tcp_src', 'tcp_dst'] as const) : (['udp_src', 'udp_dst'] as const);
      if (dims.has('tp_src')) m[src] = l4.srcPort;
      if (dims.has('tp_dst')) m[dst] = l4.dstPort;
    }
  } else if (f.ethType === ETH_TYPE.ARP && wantsL3) {
    if (!f.arp) return undefined;
    if (dims.has('nw_src')) m.arp_spa = f.arp.spa;
    if (dims.has('nw_dst')) m.arp_tpa = f.arp.tpa;
  }
  // Other EtherTypes: pinning eth_type already excludes every IP/ARP rule from the flow's packets.
  return m;
}

/** True when an IPv4 destination is the broadcast address of the configured subnet. */
function isSubnetBroadcast(dst: number, subnetMask: number): boolean {
  const inv = ~subnetMask >>> 0;
  return (dst & inv) >>> 0 === inv;
}

/**
 * Decide one packet. `sorted` must be in evaluation order (sortRules). Rules for other switches are skipped
 * (they can never match here, so they add no fields). L2 broadcasts are allowed without a rule, except an
 * IPv4 packet whose destination is not a broadcast address of `subnetMask` (Floodlight's behaviour).
 */
export function decide(
  sorted: readonly FirewallRule[],
  p: PacketFacts,
  subnetMask: number,
): FirewallDecision {
  const f = p.frame;
  if (f.isBroadcast) {
    if (f.ethType === ETH_TYPE.IPV4 && f.ipv4 && !isSubnetBroadcast(f.ipv4.dstNum, subnetMask)) {
      return { action: 'deny', reason: 'malformed-broadcast' };
    }
    return { action: 'allow', reason: 'broadcast' };
  }
  const dims = new Set<Dimension>();
  for (const r of sorted) {
    if (r.dpid !== undefined && r.dpid !== p.dpid) continue;
    for (const d of dimensions(r)) dims.add(d);
    if (ruleMatches(r, p)) return { action: r.action, rule: r, match: pinnedMatch(p, dims), reason: 'rule' };
  }
  return { action: 'deny', match: pinnedMatch(p, dims), reason: 'default' };
}

/** Subnet mask text (255.255.255.0) -> number; undefined when not a contiguous mask. */
export function parseSubnetMask(text: string): number | undefined {
  const n = ipv4TextToNum(text.trim());
  if (n === undefined) return undefined;
  const inv = ~n >>> 0;
  return (inv & (inv + 1)) === 0 ? n : undefined;
}
