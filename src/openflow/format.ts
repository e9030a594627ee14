/**
 * Flow entries as `ovs-ofctl dump-flows` prints them (OVS lib/match.c match_format, ofp-actions.c and
 * ofp-flow.c ofputil_flow_stats_format), so operators can compare our output with OVS's side by side.
 */
import type { Action, FlowMod, FlowStatsEntry, Instruction, Match, OfVersion, OpaqueOxm } from './types.js';
import { OFPP, OFP_VERSION_1_0, OXM_CLASS_EXPERIMENTER } from './types.js';
import { parseIpv4, writeIpv6 } from './wire.js';

const OFP_DEFAULT_PRIORITY = 0x8000;

const PORT_NAMES: Record<number, string> = {
  [OFPP.IN_PORT]: 'IN_PORT',
  [OFPP.TABLE]: 'TABLE',
  [OFPP.NORMAL]: 'NORMAL',
  [OFPP.FLOOD]: 'FLOOD',
  [OFPP.ALL]: 'ALL',
  [OFPP.CONTROLLER]: 'CONTROLLER',
  [OFPP.LOCAL]: 'LOCAL',
  [OFPP.ANY]: 'ANY',
};

export function formatPort(port: number): string {
  return PORT_NAMES[port] ?? String(port);
}

const hex = (v: number | bigint) => `0x${v.toString(16)}`;
const hex4 = (v: number) => `0x${v.toString(16).padStart(4, '0')}`;

/** `sec[.mmm|.nnnnnnnnn]s` exactly as OVS's ofp_print_duration. */
export function formatDuration(sec: number, nsec: number): string {
  if (nsec === 0) return `${sec}s`;
  if (nsec % 1_000_000 === 0) return `${sec}.${String(nsec / 1_000_000).padStart(3, '0')}s`;
  return `${sec}.${String(nsec).padStart(9, '0').replace(/0+$/, '')}s`;
}

/** IPv4 value with an optional mask, as CIDR when the mask is a prefix. */
function ipv4Text(value: string, mask: string | undefined): string {
  if (mask === undefined) return value;
  const n = parseIpv4(mask, 'mask');
  const inv = ~n >>> 0;
  if ((inv & (inv + 1)) === 0) {
    let bits = 32;
    for (let x = inv; x !== 0; x >>>= 1) bits--;
    return `${value}/${bits}`;
  }
  return `${value}/${mask}`;
}

/** IPv6 value with an optional mask, as /N when the mask is a prefix (as OVS prints it). */
function ipv6Text(value: string, mask: string | undefined): string {
  if (mask === undefined) return value;
  const b = Buffer.alloc(16);
  writeIpv6(mask, b, 0, 'mask');
  let bits = 0;
  while (bits < 128 && b[bits >> 3] & (0x80 >> (bits & 7))) bits++;
  for (let i = bits; i < 128; i++) if (b[i >> 3] & (0x80 >> (i & 7))) return `${value}/${mask}`;
  return `${value}/${bits}`;
}

/**
 * VLAN match the way OVS prints its vlan_tci (OXM's VID_PRESENT is the TCI's CFI bit): `dl_vlan=`/
 * `dl_vlan_pcp=` for exact tagged matches, else `vlan_tci=value[/mask]`.
 */
function vlanText(m: Match): string | undefined {
  const vid = m.vlan_vid;
  const pcp = m.vlan_pcp;
  if (vid === undefined && pcp === undefined) return undefined;
  let tci = vid === undefined ? 0x1000 : vid & 0x1fff;
  let mask = vid === undefined ? 0x1000 : (m.vlan_vid_mask ?? 0x1fff) & 0x1fff;
  if (pcp !== undefined) {
    tci |= (pcp & 7) << 13;
    mask |= 0xe000;
  }
  const vidMask = mask & 0x0fff;
  const pcpMask = mask & 0xe000;
  if (
    mask & tci & 0x1000 &&
    (vidMask === 0 || vidMask === 0xfff) &&
    (pcpMask === 0 || pcpMask === 0xe000) &&
    (vidMask || pcpMask)
  ) {
    const parts: string[] = [];
    if (vidMask) parts.push(`dl_vlan=${tci & 0xfff}`);
    if (pcpMask) parts.push(`dl_vlan_pcp=${tci >> 13}`);
    return parts.join(',');
  }
  return mask === 0xffff ? `vlan_tci=${hex4(tci)}` : `vlan_tci=${hex4(tci)}/${hex4(mask)}`;
}

function masked(value: unknown, mask: unknown, fmt: (x: never) => string = String): string {
  return mask === undefined ? fmt(value as never) : `${fmt(value as never)}/${fmt(mask as never)}`;
}

