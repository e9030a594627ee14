/**
 * Ethernet frame parsing for packet-in payloads. Runs on every packet-in, so:
 * - it never throws: garbage or short input yields a frame marked `truncated` with what could be read;
 * - it never copies: byte fields are subarray views of the input (valid while the input buffer is);
 * - MAC and IPv4 text is built lazily (the hot paths key maps by the numeric forms `srcNum`/`dstNum`).
 */
import { ipv4At, ipv6At, macAt, macNumAt, BROADCAST_MAC_NUM } from './addr.js';
import { parseLldpTlvs, type LldpPacket } from './lldp.js';

export const ETH_TYPE = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  IPV6: 0x86dd,
  LLDP: 0x88cc,
  /** Floodlight's broadcast discovery frames (same TLVs as LLDP, broadcast destination). */
  BDDP: 0x8942,
} as const;

export const IP_PROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

export const ARP_OP = { REQUEST: 1, REPLY: 2 } as const;

export interface VlanTag {
  /** 12-bit VLAN id as on the wire (without OpenFlow's OFPVID_PRESENT bit). */
  vid: number;
  pcp: number;
  /** 0x8100 or 0x88a8. */
  tpid: number;
}

/** Ethernet/IPv4 ARP only (htype 1, ptype 0x0800); other ARP variants leave `frame.arp` undefined. */
export interface ArpPacket {
  op: number;
  sha: string;
  spa: string;
  tha: string;
  tpa: string;
  /** Numeric forms for cheap comparisons and map keys. */
  shaNum: number;
  spaNum: number;
  tpaNum: number;
}

export class Ipv4Header {
  constructor(
    private readonly buf: Buffer,
    private readonly off: number,
    readonly headerLength: number,
    readonly totalLength: number,
    readonly dscp: number,
    readonly ecn: number,
    readonly id: number,
    readonly dontFragment: boolean,
    readonly moreFragments: boolean,
    readonly fragmentOffset: number,
    readonly ttl: number,
    readonly proto: number,
    readonly srcNum: number,
    readonly dstNum: number,
  ) {}
  get src(): string {
    return ipv4At(this.buf, this.off + 12);
  }
  get dst(): string {
    return ipv4At(this.buf, this.off + 16);
  }
  /** IP options (view), empty when the header is the plain 20 bytes. */
  get options(): Buffer {
    return this.buf.subarray(this.off + 20, this.off + this.headerLength);
  }
}

export interface Ipv6Header {
  src: string;
  dst: string;
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  /** Next header of the fixed header (extension headers are not walked). */
  nextHeader: number;
  hopLimit: number;
}

export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  flags: number;
}
export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  length: number;
}
export interface IcmpHeader {
  type: number;
  code: number;
}

export class EthernetFrame {
  vlan: VlanTag | undefined = undefined;
  /** The EtherType after any VLAN tags (0 when truncated before it). */
  ethType = 0;
  /** Offset of the L3 header in `data`. */
  l3Offset = 14;
  arp: ArpPacket | undefined = undefined;
  ipv4: Ipv4Header | undefined = undefined;
  ipv6: Ipv6Header | undefined = undefined;
  tcp: TcpHeader | undefined = undefined;
  udp: UdpHeader | undefined = undefined;
  /** ICMPv4 (IPv4 proto 1). */
  icmp: IcmpHeader | undefined = undefined;
  /** ICMPv6 (IPv6 next header 58). */
  icmpv6: IcmpHeader | undefined = undefined;
  /** LLDP (0x88cc) or Floodlight BDDP (0x8942) TLVs. */
  lldp: LldpPacket | undefined = undefined;
  /** Set when a header was cut short; the fields parsed before the cut are still filled in. */
  truncated = false;
  /** 48-bit MACs as numbers (-1 when the frame is too short to hold them). */
  readonly dstNum: number;
  readonly srcNum: number;

  constructor(readonly data: Buffer) {
    const ok = data.length >= 12;
    this.dstNum = ok ? macNumAt(data, 0) : -1;
    this.srcNum = ok ? macNumAt(data, 6) : -1;
  }
  get dst(): string {
    return this.dstNum < 0 ? '' : macAt(this.data, 0);
  }
  get src(): string {
    return this.srcNum < 0 ? '' : macAt(this.data, 6);
  }
  /** Group bit set: broadcast or multicast destination. */
  get isMulticast(): boolean {
    return this.dstNum >= 0 && (this.data[0] & 1) === 1;
  }
  get isBroadcast(): boolean {
    return this.dstNum === BROADCAST_MAC_NUM;
  }
  /** The bytes after the L2 header(s) (view). */
  get l3Payload(): Buffer {
    return this.data.subarray(Math.min(this.l3Offset, this.data.length));
  }
}

