/**
 * The typed OpenFlow message model shared by OpenFlow 1.0 (wire version 0x01) and 1.3 (0x04).
 *
 * One model for both versions so that apps never branch on the version for common work: the codec maps
 * it to each version's wire form and rejects (with an OpenFlowEncodeError naming the field) what a version
 * cannot carry. Conventions:
 * - DPIDs, cookies and 64-bit counters are bigint; everything else is number.
 * - Port numbers are 32-bit everywhere (OF1.3 numbering). The OF1.0 codec maps its 16-bit reserved ports
 *   (0xfff8..0xffff) to and from the 32-bit ones (0xfffffff8..0xffffffff).
 * - MAC addresses are lowercase `aa:bb:cc:dd:ee:ff` strings; IPv4 addresses dotted quads; IPv6 full or
 *   compressed text (the codec emits canonical compressed form).
 * - Fields a decoder fills with defaults are never optional in the decoded object, so that
 *   decode(encode(m)) deep-equals m for messages in normal form (all defaults written out).
 */

export const OFP_VERSION_1_0 = 0x01;
export const OFP_VERSION_1_3 = 0x04;
export type OfVersion = typeof OFP_VERSION_1_0 | typeof OFP_VERSION_1_3;

/** Reserved port numbers, 32-bit (OF1.3). */
export const OFPP = {
  MAX: 0xffffff00,
  IN_PORT: 0xfffffff8,
  TABLE: 0xfffffff9,
  NORMAL: 0xfffffffa,
  FLOOD: 0xfffffffb,
  ALL: 0xfffffffc,
  CONTROLLER: 0xfffffffd,
  LOCAL: 0xfffffffe,
  ANY: 0xffffffff, // OF1.0 OFPP_NONE
} as const;

export const OFP_NO_BUFFER = 0xffffffff;
export const OFPCML_NO_BUFFER = 0xffff;
export const OFPG_ANY = 0xffffffff;
export const OFPG_ALL = 0xfffffffc;
export const OFPM_ALL = 0xffffffff;
export const OFPQ_ALL = 0xffffffff;
export const OFPTT_ALL = 0xff;

// ---------------------------------------------------------------------------------------------------------
// Match

/**
 * Match fields by their OXM names (the names Floodlight's REST API and ovs-ofctl use, with `_` separators).
 * A field that is absent is wildcarded. Masks are optional and only where OXM allows them.
 * OF1.0 can carry: in_port, eth_src, eth_dst, vlan_vid, vlan_pcp, eth_type, ip_dscp (as nw_tos), ip_proto,
 * ipv4_src/ipv4_dst (prefix masks only), tcp/udp/sctp src/dst (as tp_src/tp_dst), icmpv4 type/code
 * (as tp_src/tp_dst), arp_op (as nw_proto), arp_spa/arp_tpa (as nw_src/nw_dst).
 */
export interface Match {
  in_port?: number;
  in_phy_port?: number;
  metadata?: bigint;
  metadata_mask?: bigint;
  eth_dst?: string;
  eth_dst_mask?: string;
  eth_src?: string;
  eth_src_mask?: string;
  eth_type?: number;
  /** OXM semantics: value includes OFPVID_PRESENT (0x1000) for tagged; 0 (OFPVID_NONE) matches untagged. */
  vlan_vid?: number;
  vlan_vid_mask?: number;
  vlan_pcp?: number;
  ip_dscp?: number;
  ip_ecn?: number;
  ip_proto?: number;
  ipv4_src?: string;
  ipv4_src_mask?: string;
  ipv4_dst?: string;
  ipv4_dst_mask?: string;
  tcp_src?: number;
  tcp_dst?: number;
  udp_src?: number;
  udp_dst?: number;
  sctp_src?: number;
  sctp_dst?: number;
  icmpv4_type?: number;
  icmpv4_code?: number;
  arp_op?: number;
  arp_spa?: string;
  arp_spa_mask?: string;
  arp_tpa?: string;
  arp_tpa_mask?: string;
  arp_sha?: string;
  arp_sha_mask?: string;
  arp_tha?: string;
  arp_tha_mask?: string;
  ipv6_src?: string;
  ipv6_src_mask?: string;
  ipv6_dst?: string;
  ipv6_dst_mask?: string;
  ipv6_flabel?: number;
  ipv6_flabel_mask?: number;
  icmpv6_type?: number;
  icmpv6_code?: number;
  ipv6_nd_target?: string;
  ipv6_nd_sll?: string;
  ipv6_nd_tll?: string;
  mpls_label?: number;
  mpls_tc?: number;
  mpls_bos?: number;
  pbb_isid?: number;
  pbb_isid_mask?: number;
  tunnel_id?: bigint;
  tunnel_id_mask?: bigint;
  ipv6_exthdr?: number;
  ipv6_exthdr_mask?: number;
  /**
   * OF1.3 OXM TLVs of classes the model does not name (Nicira NXM 0x0000/0x0001 such as registers,
   * experimenter 0xffff such as ONF's tcp_flags, which ovs-ofctl sends), in wire order. Kept so a flow
   * re-encodes to the match the switch has, not a wider one. Encoded after the basic fields.
   */
  opaque?: OpaqueOxm[];
}

