/**
 * The vocabulary of a static entry: Floodlight 1.2's match-field names (MatchUtils), the 1.0-era
 * StaticFlowEntryPusher keys and OpenFlow 1.0 openflowj names as aliases, and each field's value kind and
 * prerequisites. Data only; parse.ts interprets it.
 */
import type { MatchField } from '../../openflow/index.js';
import { ETH_TYPE } from '../../packet/index.js';

export type ValueKind =
  | 'port'
  | 'mac'
  | 'ipv4'
  | 'ipv6'
  | 'u8'
  | 'u16'
  | 'u24'
  | 'u32'
  | 'u64'
  | 'vlan'
  | 'dscp'
  | 'ecn'
  | 'pcp'
  | 'tos';

/** What must hold in the match for a field to be meaningful (OpenFlow 1.3 spec, table 12). */
export type Prerequisite =
  | { ethType: readonly number[] }
  | { ethType: readonly number[]; ipProto: number }
  | { icmpv6Type: readonly number[] }
  | { vlanTagged: true };

export interface FieldSpec {
  /** The name used on the REST API and emitted when listing. */
  name: string;
  /** The Match key it sets (tp_src/tp_dst resolve by ip_proto, so they have none). */
  key: MatchField;
  kind: ValueKind;
  maskable: boolean;
  prereq?: Prerequisite;
}

export const ETH_MPLS = [0x8847, 0x8848] as const;
export const ETH_PBB = 0x88e7;
const IP = [ETH_TYPE.IPV4, ETH_TYPE.IPV6] as const;

export const IP_PROTO_NAMES: Record<number, string> = {
  1: 'ICMP',
  6: 'TCP',
  17: 'UDP',
  58: 'ICMPv6',
  132: 'SCTP',
};

/** Every match field the codec supports, in OXM order (which is also prerequisite order). */
export const MATCH_FIELDS: readonly FieldSpec[] = [
  { name: 'in_port', key: 'in_port', kind: 'port', maskable: false },
  { name: 'in_phys_port', key: 'in_phy_port', kind: 'port', maskable: false },
  { name: 'metadata', key: 'metadata', kind: 'u64', maskable: true },
  { name: 'eth_dst', key: 'eth_dst', kind: 'mac', maskable: true },
  { name: 'eth_src', key: 'eth_src', kind: 'mac', maskable: true },
  { name: 'eth_type', key: 'eth_type', kind: 'u16', maskable: false },
  { name: 'eth_vlan_vid', key: 'vlan_vid', kind: 'vlan', maskable: false },
  { name: 'eth_vlan_pcp', key: 'vlan_pcp', kind: 'pcp', maskable: false, prereq: { vlanTagged: true } },
  { name: 'ip_dscp', key: 'ip_dscp', kind: 'dscp', maskable: false, prereq: { ethType: IP } },
  { name: 'ip_ecn', key: 'ip_ecn', kind: 'ecn', maskable: false, prereq: { ethType: IP } },
  { name: 'ip_proto', key: 'ip_proto', kind: 'u8', maskable: false, prereq: { ethType: IP } },
  { name: 'ipv4_src', key: 'ipv4_src', kind: 'ipv4', maskable: true, prereq: { ethType: [ETH_TYPE.IPV4] } },
  { name: 'ipv4_dst', key: 'ipv4_dst', kind: 'ipv4', maskable: true, prereq: { ethType: [ETH_TYPE.IPV4] } },
  { name: 'tcp_src', key: 'tcp_src', kind: 'u16', maskable: false, prereq: { ethType: IP, ipProto: 6 } },
  { name: 'tcp_dst', key: 'tcp_dst', kind: 'u16', maskable: false, prereq: { ethType: IP, ipProto: 6 } },
  { name: 'udp_src', key: 'udp_src', kind: 'u16', maskable: false, prereq: { ethType: IP, ipProto: 17 } },
  { name: 'udp_dst', key: 'udp_dst', kind: 'u16', maskable: false, prereq: { ethType: IP, ipProto: 17 } },
  { name: 'sctp_src', key: 'sctp_src', kind: 'u16', maskable: false, prereq: { ethType: IP, ipProto: 132 } },
  { name: 'sctp_dst', key: 'sctp_dst', kind: 'u16', maskable: false, prereq: { ethType: IP, ipProto: 132 } },
  {
    name: 'icmpv4_type',
    key: 'icmpv4_type',
    kind: 'u8',
    maskable: false,
    prereq: { ethType: [ETH_TYPE.IPV4], ipProto: 1 },
  },
  {
    name: 'icmpv4_code',
    key: 'icmpv4_code',
    kind: 'u8',
    maskable: false,
    prereq: { ethType: [ETH_TYPE.IPV4], ipProto: 1 },
  },
  { name: 'arp_opcode', key: 'arp_op', kind: 'u16', maskable: false, prereq: { ethType: [ETH_TYPE.ARP] } },
  { name: 'arp_spa', key: 'arp_spa', kind: 'ipv4', maskable: true, prereq: { ethType: [ETH_TYPE.ARP] } },
  { name: 'arp_tpa', key: 'arp_tpa', kind: 'ipv4', maskable: true, prereq: { ethType: [ETH_TYPE.ARP] } },
  { name: 'arp_sha', key: 'arp_sha', kind: 'mac', maskable: true, prereq: { ethType: [ETH_TYPE.ARP] } },
  { name: 'arp_tha', key: 'arp_tha', kind: 'mac', maskable: true, prereq: { ethType: [ETH_TYPE.ARP] } },
  { name: 'ipv6_src', key: 'ipv6_src', kind: 'ipv6', maskable: true, prereq: { ethType: [ETH_TYPE.IPV6] } },
  { name: 'ipv6_dst', key: 'ipv6_dst', kind: 'ipv6', maskable: true, prereq: { ethType: [ETH_TYPE.IPV6] } },
  {
    name: 'ipv6_label',
    key: 'ipv6_flabel',
    kind: 'u32',
    maskable: true,
    prereq: { ethType: [ETH_TYPE.IPV6] },
  },
  {
    name: 'icmpv6_type',
    key: 'icmpv6_type',
    kind: 'u8',
    maskable: false,
    prereq: { ethType: [ETH_TYPE.IPV6], ipProto: 58 },
  },
  {
    name: 'icmpv6_code',
    key: 'icmpv6_code',
    kind: 'u8',
    maskable: false,
    prereq: { ethType: [ETH_TYPE.IPV6], ipProto: 58 },
  },
  {
    name: 'ipv6_nd_target',
    key: 'ipv6_nd_target',
    kind: 'ipv6',
    maskable: false,
    prereq: { icmpv6Type: [135, 136] },
  },
  { name: 'ipv6_nd_sll', key: 'ipv6_nd_sll', kind: 'mac', maskable: false, prereq: { icmpv6Type: [135] } },
  { name: 'ipv6_nd_tll', key: 'ipv6_nd_tll', kind: 'mac', maskable: false, prereq: { icmpv6Type: [136] } },
  { name: 'mpls_label', key: 'mpls_label', kind: 'u32', maskable: false, prereq: { ethType: ETH_MPLS } },
  { name: 'mpls_tc', key: 'mpls_tc', kind: 'u8', maskable: false, prereq: { ethType: ETH_MPLS } },
  { name: 'mpls_bos', key: 'mpls_bos', kind: 'u8', maskable: false, prereq: { ethType: ETH_MPLS } },
  { name: 'pbb_isid', key: 'pbb_isid', kind: 'u24', maskable: true, prereq: { ethType: [ETH_PBB] } },
  { name: 'tunnel_id', key: 'tunnel_id', kind: 'u64', maskable: true },
  {
    name: 'ipv6_exthdr',
    key: 'ipv6_exthdr',
    kind: 'u16',
    maskable: true,
    prereq: { ethType: [ETH_TYPE.IPV6] },
  },
];

