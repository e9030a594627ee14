/**
 * Frame builders: ARP replies/requests for the controller's own packets (proxy ARP), and small IPv4/IPv6
 * frame builders that tests and apps use to craft traffic. Inputs are validated (bad text throws a
 * RangeError naming the field) because callers pass user or config data.
 */
import { writeIpv4, writeMac } from './addr.js';
import { ARP_OP, ETH_TYPE, IP_PROTO } from './ethernet.js';

export interface EthernetSpec {
  dst: string;
  src: string;
  /** 802.1Q tag (12-bit vid). */
  vlan?: { vid: number; pcp?: number };
  ethType: number;
  payload: Buffer;
}

export function buildEthernet(spec: EthernetSpec): Buffer {
  const tagLen = spec.vlan ? 4 : 0;
  const b = Buffer.alloc(14 + tagLen + spec.payload.length);
  writeMac(b, 0, spec.dst);
  writeMac(b, 6, spec.src);
  let off = 12;
  if (spec.vlan) {
    checkRange('vlan.vid', spec.vlan.vid, 0, 4095);
    const pcp = spec.vlan.pcp ?? 0;
    checkRange('vlan.pcp', pcp, 0, 7);
    b.writeUInt16BE(ETH_TYPE.VLAN, off);
    b.writeUInt16BE((pcp << 13) | spec.vlan.vid, off + 2);
    off += 4;
  }
  b.writeUInt16BE(spec.ethType, off);
  spec.payload.copy(b, off + 2);
  return b;
}

export interface ArpSpec {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
  /** Ethernet addressing; defaults: src = senderMac, dst = targetMac (broadcast for requests). */
  ethSrc?: string;
  ethDst?: string;
  vlan?: { vid: number; pcp?: number };
}

export function buildArp(spec: ArpSpec): Buffer {
  const p = Buffer.alloc(28);
  p.writeUInt16BE(1, 0); // Ethernet
  p.writeUInt16BE(ETH_TYPE.IPV4, 2);
  p[4] = 6;
  p[5] = 4;
  p.writeUInt16BE(spec.op, 6);
  writeMac(p, 8, spec.senderMac);
  writeIpv4(p, 14, spec.senderIp);
  writeMac(p, 18, spec.targetMac);
  writeIpv4(p, 24, spec.targetIp);
  const dst = spec.ethDst ?? (spec.op === ARP_OP.REQUEST ? 'ff:ff:ff:ff:ff:ff' : spec.targetMac);
  return buildEthernet({
    dst,
    src: spec.ethSrc ?? spec.senderMac,
    vlan: spec.vlan,
    ethType: ETH_TYPE.ARP,
    payload: p,
  });
}

/**
 * The reply to `requesterMac/requesterIp` asking who has `answerIp`: "answerIp is at answerMac" (proxy ARP
 * answers on behalf of a known host, so the reply's sender is that host).
 */
export function buildArpReply(a: {
  answerMac: string;
  answerIp: string;
  requesterMac: string;
  requesterIp: string;
  vlan?: { vid: number; pcp?: number };
}): Buffer {
  return buildArp({
    op: ARP_OP.REPLY,
    senderMac: a.answerMac,
    senderIp: a.answerIp,
    targetMac: a.requesterMac,
    targetIp: a.requesterIp,
    vlan: a.vlan,
  });
}

export function buildArpRequest(a: {
  senderMac: string;
  senderIp: string;
  targetIp: string;
  vlan?: { vid: number; pcp?: number };
}): Buffer {
  return buildArp({ op: ARP_OP.REQUEST, targetMac: '00:00:00:00:00:00', ...a });
}

export interface Ipv4Spec {
  src: string;
  dst: string;
  proto: number;
  payload: Buffer;
  ttl?: number;
  dscp?: number;
  /** Raw options, padded to a multiple of 4 bytes by the builder. */
  options?: Buffer;
  id?: number;
}

/** IPv4 packet (header checksum filled in). */
export function buildIpv4(spec: Ipv4Spec): Buffer {
  const opts = spec.options ?? Buffer.alloc(0);
  const optLen = Math.ceil(opts.length / 4) * 4;
  const hl = 20 + optLen;
  if (hl > 60) throw new RangeError('ipv4.options: longer than 40 bytes');
  const b = Buffer.alloc(hl + spec.payload.length);
  b[0] = 0x40 | (hl / 4);
  b[1] = (spec.dscp ?? 0) << 2;
  b.writeUInt16BE(b.length, 2);
  b.writeUInt16BE(spec.id ?? 0, 4);
  b[8] = spec.ttl ?? 64;
  b[9] = spec.proto;
  writeIpv4(b, 12, spec.src);
  writeIpv4(b, 16, spec.dst);
  opts.copy(b, 20);
  b.writeUInt16BE(checksum(b.subarray(0, hl)), 10);
  spec.payload.copy(b, hl);
  return b;
}

export function buildUdp(srcPort: number, dstPort: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(8 + data.length);
  b.writeUInt16BE(srcPort, 0);
  b.writeUInt16BE(dstPort, 2);
  b.writeUInt16BE(b.length, 4);
  data.copy(b, 8);
  return b;
}

/** TCP header without options; `flags` e.g. 0x02 SYN. Checksum left 0 (tests and parsers don't verify it). */
export function buildTcp(
  srcPort: number,
  dstPort: number,
  flags = 0x02,
  data: Buffer = Buffer.alloc(0),
): Buffer {
  const b = Buffer.alloc(20 + data.length);
  b.writeUInt16BE(srcPort, 0);
  b.writeUInt16BE(dstPort, 2);
  b[12] = 5 << 4;
  b[13] = flags;
  b.writeUInt16BE(0xffff, 14);
  data.copy(b, 20);
  return b;
}

/** ICMP echo request (type 8) or reply (type 0) with checksum. */
export function buildIcmpEcho(type: 0 | 8, id: number, seq: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(8 + data.length);
  b[0] = type;
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq, 6);
  data.copy(b, 8);
  b.writeUInt16BE(checksum(b), 2);
  return b;
}

/** Convenience for tests, probes and the bench: Ethernet + IPv4 + UDP (`data` as the UDP payload). */
export function buildUdpFrame(a: {
  ethSrc: string;
  ethDst: string;
  ipSrc: string;
  ipDst: string;
  srcPort: number;
  dstPort: number;
  vlan?: { vid: number; pcp?: number };
  data?: Buffer;
}): Buffer {
  const ip = buildIpv4({
    src: a.ipSrc,
    dst: a.ipDst,
    proto: IP_PROTO.UDP,
    payload: buildUdp(a.srcPort, a.dstPort, a.data),
  });
  return buildEthernet({ dst: a.ethDst, src: a.ethSrc, vlan: a.vlan, ethType: ETH_TYPE.IPV4, payload: ip });
}

/** RFC 1071 Internet checksum. */
export function checksum(b: Buffer): number {
  let sum = 0;
  const n = b.length & ~1;
  for (let i = 0; i < n; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (b.length & 1) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function checkRange(field: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new RangeError(`${field}: must be an integer ${min}..${max}`);
}