export function parseEthernet(data: Buffer): EthernetFrame {
  const f = new EthernetFrame(data);
  const len = data.length;
  if (len < 14) {
    f.truncated = true;
    return f;
  }
  let off = 12;
  let type = data.readUInt16BE(off);
  // Outer tag is reported; inner tags (QinQ) are skipped to reach the payload type.
  while (type === ETH_TYPE.VLAN || type === ETH_TYPE.QINQ) {
    if (off + 6 > len) {
      f.truncated = true;
      f.ethType = 0;
      return f;
    }
    const tci = data.readUInt16BE(off + 2);
    if (f.vlan === undefined) f.vlan = { vid: tci & 0x0fff, pcp: tci >>> 13, tpid: type };
    off += 4;
    type = data.readUInt16BE(off);
  }
  off += 2;
  f.ethType = type;
  f.l3Offset = off;
  switch (type) {
    case ETH_TYPE.IPV4:
      parseIpv4(f, data, off);
      break;
    case ETH_TYPE.ARP:
      parseArp(f, data, off);
      break;
    case ETH_TYPE.IPV6:
      parseIpv6(f, data, off);
      break;
    case ETH_TYPE.LLDP:
    case ETH_TYPE.BDDP: {
      const lldp = parseLldpTlvs(data.subarray(off));
      if (lldp === undefined) f.truncated = true;
      else f.lldp = lldp;
      break;
    }
  }
  return f;
}

function parseIpv4(f: EthernetFrame, d: Buffer, off: number): void {
  if (off + 20 > d.length) {
    f.truncated = true;
    return;
  }
  const vihl = d[off];
  const ihl = (vihl & 0x0f) * 4;
  if (vihl >>> 4 !== 4 || ihl < 20 || off + ihl > d.length) {
    f.truncated = true;
    return;
  }
  const tos = d[off + 1];
  const fragWord = d.readUInt16BE(off + 6);
  const proto = d[off + 9];
  const ip = new Ipv4Header(
    d,
    off,
    ihl,
    d.readUInt16BE(off + 2),
    tos >>> 2,
    tos & 3,
    d.readUInt16BE(off + 4),
    (fragWord & 0x4000) !== 0,
    (fragWord & 0x2000) !== 0,
    fragWord & 0x1fff,
    d[off + 8],
    proto,
    d.readUInt32BE(off + 12),
    d.readUInt32BE(off + 16),
  );
  f.ipv4 = ip;
  // Only the first fragment carries the L4 header.
  if (ip.fragmentOffset === 0) parseL4(f, d, off + ihl, proto, false);
}

function parseIpv6(f: EthernetFrame, d: Buffer, off: number): void {
  if (off + 40 > d.length) {
    f.truncated = true;
    return;
  }
  const w0 = d.readUInt32BE(off);
  if (w0 >>> 28 !== 6) {
    f.truncated = true;
    return;
  }
  const nextHeader = d[off + 6];
  f.ipv6 = {
    trafficClass: (w0 >>> 20) & 0xff,
    flowLabel: w0 & 0xfffff,
    payloadLength: d.readUInt16BE(off + 4),
    nextHeader,
    hopLimit: d[off + 7],
    src: ipv6At(d, off + 8),
    dst: ipv6At(d, off + 24),
  };
  parseL4(f, d, off + 40, nextHeader, true);
}

function parseL4(f: EthernetFrame, d: Buffer, off: number, proto: number, v6: boolean): void {
  const len = d.length;
  switch (proto) {
    case IP_PROTO.TCP:
      if (off + 14 > len) f.truncated = true;
      else f.tcp = { srcPort: d.readUInt16BE(off), dstPort: d.readUInt16BE(off + 2), flags: d[off + 13] };
      break;
    case IP_PROTO.UDP:
      if (off + 8 > len) f.truncated = true;
      else
        f.udp = {
          srcPort: d.readUInt16BE(off),
          dstPort: d.readUInt16BE(off + 2),
          length: d.readUInt16BE(off + 4),
        };
      break;
    case IP_PROTO.ICMP:
      if (v6) break;
      if (off + 2 > len) f.truncated = true;
      else f.icmp = { type: d[off], code: d[off + 1] };
      break;
    case IP_PROTO.ICMPV6:
      if (!v6) break;
      if (off + 2 > len) f.truncated = true;
      else f.icmpv6 = { type: d[off], code: d[off + 1] };
      break;
  }
}

function parseArp(f: EthernetFrame, d: Buffer, off: number): void {
  if (off + 28 > d.length) {
    f.truncated = true;
    return;
  }
  // Only Ethernet hardware / IPv4 protocol addresses with their standard sizes.
  if (
    d.readUInt16BE(off) !== 1 ||
    d.readUInt16BE(off + 2) !== ETH_TYPE.IPV4 ||
    d[off + 4] !== 6 ||
    d[off + 5] !== 4
  )
    return;
  f.arp = {
    op: d.readUInt16BE(off + 6),
    sha: macAt(d, off + 8),
    spa: ipv4At(d, off + 14),
    tha: macAt(d, off + 18),
    tpa: ipv4At(d, off + 24),
    shaNum: macNumAt(d, off + 8),
    spaNum: d.readUInt32BE(off + 14),
    tpaNum: d.readUInt32BE(off + 24),
  };
}
