/**
 * LLDP (IEEE 802.1AB) as used for OpenFlow link discovery.
 *
 * Sluice's frames carry the DPID twice so that other tools recognise them: a locally assigned chassis id
 * `dpid:<16 hex digits>` (the convention of Ryu/os-ken) and the OpenFlow-OUI (00:26:e1) organisational TLV
 * with the 8-byte DPID (Floodlight's). The port id is a port-component subtype holding the port number
 * (4 bytes from Sluice, 2 bytes from Floodlight). The parser accepts either DPID encoding.
 *
 * A probe may also carry its send time (for link latency, as Floodlight does) in an organisational TLV under
 * the same OUI. Floodlight's subtype 1 holds milliseconds plus the sender's control-channel latency; ours holds
 * the controller clock alone in microseconds, so it takes its own subtype and neither reads the other's.
 */
import { macAt, writeMac } from './addr.js';

export const LLDP_MULTICAST = '01:80:c2:00:00:0e';
export const LLDP_ETH_TYPE = 0x88cc;

const TLV = { END: 0, CHASSIS_ID: 1, PORT_ID: 2, TTL: 3, ORG: 127 } as const;
const CHASSIS_SUBTYPE_LOCAL = 7;
const PORT_SUBTYPE_COMPONENT = 2;
const OPENFLOW_OUI = 0x0026e1;
const ORG_SUBTYPE_DPID = 0;
/** 'S'luice: the probe's send time. */
export const ORG_SUBTYPE_SENT_AT = 0x53;
/** OUI (3) + subtype (1) + 64-bit value. */
const ORG_U64_TLV_LEN = 12;
const DPID_TEXT_PREFIX = 'dpid:';
const DPID_TEXT = /^dpid:([0-9a-f]{16})$/i;

export interface LldpPacket {
  chassisIdSubtype: number;
  /** View of the chassis id value (after the subtype byte). */
  chassisId: Buffer;
  portIdSubtype: number;
  portId: Buffer;
  ttl: number;
  /** Set when the frame names an OpenFlow switch (Sluice/Ryu chassis text or Floodlight's DPID TLV). */
  dpid: bigint | undefined;
  /** Set when the port id is a port-component number. */
  portNo: number | undefined;
  /**
   * The controller-clock time (ms) at which the probe was sent, from Sluice's send-time TLV; undefined when the
   * TLV is absent or malformed (the frame itself still parses).
   */
  sentAtMs: number | undefined;
}

/**
 * Walks the TLVs of an LLDP payload (the bytes after the EtherType). Returns undefined when a TLV overruns the
 * payload or a mandatory TLV (chassis id, port id, TTL) is missing. Never throws.
 */
export function parseLldpTlvs(p: Buffer): LldpPacket | undefined {
  let off = 0;
  let chassis: Buffer | undefined;
  let chassisSub = 0;
  let port: Buffer | undefined;
  let portSub = 0;
  let ttl = -1;
  let orgDpid: bigint | undefined;
  let sentAtMs: number | undefined;
  while (off + 2 <= p.length) {
    const head = p.readUInt16BE(off);
    const type = head >>> 9;
    const len = head & 0x1ff;
    off += 2;
    if (type === TLV.END) break;
    if (off + len > p.length) return undefined;
    const v = p.subarray(off, off + len);
    off += len;
    if (type === TLV.CHASSIS_ID && len >= 2) {
      chassisSub = v[0];
      chassis = v.subarray(1);
    } else if (type === TLV.PORT_ID && len >= 2) {
      portSub = v[0];
      port = v.subarray(1);
    } else if (type === TLV.TTL && len >= 2) {
      ttl = v.readUInt16BE(0);
    } else if (type === TLV.ORG && len >= 4 && v.readUIntBE(0, 3) === OPENFLOW_OUI) {
      if (v[3] === ORG_SUBTYPE_DPID && len === ORG_U64_TLV_LEN) orgDpid = v.readBigUInt64BE(4);
      else if (v[3] === ORG_SUBTYPE_SENT_AT) sentAtMs = parseSentAt(v);
    }
  }
  if (chassis === undefined || port === undefined || ttl < 0) return undefined;
  let dpid = orgDpid;
  if (dpid === undefined && chassisSub === CHASSIS_SUBTYPE_LOCAL) {
    const m = DPID_TEXT.exec(chassis.toString('latin1'));
    if (m) dpid = BigInt('0x' + m[1]);
  }
  let portNo: number | undefined;
  if (portSub === PORT_SUBTYPE_COMPONENT && (port.length === 2 || port.length === 4)) {
    portNo = port.length === 2 ? port.readUInt16BE(0) : port.readUInt32BE(0);
  }
  return {
    chassisIdSubtype: chassisSub,
    chassisId: chassis,
    portIdSubtype: portSub,
    portId: port,
    ttl,
    dpid,
    portNo,
    sentAtMs,
  };
}

