/**
 * OpenFlow 1.0 ofp_match (40 bytes, wildcard bits) <-> the OXM-named Match model. Only the fields OF1.0
 * can carry are accepted; the rest raise OF_UNSUPPORTED naming the field.
 */
import type { Match } from './types.js';
import { atPath, badField, unsupported } from './errors.js';
import { Reader, Writer, formatIpv4, parseIpv4, port10to32, port32to10 } from './wire.js';

export const OFP10_MATCH_LEN = 40;

export const OFPFW10 = {
  IN_PORT: 1 << 0,
  DL_VLAN: 1 << 1,
  DL_SRC: 1 << 2,
  DL_DST: 1 << 3,
  DL_TYPE: 1 << 4,
  NW_PROTO: 1 << 5,
  TP_SRC: 1 << 6,
  TP_DST: 1 << 7,
  NW_SRC_SHIFT: 8,
  NW_DST_SHIFT: 14,
  DL_VLAN_PCP: 1 << 20,
  NW_TOS: 1 << 21,
  ALL: (1 << 22) - 1,
} as const;

const ETH_TYPE_ARP = 0x0806;
const OFP_VLAN_NONE = 0xffff;
const OFPVID_PRESENT = 0x1000;

/** Number of wildcarded low bits for a prefix mask, or throws if the mask is not a prefix. */
function prefixWildcardBits(mask: string | undefined, field: string): number {
  if (mask === undefined) return 0;
  const inv = ~parseIpv4(mask, field) >>> 0;
  if ((inv & (inv + 1)) !== 0) throw unsupported(field, 'OpenFlow 1.0 only carries prefix (CIDR) masks');
  let bits = 0;
  for (let x = inv; x !== 0; x >>>= 1) bits++;
  return bits;
}

function prefixMask(wildBits: number): string {
  return formatIpv4(wildBits >= 32 ? 0 : (0xffffffff << wildBits) >>> 0);
}

export function writeMatch10(w: Writer, match: Match, field = 'match'): void {
  try {
    writeMatch10Fields(w, match);
  } catch (e) {
    throw atPath(e, field);
  }
}

const PROTO_NAMES = ['ip_proto', 'arp_op'] as const;
const SRC_NAMES = ['ipv4_src', 'arp_spa'] as const;
const DST_NAMES = ['ipv4_dst', 'arp_tpa'] as const;
const TP_SRC_NAMES = ['tcp_src', 'udp_src', 'sctp_src', 'icmpv4_type'] as const;
const TP_DST_NAMES = ['tcp_dst', 'udp_dst', 'sctp_dst', 'icmpv4_code'] as const;

/**
 * Which of the aliases sharing an OF1.0 slot (nw_proto, nw_src, tp_src...) the match uses: `present` has
 * bit i set when names[i] is defined. -1 when none; two of them cannot share the slot.
 */
function aliasIndex(m: Record<string, unknown>, names: readonly string[], present: number): number {
  if ((present & (present - 1)) !== 0) {
    const [first, second] = names.filter((n) => m[n] !== undefined);
    throw unsupported(second, `OpenFlow 1.0 has one slot for ${first} and ${second}`);
  }
  return present === 0 ? -1 : 31 - Math.clz32(present & -present);
}

/**
 * The 40 bytes; errors name fields relative to the match. One pass over the match's own keys (the aliases
 * that are absent are never looked up): this runs for every flow_mod on the packet-in path.
 */