/** Protocol shorthand (ip, tcp, arp...) and whether it also stands for ip_proto. */
function shorthand(m: Match): [string, boolean] | undefined {
  const p = m.ip_proto;
  if (m.eth_type === 0x0800) {
    const name = p === 1 ? 'icmp' : p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 132 ? 'sctp' : undefined;
    return name ? [name, true] : ['ip', false];
  }
  if (m.eth_type === 0x86dd) {
    const name = p === 58 ? 'icmp6' : p === 6 ? 'tcp6' : p === 17 ? 'udp6' : p === 132 ? 'sctp6' : undefined;
    return name ? [name, true] : ['ipv6', false];
  }
  if (m.eth_type === 0x0806) return ['arp', false];
  if (m.eth_type === 0x8035) return ['rarp', false];
  if (m.eth_type === 0x8847) return ['mpls', false];
  if (m.eth_type === 0x8848) return ['mplsm', false];
  return undefined;
}

const ONF_EXPERIMENTER = 0x4f4e4600;
const NXM_NX = 0x0001;
const TCP_FLAG_NAMES = [
  'fin',
  'syn',
  'rst',
  'psh',
  'ack',
  'urg',
  'ece',
  'cwr',
  'ns',
  '[200]',
  '[400]',
  '[800]',
];

/** OVS's format_flags_masked for tcp_flags (12 bits): `syn|ack` when exact, else `+syn-ack`. */
function tcpFlagsText(value: number, mask: number): string {
  const names = (bits: number, sign: (bit: number) => string, sep: string) =>
    TCP_FLAG_NAMES.flatMap((n, i) => (bits & (1 << i) ? [sign(1 << i) + n] : [])).join(sep);
  mask &= 0xfff;
  if (mask === 0xfff) return value & 0xfff ? names(value, () => '', '|') : '0';
  if (mask === 0) return '0/0';
  return names(mask, (bit) => (value & bit ? '+' : '-'), '');
}

/** printf's `%#x`: no prefix for 0. */
const altHex = (v: number) => (v === 0 ? '0' : hex(v));

/** Where match_format prints a field ovs-ofctl knows by name; the rest go last, in a generic form. */
type OpaqueSlot = 'reg' | 'nw_ttl' | 'nw_frag' | 'tcp_flags' | 'other';

const NW_FRAG: Record<number, readonly string[]> = {
  3: ['no', 'first', '<error>', 'later'],
  1: ['no', 'yes', 'no', 'yes'],
  2: ['not_later', 'not_later', 'later', 'later'],
};

/** One opaque OXM as `name=value`, the way ovs-ofctl prints the fields it knows (NXM registers, nw_ttl,
 * nw_frag, tcp_flags), else `oxm(class:field[:experimenter])=0xvalue[/0xmask]`. */
export function formatOpaqueOxm(o: OpaqueOxm): [OpaqueSlot, string] {
  const { value: v, mask } = o;
  const len = v.length;
  if (o.oxmClass === NXM_NX && o.field <= 15 && len === 4) {
    const m = mask ? mask.readUInt32BE(0) : 0xffffffff;
    const text = altHex(v.readUInt32BE(0)) + (m === 0xffffffff ? '' : `/${altHex(m)}`);
    return ['reg', `reg${o.field}=${text}`];
  }
  if (o.oxmClass === NXM_NX && o.field === 29 && len === 1 && !mask) return ['nw_ttl', `nw_ttl=${v[0]}`];
  if (o.oxmClass === NXM_NX && o.field === 26 && len === 1) {
    const m = (mask ? mask[0] : 0xff) & 3;
    if (m) return ['nw_frag', `nw_frag=${NW_FRAG[m][v[0] & 3]}`];
  }
  const tcpFlags =
    (o.oxmClass === NXM_NX && o.field === 34) ||
    (o.oxmClass === OXM_CLASS_EXPERIMENTER && o.experimenter === ONF_EXPERIMENTER && o.field === 42);
  if (tcpFlags && len === 2)
    return [
      'tcp_flags',
      `tcp_flags=${tcpFlagsText(v.readUInt16BE(0), mask ? mask.readUInt16BE(0) : 0xffff)}`,
    ];
  const exp = o.experimenter === undefined ? '' : `:${hex(o.experimenter)}`;
  const bytes = (b: Buffer) => `0x${b.toString('hex')}`;
  const text = bytes(v) + (mask ? `/${bytes(mask)}` : '');
  return ['other', `oxm(${hex4(o.oxmClass)}:${o.field}${exp})=${text}`];
}