/** The send time (ms) in a send-time TLV value, or undefined when its length or value is not one we write. */
export function parseSentAt(value: Buffer): number | undefined {
  if (value.length !== ORG_U64_TLV_LEN) return undefined;
  const us = value.readBigUInt64BE(4);
  if (us > MAX_SENT_AT_US) return undefined;
  return Number(us) / 1000;
}

const MAX_SENT_AT_US = BigInt(Number.MAX_SAFE_INTEGER);

/** The OpenFlow origin of an LLDP payload, or undefined when it is not a discovery frame of a controller. */
export function parseLldp(payload: Buffer): { dpid: bigint; portNo: number } | undefined {
  const p = parseLldpTlvs(payload);
  if (p === undefined || p.dpid === undefined || p.portNo === undefined) return undefined;
  return { dpid: p.dpid, portNo: p.portNo };
}

export interface LldpSpec {
  chassisDpid: bigint;
  portNo: number;
  /** Seconds; default 120. */
  ttl?: number;
  /** Source MAC (usually the port's hw address); default the DPID's low 48 bits. */
  srcMac?: string;
  /** Controller-clock send time (ms, >= 0, microsecond resolution kept); adds the send-time TLV. */
  sentAtMs?: number;
}

/** A whole Ethernet frame (dst 01:80:c2:00:00:0e, EtherType 0x88cc) ready for PACKET_OUT. */
export function buildLldp(spec: LldpSpec): Buffer {
  const ttl = spec.ttl ?? 120;
  const chassisText = DPID_TEXT_PREFIX + spec.chassisDpid.toString(16).padStart(16, '0');
  const tlvs = [
    tlv(
      TLV.CHASSIS_ID,
      Buffer.concat([Buffer.of(CHASSIS_SUBTYPE_LOCAL), Buffer.from(chassisText, 'latin1')]),
    ),
    tlv(TLV.PORT_ID, u32WithSubtype(PORT_SUBTYPE_COMPONENT, spec.portNo)),
    tlv(TLV.TTL, u16(ttl)),
    tlv(TLV.ORG, orgU64(ORG_SUBTYPE_DPID, spec.chassisDpid)),
    ...(spec.sentAtMs === undefined ? [] : [tlv(TLV.ORG, sentAtValue(spec.sentAtMs))]),
    Buffer.alloc(2), // END
  ];
  const head = Buffer.alloc(14);
  writeMac(head, 0, LLDP_MULTICAST);
  writeMac(head, 6, spec.srcMac ?? lldpSourceMac(spec.chassisDpid));
  head.writeUInt16BE(LLDP_ETH_TYPE, 12);
  return Buffer.concat([head, ...tlvs]);
}

/** A source MAC to use for a switch's LLDP when the port's own address is unknown. */
export function lldpSourceMac(dpid: bigint): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(dpid);
  return macAt(b, 2);
}

function tlv(type: number, value: Buffer): Buffer {
  const b = Buffer.alloc(2 + value.length);
  b.writeUInt16BE((type << 9) | value.length, 0);
  value.copy(b, 2);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32WithSubtype(subtype: number, n: number): Buffer {
  const b = Buffer.alloc(5);
  b[0] = subtype;
  b.writeUInt32BE(n >>> 0, 1);
  return b;
}

function orgU64(subtype: number, n: bigint): Buffer {
  const b = Buffer.alloc(ORG_U64_TLV_LEN);
  b.writeUIntBE(OPENFLOW_OUI, 0, 3);
  b[3] = subtype;
  b.writeBigUInt64BE(n, 4);
  return b;
}

/** The value of a send-time TLV (exported for tests that corrupt it). */
export function sentAtValue(sentAtMs: number): Buffer {
  const us = Math.round(sentAtMs * 1000);
  if (!Number.isSafeInteger(us) || us < 0) {
    throw new RangeError(`sentAtMs: must be a finite time >= 0 ms, got ${sentAtMs}`);
  }
  return orgU64(ORG_SUBTYPE_SENT_AT, BigInt(us));
}