/** One OXM TLV kept as bytes: header fields, experimenter id (class 0xffff only), value and mask. */
export interface OpaqueOxm {
  /** oxm_class: anything but 0x8000 (OpenFlow basic, whose fields have names in Match). */
  oxmClass: number;
  /** oxm_field, 0..127. */
  field: number;
  /** Present exactly when oxmClass is 0xffff: the experimenter id that starts the TLV's payload. */
  experimenter?: number;
  value: Buffer;
  /** Present when the TLV has OXM_HASMASK; as long as value. */
  mask?: Buffer;
}

export const OXM_CLASS_EXPERIMENTER = 0xffff;

export type MatchField = keyof Match;
/** Match keys that name one OXM basic field's value. */
export type MatchValueField = Exclude<MatchField, `${string}_mask` | 'opaque'>;

// ---------------------------------------------------------------------------------------------------------
// Actions and instructions

/** Set-field values use the same representation as Match values of the same name. */
export type SetFieldAction = {
  [K in MatchValueField]: { type: 'set_field'; field: K; value: NonNullable<Match[K]> };
}[MatchValueField];

export type Action =
  /** maxLen: bytes sent to the controller when port is CONTROLLER (OF1.3 OFPCML_NO_BUFFER = 0xffff). */
  | { type: 'output'; port: number; maxLen: number }
  /** OF1.0 only: output to a port's queue. */
  | { type: 'enqueue'; port: number; queueId: number }
  /** OF1.3 only. */
  | { type: 'set_queue'; queueId: number }
  | { type: 'group'; groupId: number }
  /** OF1.0 encodes set_field as OFPAT_SET_DL_SRC/DST, SET_VLAN_VID/PCP, SET_NW_SRC/DST, SET_NW_TOS (dscp<<2),
   * SET_TP_SRC/DST (for tcp/udp src/dst). Other fields are OF1.3 only. */
  | SetFieldAction
  /** OF1.0: OFPAT_STRIP_VLAN. */
  | { type: 'pop_vlan' }
  /** OF1.3 only. ethertype 0x8100 or 0x88a8. */
  | { type: 'push_vlan'; ethertype: number }
  | { type: 'push_mpls'; ethertype: number }
  | { type: 'pop_mpls'; ethertype: number }
  | { type: 'set_mpls_ttl'; ttl: number }
  | { type: 'dec_mpls_ttl' }
  | { type: 'set_nw_ttl'; ttl: number }
  | { type: 'dec_nw_ttl' }
  | { type: 'copy_ttl_out' }
  | { type: 'copy_ttl_in' }
  | { type: 'push_pbb'; ethertype: number }
  | { type: 'pop_pbb' }
  /** Vendor/experimenter action passed through untouched (data excludes the 8-byte type/len/experimenter head). */
  | { type: 'experimenter'; experimenter: number; data: Buffer }
  /**
   * An OF1.3 action the model has no shape for, kept as its whole wire form (type, len, body) so that a
   * switch's flows still decode and re-encode unchanged: e.g. OVS's set_field of a Nicira register, which
   * flows written by other tools carry. Decoded only; apps do not build it.
   */
  | { type: 'raw'; data: Buffer };