/** The match part, `priority=N,` first when not the default, as OVS's match_format. */
export function formatMatch(m: Match, priority = OFP_DEFAULT_PRIORITY): string {
  const out: string[] = [];
  const put = (name: string, v: unknown, text: () => string = () => String(v)) => {
    if (v !== undefined) out.push(`${name}=${text()}`);
  };
  const opaque = (m.opaque ?? []).map(formatOpaqueOxm);
  const putOpaque = (slot: OpaqueSlot) => {
    for (const [s, text] of opaque) if (s === slot) out.push(text);
  };
  if (priority !== OFP_DEFAULT_PRIORITY) out.push(`priority=${priority}`);
  const sh = shorthand(m);
  if (sh) out.push(sh[0]);
  putOpaque('reg');
  put('metadata', m.metadata, () => masked(m.metadata, m.metadata_mask, hex));
  put('tun_id', m.tunnel_id, () => masked(m.tunnel_id, m.tunnel_id_mask, hex));
  put('in_port', m.in_port, () => formatPort(m.in_port!));
  put('in_phy_port', m.in_phy_port, () => formatPort(m.in_phy_port!));
  const vlan = vlanText(m);
  if (vlan) out.push(vlan);
  put('dl_src', m.eth_src, () => masked(m.eth_src, m.eth_src_mask));
  put('dl_dst', m.eth_dst, () => masked(m.eth_dst, m.eth_dst_mask));
  if (!sh) put('dl_type', m.eth_type, () => hex4(m.eth_type!));
  put('ipv6_src', m.ipv6_src, () => ipv6Text(m.ipv6_src!, m.ipv6_src_mask));
  put('ipv6_dst', m.ipv6_dst, () => ipv6Text(m.ipv6_dst!, m.ipv6_dst_mask));
  put('ipv6_label', m.ipv6_flabel, () => masked(m.ipv6_flabel, m.ipv6_flabel_mask, hex));
  put('nw_src', m.ipv4_src, () => ipv4Text(m.ipv4_src!, m.ipv4_src_mask));
  put('nw_dst', m.ipv4_dst, () => ipv4Text(m.ipv4_dst!, m.ipv4_dst_mask));
  put('arp_spa', m.arp_spa, () => ipv4Text(m.arp_spa!, m.arp_spa_mask));
  put('arp_tpa', m.arp_tpa, () => ipv4Text(m.arp_tpa!, m.arp_tpa_mask));
  if (!sh?.[1]) put('nw_proto', m.ip_proto);
  put('arp_op', m.arp_op);
  put('arp_sha', m.arp_sha, () => masked(m.arp_sha, m.arp_sha_mask));
  put('arp_tha', m.arp_tha, () => masked(m.arp_tha, m.arp_tha_mask));
  put('nw_tos', m.ip_dscp, () => String(m.ip_dscp! << 2));
  put('nw_ecn', m.ip_ecn);
  putOpaque('nw_ttl');
  put('mpls_label', m.mpls_label);
  put('mpls_tc', m.mpls_tc);
  put('mpls_bos', m.mpls_bos);
  putOpaque('nw_frag');
  put('icmp_type', m.icmpv4_type ?? m.icmpv6_type);
  put('icmp_code', m.icmpv4_code ?? m.icmpv6_code);
  put('nd_target', m.ipv6_nd_target);
  put('nd_sll', m.ipv6_nd_sll);
  put('nd_tll', m.ipv6_nd_tll);
  put('tp_src', m.tcp_src ?? m.udp_src ?? m.sctp_src);
  put('tp_dst', m.tcp_dst ?? m.udp_dst ?? m.sctp_dst);
  put('pbb_isid', m.pbb_isid, () => masked(m.pbb_isid, m.pbb_isid_mask, hex));
  putOpaque('tcp_flags');
  put('ipv6_exthdr', m.ipv6_exthdr, () => masked(m.ipv6_exthdr, m.ipv6_exthdr_mask, hex));
  putOpaque('other');
  return out.join(',');
}

/** OF1.0 spells set_field as mod_* actions; OVS prints OF1.3 set_field with these field names. */
const MOD10: Record<string, string> = {
  eth_src: 'mod_dl_src',
  eth_dst: 'mod_dl_dst',
  vlan_vid: 'mod_vlan_vid',
  vlan_pcp: 'mod_vlan_pcp',
  ipv4_src: 'mod_nw_src',
  ipv4_dst: 'mod_nw_dst',
  ip_dscp: 'mod_nw_tos',
  tcp_src: 'mod_tp_src',
  udp_src: 'mod_tp_src',
  sctp_src: 'mod_tp_src',
  tcp_dst: 'mod_tp_dst',
  udp_dst: 'mod_tp_dst',
  sctp_dst: 'mod_tp_dst',
};
const SET_FIELD_NAME: Record<string, string> = {
  ipv4_src: 'ip_src',
  ipv4_dst: 'ip_dst',
  tunnel_id: 'tun_id',
};