export const FIELD_BY_NAME: ReadonlyMap<string, FieldSpec> = new Map(MATCH_FIELDS.map((f) => [f.name, f]));
export const FIELD_BY_KEY: ReadonlyMap<string, FieldSpec> = new Map(MATCH_FIELDS.map((f) => [f.key, f]));

/**
 * Other spellings of match fields. `tp_src`/`tp_dst` (and the 1.0-era src-port/dst-port) are resolved by
 * ip_proto, so they map to the pseudo-names 'tp_src'/'tp_dst'; `ip_tos` is the whole ToS byte.
 */
export const FIELD_ALIASES: Readonly<Record<string, string>> = {
  // Floodlight 0.9 StaticFlowEntryPusher keys
  'ingress-port': 'in_port',
  'src-mac': 'eth_src',
  'dst-mac': 'eth_dst',
  'vlan-id': 'eth_vlan_vid',
  'vlan-priority': 'eth_vlan_pcp',
  'ether-type': 'eth_type',
  'tos-bits': 'ip_tos',
  protocol: 'ip_proto',
  'src-ip': 'ipv4_src',
  'dst-ip': 'ipv4_dst',
  'src-port': 'tp_src',
  'dst-port': 'tp_dst',
  // OpenFlow 1.0 / openflowj names
  dl_src: 'eth_src',
  dl_dst: 'eth_dst',
  dl_type: 'eth_type',
  dl_vlan: 'eth_vlan_vid',
  dl_vlan_pcp: 'eth_vlan_pcp',
  nw_src: 'ipv4_src',
  nw_dst: 'ipv4_dst',
  nw_proto: 'ip_proto',
  nw_tos: 'ip_tos',
  // OXM names that Floodlight spells differently
  vlan_vid: 'eth_vlan_vid',
  vlan_pcp: 'eth_vlan_pcp',
  arp_op: 'arp_opcode',
  ipv6_flabel: 'ipv6_label',
  in_phy_port: 'in_phys_port',
  // Floodlight 1.2's misspellings of the ND options
  ipv6_nd_ssl: 'ipv6_nd_sll',
  ipv6_nd_ttl: 'ipv6_nd_tll',
};

/** Transport-port pseudo-fields, resolved by ip_proto. */
export const TP_FIELDS: Readonly<Record<number, { src: string; dst: string }>> = {
  6: { src: 'tcp_src', dst: 'tcp_dst' },
  17: { src: 'udp_src', dst: 'udp_dst' },
  132: { src: 'sctp_src', dst: 'sctp_dst' },
};

/** Entry keys that are not match fields. */
export const ENTRY_KEYS = [
  'switch',
  'name',
  'priority',
  'cookie',
  'idle_timeout',
  'hard_timeout',
  'active',
  'table',
  'entry_type',
  'actions',
  'instruction_apply_actions',
  'instruction_write_actions',
  'instruction_clear_actions',
  'instruction_goto_table',
  'instruction_goto_meter',
  'instruction_write_metadata',
] as const;

/** Reserved port names accepted in `output=` and `in_port` (case-insensitive). */
export const PORT_NAMES: Readonly<Record<string, number>> = {
  in_port: 0xfffffff8,
  normal: 0xfffffffa,
  flood: 0xfffffffb,
  all: 0xfffffffc,
  controller: 0xfffffffd,
  local: 0xfffffffe,
};