export type Instruction =
  | { type: 'goto_table'; tableId: number }
  | { type: 'write_metadata'; metadata: bigint; mask: bigint }
  | { type: 'write_actions'; actions: Action[] }
  | { type: 'apply_actions'; actions: Action[] }
  | { type: 'clear_actions' }
  | { type: 'meter'; meterId: number }
  | { type: 'experimenter'; experimenter: number; data: Buffer };

// ---------------------------------------------------------------------------------------------------------
// Ports

export interface PortDesc {
  portNo: number;
  hwAddr: string;
  name: string;
  config: number; // OFPPC_* bits (PORT_DOWN = 1)
  state: number; // OFPPS_* bits (LINK_DOWN = 1)
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
  /** OF1.3 only (kbps); OF1.0 decodes these as 0. */
  currSpeed: number;
  maxSpeed: number;
}

export const OFPPC_PORT_DOWN = 1;
export const OFPPS_LINK_DOWN = 1;

// ---------------------------------------------------------------------------------------------------------
// Messages

interface Header {
  version: OfVersion;
  xid: number;
}

export interface Hello extends Header {
  type: 'hello';
  /** Versions offered in the hello's version bitmap element; empty when the hello carried none. */
  versions: number[];
  /**
   * Set by the decoder only when the hello's header version is one this codec does not speak (e.g. 5 from
   * an OVS that also allows OF1.4); `version` is then the one negotiateVersion picks with the codec's.
   */
  wireVersion?: number;
}

export interface ErrorMsg extends Header {
  type: 'error';
  errType: number;
  code: number;
  data: Buffer;
}

export interface EchoRequest extends Header {
  type: 'echo_request';
  data: Buffer;
}
export interface EchoReply extends Header {
  type: 'echo_reply';
  data: Buffer;
}

/** OF1.0 VENDOR / OF1.3 EXPERIMENTER, passed through. */
export interface Experimenter extends Header {
  type: 'experimenter';
  experimenter: number;
  /** OF1.3 exp_type; 0 for OF1.0. */
  expType: number;
  data: Buffer;
}

export interface FeaturesRequest extends Header {
  type: 'features_request';
}

export interface FeaturesReply extends Header {
  type: 'features_reply';
  datapathId: bigint;
  nBuffers: number;
  nTables: number;
  /** OF1.3 only; 0 in OF1.0. */
  auxiliaryId: number;
  capabilities: number;
  /** OF1.0 only: supported actions bitmap; 0 in OF1.3. */
  actions: number;
  /** OF1.0 carries ports here; OF1.3 sends none (use port_desc multipart). */
  ports: PortDesc[];
}

export interface GetConfigRequest extends Header {
  type: 'get_config_request';
}
export interface GetConfigReply extends Header {
  type: 'get_config_reply';
  flags: number;
  missSendLen: number;
}
export interface SetConfig extends Header {
  type: 'set_config';
  flags: number;
  missSendLen: number;
}

export interface PacketIn extends Header {
  type: 'packet_in';
  bufferId: number;
  totalLen: number;
  /** OFPR_NO_MATCH 0, ACTION 1, INVALID_TTL 2. */
  reason: number;
  /** OF1.3 only (0 in OF1.0). */
  tableId: number;
  cookie: bigint;
  /** OF1.0 in_port is carried as match.in_port so apps read one place. */
  match: Match;
  data: Buffer;
}

export interface PacketOut extends Header {
  type: 'packet_out';
  bufferId: number;
  inPort: number;
  actions: Action[];
  data: Buffer;
}

export const OFPFC = { ADD: 0, MODIFY: 1, MODIFY_STRICT: 2, DELETE: 3, DELETE_STRICT: 4 } as const;
export const OFPFF_SEND_FLOW_REM = 1;
export const OFPFF_CHECK_OVERLAP = 2;

export interface FlowMod extends Header {
  type: 'flow_mod';
  cookie: bigint;
  /** OF1.3 only; 0 in OF1.0. */
  cookieMask: bigint;
  /** OF1.3 only; 0 in OF1.0. */
  tableId: number;
  command: number;
  idleTimeout: number;
  hardTimeout: number;
  priority: number;
  bufferId: number;
  outPort: number;
  /** OF1.3 only; OFPG_ANY in OF1.0. */
  outGroup: number;
  flags: number;
  match: Match;
  /** OF1.0 carries only a single apply_actions (or none, meaning drop). */
  instructions: Instruction[];
}