export function formatAction(a: Action, v: OfVersion): string {
  switch (a.type) {
    case 'output':
      if (a.port === OFPP.CONTROLLER) return `CONTROLLER:${a.maxLen}`;
      return PORT_NAMES[a.port] ?? `output:${a.port}`;
    case 'enqueue':
      return `enqueue:${formatPort(a.port)}:${a.queueId}`;
    case 'set_queue':
      return `set_queue:${a.queueId}`;
    case 'group':
      return `group:${a.groupId}`;
    case 'set_field': {
      if (v === OFP_VERSION_1_0) {
        const value =
          a.field === 'vlan_vid'
            ? (a.value as number) & 0xfff
            : a.field === 'ip_dscp'
              ? (a.value as number) << 2
              : a.value;
        return `${MOD10[a.field]}:${String(value)}`;
      }
      const value = typeof a.value === 'bigint' ? hex(a.value) : String(a.value);
      return `set_field:${value}->${SET_FIELD_NAME[a.field] ?? a.field}`;
    }
    case 'pop_vlan':
      return v === OFP_VERSION_1_0 ? 'strip_vlan' : 'pop_vlan';
    case 'push_vlan':
    case 'push_mpls':
    case 'pop_mpls':
    case 'push_pbb':
      return `${a.type}:${hex4(a.ethertype)}`;
    case 'set_mpls_ttl':
      return `set_mpls_ttl(${a.ttl})`;
    case 'set_nw_ttl':
      return `mod_nw_ttl:${a.ttl}`;
    case 'dec_nw_ttl':
      return 'dec_ttl';
    case 'experimenter':
      return `experimenter(${hex(a.experimenter)},${a.data.toString('hex')})`;
    case 'raw':
      return `raw(${a.data.toString('hex')})`;
    default:
      return a.type;
  }
}

export function formatActions(actions: readonly Action[], v: OfVersion): string {
  return actions.length === 0 ? 'drop' : actions.map((a) => formatAction(a, v)).join(',');
}

/** Instructions in OVS's order: meter, apply, clear, write, write_metadata, goto_table. */
export function formatInstructions(ins: readonly Instruction[], v: OfVersion): string {
  const order = [
    'meter',
    'apply_actions',
    'clear_actions',
    'write_actions',
    'write_metadata',
    'goto_table',
    'experimenter',
  ];
  const parts = [...ins]
    .sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type))
    .map((i) => {
      switch (i.type) {
        case 'meter':
          return `meter:${i.meterId}`;
        case 'apply_actions':
          return i.actions.length ? formatActions(i.actions, v) : '';
        case 'clear_actions':
          return 'clear_actions';
        case 'write_actions':
          return `write_actions(${i.actions.map((a) => formatAction(a, v)).join(',')})`;
        case 'write_metadata':
          return `write_metadata:${hex(i.metadata)}${i.mask === 0xffffffffffffffffn ? '' : `/${hex(i.mask)}`}`;
        case 'goto_table':
          return `goto_table:${i.tableId}`;
        case 'experimenter':
          return `experimenter(${hex(i.experimenter)},${i.data.toString('hex')})`;
      }
    })
    .filter((s) => s !== '');
  return parts.length ? parts.join(',') : 'drop';
}

const FLAG_NAMES: [number, string][] = [
  [1, 'send_flow_rem'],
  [2, 'check_overlap'],
  [4, 'reset_counts'],
  [8, 'no_packet_counts'],
  [16, 'no_byte_counts'],
];

/**
 * One line of `ovs-ofctl dump-flows` for a flow stats entry, e.g.
 * ` cookie=0x0, duration=1.500s, table=0, n_packets=0, n_bytes=0, idle_timeout=5, priority=100,ip,in_port=1 actions=output:2`.
 * A FlowMod prints the same way without the duration and counters.
 */
export function formatFlow(entry: FlowStatsEntry | FlowMod, version: OfVersion): string {
  let s = ` cookie=${hex(entry.cookie)}, `;
  if ('durationSec' in entry) s += `duration=${formatDuration(entry.durationSec, entry.durationNsec)}, `;
  s += `table=${entry.tableId}, `;
  if ('packetCount' in entry) s += `n_packets=${entry.packetCount}, n_bytes=${entry.byteCount}, `;
  if (entry.idleTimeout) s += `idle_timeout=${entry.idleTimeout}, `;
  if (entry.hardTimeout) s += `hard_timeout=${entry.hardTimeout}, `;
  for (const [bit, name] of FLAG_NAMES) if (entry.flags & bit) s += `${name} `;
  s += formatMatch(entry.match, entry.priority);
  if (!s.endsWith(' ')) s += ' ';
  return `${s}actions=${formatInstructions(entry.instructions, version)}`;
}
