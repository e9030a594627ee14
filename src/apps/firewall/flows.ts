/**
 * The flows the firewall causes and how they are found again (pure message builders).
 *
 * Cookies: the low 48 bits of a cookie are free for the owning app. A flow that caches a firewall decision
 * carries `DECIDED_BIT | ruleId` there (rule id 0: the default deny), under the firewall's own app bits for
 * its drop flows and under forwarding's app bits for the forwarding flows an allow caused (forwarding copies
 * the tag from PacketDecision.notes.forwarding.cookieTag). Deleting rule N then deletes, on OpenFlow 1.3,
 * exactly the flows with that tag under either app (cookie + full mask). OpenFlow 1.0 cannot filter a delete
 * by cookie: there the firewall remembers the matches it decided per rule and deletes by those matches
 * (non-strict, so forwarding's narrower per-hop flows go too).
 */
import {
  APP_COOKIE_MASK,
  flowDelete,
  flowMod,
  type FlowSpec,
  type OfMessageBody,
  type Place,
} from '../../controller/index.js';
import { OFP_VERSION_1_0, OFP_VERSION_1_3, type Match } from '../../openflow/index.js';
import { ETH_TYPE, ipv4NumToText } from '../../packet/index.js';
import { PROTO_TCP, PROTO_UDP, prefixMask, type FirewallRule, type Prefix } from './rule.js';

/** Marks a cookie's low bits as "caches a firewall decision". */
export const DECIDED_BIT = 1n << 32n;
export const RULE_TAG_MASK = DECIDED_BIT | 0xffff_ffffn;

/** Low cookie bits for flows caused by `ruleId` (undefined: the default deny). */
export function ruleCookieTag(ruleId: number | undefined): bigint {
  return DECIDED_BIT | BigInt(ruleId ?? 0);
}

/** The rule id a cookie's tag names: a number, 0 for the default deny, undefined when untagged. */
export function ruleIdOfCookie(cookie: bigint): number | undefined {
  return (cookie & DECIDED_BIT) === 0n ? undefined : Number(cookie & 0xffff_ffffn);
}

/**
 * A decision cached from a packet-in: a drop flow at the bottom of the firewall's band (`place`), below its
 * deny rules' permanent flows (which sit at the top, so the two never replace each other).
 */
export function denyFlowMod(
  appCookie: bigint,
  tag: bigint,
  match: Match,
  bufferId: number,
  idleTimeout: number,
  place: Place,
): OfMessageBody {
  return flowMod({
    cookie: appCookie | tag,
    tableId: place.tableId,
    idleTimeout,
    priority: place.low,
    bufferId,
    match,
    instructions: [],
  });
}

function deleteMod(match: Match, cookie: bigint, cookieMask: bigint, of13: boolean): OfMessageBody {
  return flowDelete({ match, cookie, cookieMask }, of13 ? OFP_VERSION_1_3 : OFP_VERSION_1_0);
}

/**
 * OpenFlow 1.3: deletes of every flow tagged for one rule (`tag`) or, with `tag` undefined, of every flow
 * that caches any firewall decision, under each of `appCookies`.
 */
export function deleteByTag(appCookies: readonly bigint[], tag: bigint | undefined): OfMessageBody[] {
  return appCookies.map((c) =>
    tag === undefined
      ? deleteMod({}, c | DECIDED_BIT, APP_COOKIE_MASK | DECIDED_BIT, true)
      : deleteMod({}, c | tag, APP_COOKIE_MASK | RULE_TAG_MASK, true),
  );
}

/** OpenFlow 1.3: every flow of one app (`appCookie` in the high bits), tagged or not. */
export function deleteAppFlows(appCookie: bigint): OfMessageBody {
  return deleteMod({}, appCookie, APP_COOKIE_MASK, true);
}

/** A non-strict delete by match, any cookie (OpenFlow 1.0's only way; version picks the table field). */
export function deleteByMatch(match: Match, version: number): OfMessageBody {
  return deleteMod(match, 0n, 0n, version === OFP_VERSION_1_3);
}

