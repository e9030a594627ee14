/**
 * The hot-path wire bytes of the cbench-style generator: OpenFlow 1.0 PACKET_IN frames built once and
 * patched in place, and a reply classifier that reads only fixed offsets. Pure: no sockets, no clocks.
 *
 * The handshake goes through the Sluice codec (src/openflow); these functions exist because decoding every
 * reply into objects would make the generator, which shares two cores with the controller under test, the
 * bottleneck. Frames themselves are built once, with the src/packet builders.
 */
import {
  buildArpRequest,
  buildUdpFrame as packetUdpFrame,
  ipv4NumToText,
  macAt,
} from '../../src/packet/index.js';

export const OFP10_VERSION = 0x01;
export const OFPT10 = {
  HELLO: 0,
  ERROR: 1,
  ECHO_REQUEST: 2,
  ECHO_REPLY: 3,
  VENDOR: 4,
  FEATURES_REQUEST: 5,
  FEATURES_REPLY: 6,
  GET_CONFIG_REQUEST: 7,
  GET_CONFIG_REPLY: 8,
  SET_CONFIG: 9,
  PACKET_IN: 10,
  FLOW_REMOVED: 11,
  PORT_STATUS: 12,
  PACKET_OUT: 13,
  FLOW_MOD: 14,
  PORT_MOD: 15,
  STATS_REQUEST: 16,
  STATS_REPLY: 17,
  BARRIER_REQUEST: 18,
  BARRIER_REPLY: 19,
  QUEUE_GET_CONFIG_REQUEST: 20,
} as const;

export const NO_BUFFER = 0xffffffff;
const OFPFC_ADD = 0;
const OFPFC_MODIFY_STRICT = 2;
const ETH_TYPE_LLDP = 0x88cc;
/** Floodlight's broadcast discovery frames; like LLDP they are the controller talking to itself. */
const ETH_TYPE_BDDP = 0x8942;

const PACKET_IN_HEADER_LEN = 18; // ofp_packet_in up to data (OF1.0)
const FLOW_MOD_BUFFER_ID_OFFSET = 64; // header 8 + match 40 + cookie 8 + command/idle/hard/priority 8
const FLOW_MOD_COMMAND_OFFSET = 56;
const FLOW_MOD_MIN_LEN = 72;
const PACKET_OUT_MIN_LEN = 16;

/** Ethernet(14) + IPv4(20) + UDP(8) + 18 bytes payload: the 60-byte minimum frame. */
export const FRAME_LEN = 60;
/** Where the UDP payload starts: Ethernet(14) + IPv4(20) + UDP(8). */
const UDP_DATA_OFFSET = 42;
/** Where the generator's sequence number (equal to the buffer id) sits in the frame: the UDP payload. */
export const FRAME_SEQ_OFFSET = UDP_DATA_OFFSET;
export const PACKET_IN_LEN = PACKET_IN_HEADER_LEN + FRAME_LEN;

/** Offsets inside a PACKET_IN built by buildPacketIn, for in-place patching. */
export const PI_XID_OFFSET = 4;
export const PI_BUFFER_ID_OFFSET = 8;
export const PI_SEQ_OFFSET = PACKET_IN_HEADER_LEN + FRAME_SEQ_OFFSET;

/**
 * MAC of host `index` behind fake switch `switchId`: locally administered unicast (02:..), switch id in
 * bytes 1-2 and the index in bytes 3-5, so hosts are distinct across switches and never multicast.
 */
export function hostMac(switchId: number, index: number): Buffer {
  const mac = Buffer.alloc(6);
  mac[0] = 0x02;
  mac.writeUInt16BE(switchId & 0xffff, 1);
  mac.writeUIntBE(index & 0xffffff, 3, 3);
  return mac;
}

/**
 * IPv4 of host `index` behind switch `switchId`, in 10.0.0.0/8 as a 32-bit number, never .0 or .255 in the
 * last octet. Distinct for switchId < 4096 and index < 4096 (1,000 switches x 100 hosts fit easily).
 */