export interface FlowRemoved extends Header {
  type: 'flow_removed';
  cookie: bigint;
  priority: number;
  reason: number;
  tableId: number;
  durationSec: number;
  durationNsec: number;
  idleTimeout: number;
  hardTimeout: number;
  packetCount: bigint;
  byteCount: bigint;
  match: Match;
}

export interface PortStatus extends Header {
  type: 'port_status';
  /** OFPPR_ADD 0, DELETE 1, MODIFY 2. */
  reason: number;
  desc: PortDesc;
}

export interface PortMod extends Header {
  type: 'port_mod';
  portNo: number;
  hwAddr: string;
  config: number;
  mask: number;
  advertise: number;
}

export interface BarrierRequest extends Header {
  type: 'barrier_request';
}
export interface BarrierReply extends Header {
  type: 'barrier_reply';
}

/** OF1.3 only. OFPCR_ROLE_NOCHANGE 0, EQUAL 1, MASTER 2, SLAVE 3. */
export interface RoleRequest extends Header {
  type: 'role_request';
  role: number;
  generationId: bigint;
}
export interface RoleReply extends Header {
  type: 'role_reply';
  role: number;
  generationId: bigint;
}

export interface Bucket {
  weight: number;
  watchPort: number;
  watchGroup: number;
  actions: Action[];
}

/** OF1.3 only. command ADD 0, MODIFY 1, DELETE 2; groupType ALL 0, SELECT 1, INDIRECT 2, FF 3. */
export interface GroupMod extends Header {
  type: 'group_mod';
  command: number;
  groupType: number;
  groupId: number;
  buckets: Bucket[];
}

export type MeterBand =
  | { type: 'drop'; rate: number; burstSize: number }
  | { type: 'dscp_remark'; rate: number; burstSize: number; precLevel: number }
  | { type: 'experimenter'; rate: number; burstSize: number; experimenter: number };

export const OFPMF = { KBPS: 1, PKTPS: 2, BURST: 4, STATS: 8 } as const;

/** OF1.3 only. command ADD 0, MODIFY 1, DELETE 2. */
export interface MeterMod extends Header {
  type: 'meter_mod';
  command: number;
  flags: number;
  meterId: number;
  bands: MeterBand[];
}

// ---------------------------------------------------------------------------------------------------------
// Stats (OF1.0) / multipart (OF1.3): one model, `kind` names the body.

export interface FlowStatsEntry {
  tableId: number;
  durationSec: number;
  durationNsec: number;
  priority: number;
  idleTimeout: number;
  hardTimeout: number;
  /** OF1.3 only; 0 in OF1.0. */
  flags: number;
  cookie: bigint;
  packetCount: bigint;
  byteCount: bigint;
  match: Match;
  instructions: Instruction[];
}

export interface PortStatsEntry {
  portNo: number;
  rxPackets: bigint;
  txPackets: bigint;
  rxBytes: bigint;
  txBytes: bigint;
  rxDropped: bigint;
  txDropped: bigint;
  rxErrors: bigint;
  txErrors: bigint;
  rxFrameErr: bigint;
  rxOverErr: bigint;
  rxCrcErr: bigint;
  collisions: bigint;
  /** OF1.3 only; 0 in OF1.0. */
  durationSec: number;
  durationNsec: number;
}

export interface TableStatsEntry {
  tableId: number;
  /** OF1.0 only; '' in OF1.3. */
  name: string;
  /** OF1.0 only; 0 in OF1.3. */
  wildcards: number;
  maxEntries: number;
  activeCount: number;
  lookupCount: bigint;
  matchedCount: bigint;
}

export interface QueueStatsEntry {
  portNo: number;
  queueId: number;
  txBytes: bigint;
  txPackets: bigint;
  txErrors: bigint;
  durationSec: number;
  durationNsec: number;
}

export interface GroupStatsEntry {
  groupId: number;
  refCount: number;
  packetCount: bigint;
  byteCount: bigint;
  durationSec: number;
  durationNsec: number;
  buckets: { packetCount: bigint; byteCount: bigint }[];
}

export interface GroupDescEntry {
  groupType: number;
  groupId: number;
  buckets: Bucket[];
}

export interface MeterStatsEntry {
  meterId: number;
  flowCount: number;
  packetInCount: bigint;
  byteInCount: bigint;
  durationSec: number;
  durationNsec: number;
  bands: { packetBandCount: bigint; byteBandCount: bigint }[];
}