/** Some address lies in both prefixes (an absent prefix is "any"). */
export function prefixesOverlap(a: Prefix | undefined, b: Prefix | undefined): boolean {
  if (!a || !b) return true;
  const mask = prefixMask(Math.min(a.bits, b.bits));
  return (a.addr & mask) >>> 0 === (b.addr & mask) >>> 0;
}

/** Some packet may match both rules. */
export function firewallRulesOverlap(a: FirewallRule, b: FirewallRule): boolean {
  const same = <T>(x: T | undefined, y: T | undefined) => x === undefined || y === undefined || x === y;
  return (
    same(a.dpid, b.dpid) &&
    same(a.inPort, b.inPort) &&
    same(a.srcMac, b.srcMac) &&
    same(a.dstMac, b.dstMac) &&
    same(a.dlType, b.dlType) &&
    prefixesOverlap(a.srcIp, b.srcIp) &&
    prefixesOverlap(a.dstIp, b.dstIp) &&
    same(a.nwProto, b.nwProto) &&
    same(a.tpSrc, b.tpSrc) &&
    same(a.tpDst, b.tpDst)
  );
}

/** Sets ipv4_src/ipv4_dst (with masks when shorter than /32) of `m`; absent or /0 prefixes add nothing. */
export function putPrefixes(m: Match, src: Prefix | undefined, dst: Prefix | undefined): Match {
  for (const [p, field] of [
    [src, 'ipv4_src'],
    [dst, 'ipv4_dst'],
  ] as const) {
    if (!p || p.bits === 0) continue;
    m[field] = ipv4NumToText(p.addr);
    if (p.bits < 32) m[`${field}_mask`] = ipv4NumToText(prefixMask(p.bits));
  }
  return m;
}

/** An IPv4 deny rule as a flow match; undefined when one flow cannot say it (L4 ports without a protocol). */
function ruleMatch(r: FirewallRule): Match | undefined {
  if (r.dlType !== ETH_TYPE.IPV4) return undefined;
  const m: Match = { eth_type: ETH_TYPE.IPV4 };
  if (r.inPort !== undefined) m.in_port = r.inPort;
  if (r.srcMac !== undefined) m.eth_src = r.srcMac;
  if (r.dstMac !== undefined) m.eth_dst = r.dstMac;
  putPrefixes(m, r.srcIp, r.dstIp);
  if (r.nwProto !== undefined) m.ip_proto = r.nwProto;
  if (r.tpSrc !== undefined || r.tpDst !== undefined) {
    if (r.nwProto !== PROTO_TCP && r.nwProto !== PROTO_UDP) return undefined;
    const l4 = r.nwProto === PROTO_TCP ? 'tcp' : 'udp';
    if (r.tpSrc !== undefined) m[`${l4}_src`] = r.tpSrc;
    if (r.tpDst !== undefined) m[`${l4}_dst`] = r.tpDst;
  }
  return m;
}

/**
 * The permanent drop flows of an enabled firewall on switch `dpid`: one per IPv4 deny rule that no earlier
 * allow rule overlaps, at the top of the firewall's band in the filter stage. They make a deny rule win over
 * flows that keep its packets from the controller (QoS or static flows that forward them proactively, on
 * OpenFlow 1.0's single table in particular). Everything else (the default deny, shadowed deny rules, ARP)
 * is decided per packet-in as before. `sorted` is in evaluation order.
 */
export function denyRuleFlows(
  sorted: readonly FirewallRule[],
  appCookie: bigint,
  dpid: bigint,
  place: Place,
): FlowSpec[] {
  const flows: FlowSpec[] = [];
  sorted.forEach((r, i) => {
    if (r.action !== 'deny' || (r.dpid !== undefined && r.dpid !== dpid)) return;
    if (sorted.slice(0, i).some((e) => e.action === 'allow' && firewallRulesOverlap(e, r))) return;
    const match = ruleMatch(r);
    if (!match) return;
    flows.push({
      tableId: place.tableId,
      priority: place.high,
      match,
      instructions: [],
      cookie: appCookie | ruleCookieTag(r.id),
    });
  });
  return flows;
}