export function hostIpv4(switchId: number, index: number): number {
  const h = ((switchId & 0xfff) * 4096 + (index & 0xfff)) % (254 * 65536);
  const last = (h % 254) + 1;
  const rest = Math.floor(h / 254);
  return ((10 << 24) | ((rest >>> 8) << 16) | ((rest & 0xff) << 8) | last) >>> 0;
}

export interface FrameSpec {
  src: Buffer;
  dst: Buffer;
  srcIp: number;
  dstIp: number;
}

/** A 60-byte Ethernet/IPv4/UDP frame (UDP checksum 0 = none), sequence number 0. */
export function buildUdpFrame(spec: FrameSpec): Buffer {
  return packetUdpFrame({
    ethSrc: macAt(spec.src, 0),
    ethDst: macAt(spec.dst, 0),
    ipSrc: ipv4NumToText(spec.srcIp),
    ipDst: ipv4NumToText(spec.dstIp),
    srcPort: 40000,
    dstPort: 5001,
    data: Buffer.alloc(FRAME_LEN - UDP_DATA_OFFSET),
  });
}

/** An ARP request frame (60 bytes, padded) announcing `srcIp` at `src`, asking for `dstIp`. */
export function buildArpFrame(src: Buffer, srcIp: number, dstIp: number): Buffer {
  const arp = buildArpRequest({
    senderMac: macAt(src, 0),
    senderIp: ipv4NumToText(srcIp),
    targetIp: ipv4NumToText(dstIp),
  });
  return Buffer.concat([arp, Buffer.alloc(FRAME_LEN - arp.length)]);
}

/** OF1.0 PACKET_IN (reason NO_MATCH) wrapping `frame`; xid and buffer id are patched per send. */
export function buildPacketIn(frame: Buffer, inPort: number, bufferId = 0, xid = 0): Buffer {
  const m = Buffer.alloc(PACKET_IN_HEADER_LEN + frame.length);
  m[0] = OFP10_VERSION;
  m[1] = OFPT10.PACKET_IN;
  m.writeUInt16BE(m.length, 2);
  m.writeUInt32BE(xid, PI_XID_OFFSET);
  m.writeUInt32BE(bufferId, PI_BUFFER_ID_OFFSET);
  m.writeUInt16BE(frame.length, 12); // total_len
  m.writeUInt16BE(inPort, 14);
  m[16] = 0; // OFPR_NO_MATCH
  frame.copy(m, PACKET_IN_HEADER_LEN);
  return m;
}

/**
 * Stamps one send into a packet-in built by buildPacketIn: xid, buffer id, and the same number as the
 * frame's sequence, so that an unbuffered PACKET_OUT (which carries the frame back) can be matched too.
 */
export function stampPacketIn(msg: Buffer, offset: number, xid: number, bufferId: number): void {
  msg.writeUInt32BE(xid, offset + PI_XID_OFFSET);
  msg.writeUInt32BE(bufferId, offset + PI_BUFFER_ID_OFFSET);
  msg.writeUInt32BE(bufferId, offset + PI_SEQ_OFFSET);
}

/**
 * The cbench traffic pattern for one switch: host i sends to host i+1 (mod M), host i sits on port
 * (i mod ports)+1. Consecutive hosts are on different ports, so once an L2 learner has seen one cycle,
 * every destination is known and lies on another port than the packet came in on.
 */
export function buildSwitchPacketIns(switchId: number, macs: number, ports: number): Buffer[] {
  if (macs < 2) throw new Error('macs: need at least 2 MACs per switch so destinations can be learned');
  if (ports < 3)
    throw new Error('ports: need at least 3 ports so every destination differs from the in-port');
  const out: Buffer[] = [];
  for (let i = 0; i < macs; i++) {
    const j = (i + 1) % macs;
    const frame = buildUdpFrame({
      src: hostMac(switchId, i),
      dst: hostMac(switchId, j),
      srcIp: hostIpv4(switchId, i),
      dstIp: hostIpv4(switchId, j),
    });
    out.push(buildPacketIn(frame, cyclePort(i, macs, ports)));
  }
  return out;
}