export interface MeterConfigEntry {
  flags: number;
  meterId: number;
  bands: MeterBand[];
}

export interface DescStats {
  mfrDesc: string;
  hwDesc: string;
  swDesc: string;
  serialNum: string;
  dpDesc: string;
}

/**
 * OF1.0 vendor stats / OF1.3 experimenter multipart (type 0xffff), request or reply, kept as bytes: e.g.
 * the Nicira NXST_FLOW and NXST_AGGREGATE that `ovs-ofctl dump-flows` and `dump-aggregate` send over 1.0.
 */
export interface ExperimenterStats {
  kind: 'experimenter';
  experimenter: number;
  /** OF1.3 exp_type; in OF1.0 the subtype that follows Nicira's vendor id (0x2320); 0 for other vendors. */
  expType: number;
  /** The rest of the body (for Nicira OF1.0, from the 4 pad bytes after the subtype on). */
  data: Buffer;
}

/**
 * A stats/multipart type the model has no shape for (e.g. OF1.3 table features, which ovs-ofctl asks for
 * before add-flow), request or reply, kept as its body bytes. Decoded only; apps do not build it.
 */
export interface RawStats {
  kind: 'raw';
  /** OFPST_* / OFPMP_* number; never one a named kind covers. */
  statsType: number;
  data: Buffer;
}

export type StatsRequestBody =
  | { kind: 'desc' }
  | {
      kind: 'flow' | 'aggregate';
      tableId: number;
      outPort: number;
      /** OF1.3 only. */
      outGroup: number;
      cookie: bigint;
      cookieMask: bigint;
      match: Match;
    }
  | { kind: 'port'; portNo: number }
  | { kind: 'port_desc' }
  | { kind: 'table' }
  | { kind: 'queue'; portNo: number; queueId: number }
  | { kind: 'group'; groupId: number }
  | { kind: 'group_desc' }
  | { kind: 'meter'; meterId: number }
  | { kind: 'meter_config'; meterId: number }
  | ExperimenterStats
  | RawStats;

export type StatsReplyBody =
  | { kind: 'desc'; desc: DescStats }
  | { kind: 'flow'; flows: FlowStatsEntry[] }
  | { kind: 'aggregate'; packetCount: bigint; byteCount: bigint; flowCount: number }
  | { kind: 'port'; ports: PortStatsEntry[] }
  | { kind: 'port_desc'; ports: PortDesc[] }
  | { kind: 'table'; tables: TableStatsEntry[] }
  | { kind: 'queue'; queues: QueueStatsEntry[] }
  | { kind: 'group'; groups: GroupStatsEntry[] }
  | { kind: 'group_desc'; groups: GroupDescEntry[] }
  | { kind: 'meter'; meters: MeterStatsEntry[] }
  | { kind: 'meter_config'; meters: MeterConfigEntry[] }
  | ExperimenterStats
  | RawStats;

export const OFPSF_REPLY_MORE = 1;

export interface StatsRequest extends Header {
  type: 'stats_request';
  flags: number;
  body: StatsRequestBody;
}

export interface StatsReply extends Header {
  type: 'stats_reply';
  /** OFPSF_REPLY_MORE set on all parts but the last of a multipart reply. */
  flags: number;
  body: StatsReplyBody;
}

export type OfMessage =
  | Hello
  | ErrorMsg
  | EchoRequest
  | EchoReply
  | Experimenter
  | FeaturesRequest
  | FeaturesReply
  | GetConfigRequest
  | GetConfigReply
  | SetConfig
  | PacketIn
  | PacketOut
  | FlowMod
  | FlowRemoved
  | PortStatus
  | PortMod
  | BarrierRequest
  | BarrierReply
  | RoleRequest
  | RoleReply
  | GroupMod
  | MeterMod
  | StatsRequest
  | StatsReply;

export type OfMessageType = OfMessage['type'];

/** Errors the controller sends back (OFPET_*), same numbering in 1.0 and 1.3 for these. */
export const OFPET = { HELLO_FAILED: 0, BAD_REQUEST: 1, BAD_ACTION: 2 } as const;
export const OFPBRC = { BAD_VERSION: 0, BAD_TYPE: 1, BAD_LEN: 6 } as const;