function writeMatch10Fields(w: Writer, match: Match): void {
  const m = match as Record<string, unknown>;
  let proto = 0;
  let src = 0;
  let dst = 0;
  let tpSrc = 0;
  let tpDst = 0;
  for (const k in m) {
    if (m[k] === undefined) continue;
    switch (k) {
      case 'in_port':
      case 'eth_src':
      case 'eth_dst':
      case 'vlan_vid':
      case 'vlan_pcp':
      case 'eth_type':
      case 'ip_dscp':
      case 'ipv4_src_mask':
      case 'ipv4_dst_mask':
      case 'arp_spa_mask':
      case 'arp_tpa_mask':
        break;
      case 'ip_proto':
        proto |= 1;
        break;
      case 'arp_op':
        proto |= 2;
        break;
      case 'ipv4_src':
        src |= 1;
        break;
      case 'arp_spa':
        src |= 2;
        break;
      case 'ipv4_dst':
        dst |= 1;
        break;
      case 'arp_tpa':
        dst |= 2;
        break;
      case 'tcp_src':
        tpSrc |= 1;
        break;
      case 'udp_src':
        tpSrc |= 2;
        break;
      case 'sctp_src':
        tpSrc |= 4;
        break;
      case 'icmpv4_type':
        tpSrc |= 8;
        break;
      case 'tcp_dst':
        tpDst |= 1;
        break;
      case 'udp_dst':
        tpDst |= 2;
        break;
      case 'sctp_dst':
        tpDst |= 4;
        break;
      case 'icmpv4_code':
        tpDst |= 8;
        break;
      default:
        throw unsupported(`${k}`, 'not carried by OpenFlow 1.0');
    }
  }
  let wc = OFPFW10.ALL;
  if (match.in_port !== undefined) wc &= ~OFPFW10.IN_PORT;
  if (match.eth_src !== undefined) wc &= ~OFPFW10.DL_SRC;
  if (match.eth_dst !== undefined) wc &= ~OFPFW10.DL_DST;
  let dlVlan = 0;
  if (match.vlan_vid !== undefined) {
    wc &= ~OFPFW10.DL_VLAN;
    const v = match.vlan_vid;
    if (v === 0) dlVlan = OFP_VLAN_NONE;
    else if (Number.isInteger(v) && v >= OFPVID_PRESENT && v <= 0x1fff) dlVlan = v & 0xfff;
    else throw badField(`vlan_vid`, 'must be 0 (untagged) or 0x1000|vid');
  }
  if (match.vlan_pcp !== undefined) wc &= ~OFPFW10.DL_VLAN_PCP;
  if (match.eth_type !== undefined) wc &= ~OFPFW10.DL_TYPE;
  let nwTos = 0;
  if (match.ip_dscp !== undefined) {
    wc &= ~OFPFW10.NW_TOS;
    if (!Number.isInteger(match.ip_dscp) || match.ip_dscp < 0 || match.ip_dscp > 63) {
      throw badField(`ip_dscp`, 'must be 0..63');
    }
    nwTos = match.ip_dscp << 2;
  }
  const protoAt = aliasIndex(m, PROTO_NAMES, proto);
  if (protoAt >= 0) wc &= ~OFPFW10.NW_PROTO;
  const srcAt = aliasIndex(m, SRC_NAMES, src);
  const dstAt = aliasIndex(m, DST_NAMES, dst);
  const srcName = SRC_NAMES[srcAt];
  const dstName = DST_NAMES[dstAt];
  const srcBits =
    srcAt >= 0 ? prefixWildcardBits(m[`${srcName}_mask`] as string | undefined, `${srcName}_mask`) : 32;
  const dstBits =
    dstAt >= 0 ? prefixWildcardBits(m[`${dstName}_mask`] as string | undefined, `${dstName}_mask`) : 32;
  wc = (wc & ~(0x3f << OFPFW10.NW_SRC_SHIFT) & ~(0x3f << OFPFW10.NW_DST_SHIFT)) >>> 0;
  wc |= (srcBits << OFPFW10.NW_SRC_SHIFT) | (dstBits << OFPFW10.NW_DST_SHIFT);
  const tpSrcAt = aliasIndex(m, TP_SRC_NAMES, tpSrc);
  const tpDstAt = aliasIndex(m, TP_DST_NAMES, tpDst);
  if (tpSrcAt >= 0) wc &= ~OFPFW10.TP_SRC;
  if (tpDstAt >= 0) wc &= ~OFPFW10.TP_DST;

  w.u32(wc >>> 0, `wildcards`);
  w.u16(match.in_port === undefined ? 0 : port32to10(match.in_port, `in_port`), `in_port`);
  if (match.eth_src === undefined) w.zeros(6);
  else w.mac(match.eth_src, `eth_src`);
  if (match.eth_dst === undefined) w.zeros(6);
  else w.mac(match.eth_dst, `eth_dst`);
  w.u16(dlVlan, `vlan_vid`);
  w.u8(match.vlan_pcp ?? 0, `vlan_pcp`);
  w.zeros(1);
  w.u16(match.eth_type ?? 0, `eth_type`);
  w.u8(nwTos, `ip_dscp`);
  if (protoAt >= 0) w.u8(m[PROTO_NAMES[protoAt]] as number, PROTO_NAMES[protoAt]);
  else w.u8(0, 'ip_proto');
  w.zeros(2);
  if (srcAt >= 0) w.ipv4(m[srcName] as string, srcName);
  else w.zeros(4);
  if (dstAt >= 0) w.ipv4(m[dstName] as string, dstName);
  else w.zeros(4);
  if (tpSrcAt >= 0) w.u16(m[TP_SRC_NAMES[tpSrcAt]] as number, TP_SRC_NAMES[tpSrcAt]);
  else w.u16(0, 'tcp_src');
  if (tpDstAt >= 0) w.u16(m[TP_DST_NAMES[tpDstAt]] as number, TP_DST_NAMES[tpDstAt]);
  else w.u16(0, 'tcp_dst');
}