/**
 * Port of host i when hosts form a cycle of `macs` (i talks to i+1): round-robin, except that the last host
 * moves to port 2 when round-robin would put it on host 0's port 1 (needs ports >= 3).
 */
export function cyclePort(index: number, macs: number, ports: number): number {
  const p = hostPort(index, ports);
  return index === macs - 1 && p === 1 && macs > 1 ? 2 : p;
}

export function hostPort(index: number, ports: number): number {
  return (index % ports) + 1;
}

/**
 * What a controller message means to the generator, read from fixed offsets only.
 * - `response`: a PACKET_OUT that is not LLDP/BDDP, or a FLOW_MOD ADD / MODIFY_STRICT (cbench's definition);
 *   `answers` is the buffer id it releases, or for an unbuffered PACKET_OUT the sequence number in the frame
 *   it carries; undefined when the message names no packet (an unbuffered FLOW_MOD, which a controller
 *   follows with the PACKET_OUT that releases the packet: counting both would count one packet-in twice).
 * - `discovery`: the controller's own LLDP/BDDP probes.
 * - `other`: anything else (handshake, stats, deletes...), handled by the slow path.
 */
export type ReplyClass =
  { kind: 'response'; answers: number | undefined } | { kind: 'discovery' } | { kind: 'other'; type: number };

/** The answered id of a response, NOT_ANSWERING when it names none, or a negative code for non-responses. */
export const NOT_A_RESPONSE = -1;
export const DISCOVERY = -2;
export const NOT_ANSWERING = -3;

/**
 * Allocation-free classifier for the hot path; `buf[off..off+len)` is one whole OpenFlow 1.0 message.
 * Returns the answered id (>= 0), NOT_ANSWERING, DISCOVERY or NOT_A_RESPONSE.
 */
export function answeredId(buf: Buffer, off: number, len: number): number {
  const type = buf[off + 1];
  if (type === OFPT10.FLOW_MOD) {
    if (len < FLOW_MOD_MIN_LEN) return NOT_A_RESPONSE;
    const command = buf.readUInt16BE(off + FLOW_MOD_COMMAND_OFFSET);
    if (command !== OFPFC_ADD && command !== OFPFC_MODIFY_STRICT) return NOT_A_RESPONSE;
    const bufferId = buf.readUInt32BE(off + FLOW_MOD_BUFFER_ID_OFFSET);
    return bufferId === NO_BUFFER ? NOT_ANSWERING : bufferId;
  }
  if (type === OFPT10.PACKET_OUT) {
    if (len < PACKET_OUT_MIN_LEN) return NOT_A_RESPONSE;
    const bufferId = buf.readUInt32BE(off + 8);
    const dataOff = PACKET_OUT_MIN_LEN + buf.readUInt16BE(off + 14);
    const dataLen = len - dataOff;
    if (dataLen >= 14) {
      const ethType = buf.readUInt16BE(off + dataOff + 12);
      if (ethType === ETH_TYPE_LLDP || ethType === ETH_TYPE_BDDP) return DISCOVERY;
    }
    if (bufferId !== NO_BUFFER) return bufferId;
    if (dataLen >= FRAME_SEQ_OFFSET + 4) return buf.readUInt32BE(off + dataOff + FRAME_SEQ_OFFSET);
    return NOT_ANSWERING;
  }
  return NOT_A_RESPONSE;
}

/** The readable form of answeredId, for tests and diagnostics. */
export function classifyReply(msg: Buffer): ReplyClass {
  const id = answeredId(msg, 0, msg.length);
  if (id === DISCOVERY) return { kind: 'discovery' };
  if (id === NOT_A_RESPONSE) return { kind: 'other', type: msg[1] };
  return { kind: 'response', answers: id === NOT_ANSWERING ? undefined : id };
}
