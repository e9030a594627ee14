/**
 * A precompiled FLOW_MOD for the reactive L2 flow (match in_port + eth_src + eth_dst, one output action), the
 * message a learning switch sends for nearly every packet-in.
 *
 * The fixed fields (cookie, timeouts, priority, flags) are encoded once through the codec, so they are
 * validated as any message is. Where the per-packet fields sit is found the same way: by encoding samples
 * that differ in one field and comparing the bytes, so the template cannot drift from the codec. Per packet
 * only a copy and five big-endian writes remain: no Match object, no MAC text, no codec walk.
 */
import { encodeMessage } from './codec.js';
import { badField } from './errors.js';
import { OFPFC, OFPG_ANY, OFPP, OFP_VERSION_1_0, type FlowMod, type OfVersion } from './types.js';
import { formatMacAt } from './wire.js';

/** The fields every flow of one template shares. */
export interface L2FlowFixed {
  cookie: bigint;
  idleTimeout: number;
  hardTimeout: number;
  priority: number;
  flags: number;
  /** Default 0. */
  tableId?: number;
}

/** The fields that change per packet. MACs are 48-bit numbers (as EthernetFrame.srcNum/dstNum). */
export interface L2FlowVars {
  bufferId: number;
  inPort: number;
  ethSrc: number;
  ethDst: number;
  outPort: number;
}

type Slot = keyof L2FlowVars;
const SLOTS: readonly Slot[] = ['bufferId', 'inPort', 'ethSrc', 'ethDst', 'outPort'];

/** Two values per field that differ in every byte of its wire form (ports are 16-bit in OF1.0, 32 in OF1.3). */
function samples(version: OfVersion): [L2FlowVars, L2FlowVars] {
  const wide = version !== OFP_VERSION_1_0;
  return [
    {
      bufferId: 0x01020304,
      inPort: wide ? 0x01020304 : 0x0102,
      ethSrc: 0x010203040506,
      ethDst: 0x111213141516,
      outPort: wide ? 0x0a0b0c0d : 0x0a0b,
    },
    {
      bufferId: 0x1a1b1c1d,
      inPort: wide ? 0x13141516 : 0x1314,
      ethSrc: 0x1a1b1c1d1e1f,
      ethDst: 0x2a2b2c2d2e2f,
      outPort: wide ? 0x3c3d3e3f : 0x3c3d,
    },
  ];
}

const MAC_SCRATCH = Buffer.alloc(6);

function macText(mac: number): string {
  MAC_SCRATCH.writeUIntBE(mac, 0, 6);
  return formatMacAt(MAC_SCRATCH, 0);
}

/** The FLOW_MOD a template encodes, as a codec message body (what the bytes decode to). */
export function l2FlowMod(fixed: L2FlowFixed, vars: L2FlowVars): Omit<FlowMod, 'version' | 'xid'> {
  return {
    type: 'flow_mod',
    cookie: fixed.cookie,
    cookieMask: 0n,
    tableId: fixed.tableId ?? 0,
    command: OFPFC.ADD,
    idleTimeout: fixed.idleTimeout,
    hardTimeout: fixed.hardTimeout,
    priority: fixed.priority,
    bufferId: vars.bufferId,
    outPort: OFPP.ANY,
    outGroup: OFPG_ANY,
    flags: fixed.flags,
    match: { in_port: vars.inPort, eth_src: macText(vars.ethSrc), eth_dst: macText(vars.ethDst) },
    instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: vars.outPort, maxLen: 0 }] }],
  };
}

export class L2FlowModTemplate {
  private readonly bytes: Buffer;
  private readonly at: Record<Slot, number>;
  /** OF1.0 ports are 16-bit on the wire, OF1.3 ports 32-bit. */
  private readonly portMax: number;
  private readonly portBytes: number;

  constructor(
    readonly version: OfVersion,
    readonly fixed: L2FlowFixed,
  ) {
    const [a, b] = samples(version);
    this.bytes = encodeMessage(l2FlowMod(fixed, a), version, 0);
    const at = {} as Record<Slot, number>;
    this.portBytes = version === OFP_VERSION_1_0 ? 2 : 4;
    this.portMax = version === OFP_VERSION_1_0 ? 0xff00 : OFPP.MAX;
    const width: Record<Slot, number> = {
      bufferId: 4,
      inPort: this.portBytes,
      ethSrc: 6,
      ethDst: 6,
      outPort: this.portBytes,
    };
    for (const slot of SLOTS) {
      const other = encodeMessage(l2FlowMod(fixed, { ...a, [slot]: b[slot] }), version, 0);
      const [first, last] = diffRange(this.bytes, other);
      // A field OF1.x writes wider or split (or twice) would need more than one big-endian write.
      if (first < 0 || last - first + 1 !== width[slot] || other.length !== this.bytes.length) {
        throw new Error(`openflow template bug: ${slot} is not one ${width[slot]}-byte field`);
      }
      at[slot] = first;
    }
    this.at = at;
  }

  /** The FLOW_MOD's bytes with xid 0; the session stamps its own xid (SwitchSession.sendFrame). */
  encode(vars: L2FlowVars): Buffer {
    const { bufferId, inPort, ethSrc, ethDst, outPort } = vars;
    if (bufferId >>> 0 !== bufferId) throw badField('bufferId', `must be a u32, got ${bufferId}`);
    this.checkPort(inPort, 'match.in_port');
    this.checkPort(outPort, 'instructions[0].actions[0].port');
    checkMac(ethSrc, 'match.eth_src');
    checkMac(ethDst, 'match.eth_dst');
    const at = this.at;
    const buf = Buffer.allocUnsafe(this.bytes.length);
    this.bytes.copy(buf);
    buf.writeUInt32BE(bufferId, at.bufferId);
    buf.writeUIntBE(inPort, at.inPort, this.portBytes);
    buf.writeUIntBE(outPort, at.outPort, this.portBytes);
    buf.writeUIntBE(ethSrc, at.ethSrc, 6);
    buf.writeUIntBE(ethDst, at.ethDst, 6);
    return buf;
  }

  private checkPort(port: number, field: string): void {
    // Reserved ports have other wire values in OF1.0; the template carries plain port numbers only.
    if (!Number.isInteger(port) || port < 0 || port > this.portMax) {
      throw badField(field, `must be a port number 0..${this.portMax}, got ${port}`);
    }
  }
}

function checkMac(mac: number, field: string): void {
  if (!Number.isInteger(mac) || mac < 0 || mac > 0xffffffffffff) {
    throw badField(field, `must be a 48-bit MAC number, got ${mac}`);
  }
}

/** First and last index where two buffers differ, [-1, -1] when equal. */
function diffRange(a: Buffer, b: Buffer): [number, number] {
  let first = -1;
  let last = -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    if (first < 0) first = i;
    last = i;
  }
  return [first, last];
}