/** Names the OF1.0 transport slots take, by nw_proto (TCP unless the protocol says otherwise). */
function transportNames(proto: number | undefined): readonly [string, string] {
  switch (proto) {
    case 1:
      return ['icmpv4_type', 'icmpv4_code'];
    case 17:
      return ['udp_src', 'udp_dst'];
    case 132:
      return ['sctp_src', 'sctp_dst'];
    default:
      return ['tcp_src', 'tcp_dst'];
  }
}

export function readMatch10(r: Reader): Match {
  r.need(OFP10_MATCH_LEN, 'ofp_match');
  const wc = r.u32();
  const inPort = r.u16();
  const m: Record<string, unknown> = {};
  if (!(wc & OFPFW10.IN_PORT)) m.in_port = port10to32(inPort);
  if (!(wc & OFPFW10.DL_SRC)) m.eth_src = r.mac();
  else r.skip(6);
  if (!(wc & OFPFW10.DL_DST)) m.eth_dst = r.mac();
  else r.skip(6);
  const dlVlan = r.u16();
  if (!(wc & OFPFW10.DL_VLAN)) m.vlan_vid = dlVlan === OFP_VLAN_NONE ? 0 : OFPVID_PRESENT | (dlVlan & 0xfff);
  const pcp = r.u8();
  if (!(wc & OFPFW10.DL_VLAN_PCP)) m.vlan_pcp = pcp;
  r.skip(1);
  const dlType = r.u16();
  if (!(wc & OFPFW10.DL_TYPE)) m.eth_type = dlType;
  const isArp = !(wc & OFPFW10.DL_TYPE) && dlType === ETH_TYPE_ARP;
  const nwTos = r.u8();
  if (!(wc & OFPFW10.NW_TOS)) m.ip_dscp = nwTos >> 2;
  const nwProto = r.u8();
  const protoKnown = !(wc & OFPFW10.NW_PROTO);
  if (protoKnown) m[isArp ? 'arp_op' : 'ip_proto'] = nwProto;
  r.skip(2);
  const srcBits = (wc >>> OFPFW10.NW_SRC_SHIFT) & 0x3f;
  const dstBits = (wc >>> OFPFW10.NW_DST_SHIFT) & 0x3f;
  const nwSrc = r.ipv4();
  const nwDst = r.ipv4();
  const srcName = isArp ? 'arp_spa' : 'ipv4_src';
  const dstName = isArp ? 'arp_tpa' : 'ipv4_dst';
  if (srcBits < 32) {
    m[srcName] = nwSrc;
    if (srcBits > 0) m[`${srcName}_mask`] = prefixMask(srcBits);
  }
  if (dstBits < 32) {
    m[dstName] = nwDst;
    if (dstBits > 0) m[`${dstName}_mask`] = prefixMask(dstBits);
  }
  const [tpSrcName, tpDstName] = transportNames(protoKnown && !isArp ? nwProto : undefined);
  const tpSrc = r.u16();
  const tpDst = r.u16();
  if (!(wc & OFPFW10.TP_SRC)) m[tpSrcName] = tpSrc;
  if (!(wc & OFPFW10.TP_DST)) m[tpDstName] = tpDst;
  return m as Match;
}
