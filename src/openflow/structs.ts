/**
 * Structures shared by several messages: ports (ofp_phy_port / ofp_port), group buckets, meter bands,
 * and the version-dependent match codec.
 */
import type { Bucket, Match, MeterBand, OfVersion, PortDesc } from './types.js';
import { OFP_VERSION_1_0 } from './types.js';
import { OpenFlowDecodeError, OFPET13, badField, badLength, unsupported } from './errors.js';
import { actionsSize, readActions, writeActions } from './actions.js';
import { OFP10_MATCH_LEN, readMatch10, writeMatch10 } from './match10.js';
import { matchSize13, readMatch13, writeMatch13 } from './oxm.js';
import { Reader, Writer, port10to32, port32to10 } from './wire.js';

/** Throws OF_UNSUPPORTED when OF1.0 would have to drop a field that is not at its default. */
export function only13<T>(v: OfVersion, field: string, value: T, dflt: T): void {
  if (v === OFP_VERSION_1_0 && value !== dflt) {
    throw unsupported(field, `OpenFlow 1.0 cannot carry ${field} (must be ${String(dflt)})`);
  }
}
export function only10<T>(v: OfVersion, field: string, value: T, dflt: T): void {
  if (v !== OFP_VERSION_1_0 && value !== dflt) {
    throw unsupported(field, `OpenFlow 1.3 cannot carry ${field} (must be ${String(dflt)})`);
  }
}

export function matchSize(match: Match, v: OfVersion, field = 'match'): number {
  if (match === null || typeof match !== 'object') throw badField(field, 'must be an object');
  return v === OFP_VERSION_1_0 ? OFP10_MATCH_LEN : matchSize13(match, field);
}
export function writeMatch(w: Writer, match: Match, v: OfVersion, field = 'match'): void {
  if (v === OFP_VERSION_1_0) writeMatch10(w, match, field);
  else writeMatch13(w, match, field);
}
export function readMatch(r: Reader, v: OfVersion): Match {
  return v === OFP_VERSION_1_0 ? readMatch10(r) : readMatch13(r);
}

/** Reads a port number in the version's width, as a 32-bit model port. */
export function readPort(r: Reader, v: OfVersion): number {
  return v === OFP_VERSION_1_0 ? port10to32(r.u16()) : r.u32();
}
export function writePort(w: Writer, port: number, v: OfVersion, field: string): void {
  if (v === OFP_VERSION_1_0) w.u16(port32to10(port, field), field);
  else w.u32(port, field);
}

// ---------------------------------------------------------------------------------------------------------
// Ports

export const PORT_DESC_LEN = { 1: 48, 4: 64 } as const;

export function writePortDesc(w: Writer, p: PortDesc, v: OfVersion, field: string): void {
  if (v === OFP_VERSION_1_0) {
    only13(v, `${field}.currSpeed`, p.currSpeed, 0);
    only13(v, `${field}.maxSpeed`, p.maxSpeed, 0);
    w.u16(port32to10(p.portNo, `${field}.portNo`), `${field}.portNo`);
    w.mac(p.hwAddr, `${field}.hwAddr`);
    w.str(p.name, 16, `${field}.name`);
  } else {
    w.u32(p.portNo, `${field}.portNo`);
    w.zeros(4);
    w.mac(p.hwAddr, `${field}.hwAddr`);
    w.zeros(2);
    w.str(p.name, 16, `${field}.name`);
  }
  w.u32(p.config, `${field}.config`);
  w.u32(p.state, `${field}.state`);
  w.u32(p.curr, `${field}.curr`);
  w.u32(p.advertised, `${field}.advertised`);
  w.u32(p.supported, `${field}.supported`);
  w.u32(p.peer, `${field}.peer`);
  if (v !== OFP_VERSION_1_0) {
    w.u32(p.currSpeed, `${field}.currSpeed`);
    w.u32(p.maxSpeed, `${field}.maxSpeed`);
  }
}

export function readPortDesc(r: Reader, v: OfVersion): PortDesc {
  r.need(PORT_DESC_LEN[v], v === OFP_VERSION_1_0 ? 'ofp_phy_port' : 'ofp_port');
  let portNo: number;
  if (v === OFP_VERSION_1_0) {
    portNo = port10to32(r.u16());
  } else {
    portNo = r.u32();
    r.skip(4);
  }
  const hwAddr = r.mac();
  if (v !== OFP_VERSION_1_0) r.skip(2);
  const name = r.str(16);
  const config = r.u32();
  const state = r.u32();
  const curr = r.u32();
  const advertised = r.u32();
  const supported = r.u32();
  const peer = r.u32();
  const currSpeed = v === OFP_VERSION_1_0 ? 0 : r.u32();
  const maxSpeed = v === OFP_VERSION_1_0 ? 0 : r.u32();
  return { portNo, hwAddr, name, config, state, curr, advertised, supported, peer, currSpeed, maxSpeed };
}

/** Reads fixed-size entries until `end`, rejecting a trailing partial entry. */
export function readFixedList<T>(r: Reader, end: number, size: number, what: string, read: () => T): T[] {
  if ((end - r.off) % size !== 0) throw badLength(`${what} list is not a multiple of ${size} bytes`);
  const out: T[] = [];
  while (r.off < end) out.push(read());
  return out;
}

/** Reads a `u16 length`-prefixed variable entry list (flow stats, buckets...) until `end`. */
export function readLengthPrefixedList<T>(
  r: Reader,
  end: number,
  minLen: number,
  what: string,
  read: (sub: Reader, len: number) => T,
): T[] {
  const out: T[] = [];
  while (r.off < end) {
    if (end - r.off < minLen) throw badLength(`${what} entry runs past the message`);
    const len = r.buf.readUInt16BE(r.off);
    if (len < minLen || r.off + len > end) throw badLength(`${what} entry has bad length ${len}`);
    const sub = new Reader(r.buf, r.off, r.off + len);
    out.push(read(sub, len));
    r.off += len;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Group buckets (OF1.3)

export const BUCKET_HEADER_LEN = 16;

export function bucketsSize(buckets: readonly Bucket[], field: string): number {
  if (!Array.isArray(buckets)) throw badField(field, 'must be an array');
  let n = 0;
  for (let i = 0; i < buckets.length; i++) {
    n += BUCKET_HEADER_LEN + actionsSize(buckets[i].actions, 4, `${field}[${i}].actions`);
  }
  return n;
}

export function writeBuckets(w: Writer, buckets: readonly Bucket[], field: string): void {
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i];
    const f = `${field}[${i}]`;
    const start = w.off;
    w.u16(0, f); // length patched below
    w.u16(b.weight, `${f}.weight`);
    w.u32(b.watchPort, `${f}.watchPort`);
    w.u32(b.watchGroup, `${f}.watchGroup`);
    w.zeros(4);
    writeActions(w, b.actions, 4, `${f}.actions`);
    w.buf.writeUInt16BE(w.off - start, start);
  }
}

export function readBuckets(r: Reader, end: number): Bucket[] {
  return readLengthPrefixedList(r, end, BUCKET_HEADER_LEN, 'bucket', (sub, len) => {
    sub.skip(2);
    const weight = sub.u16();
    const watchPort = sub.u32();
    const watchGroup = sub.u32();
    sub.skip(4);
    return { weight, watchPort, watchGroup, actions: readActions(sub, sub.off - BUCKET_HEADER_LEN + len, 4) };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Meter bands (OF1.3)

export const OFPMBT = { DROP: 1, DSCP_REMARK: 2, EXPERIMENTER: 0xffff } as const;
export const METER_BAND_LEN = 16;

export function meterBandsSize(bands: readonly MeterBand[], field: string): number {
  if (!Array.isArray(bands)) throw badField(field, 'must be an array');
  return bands.length * METER_BAND_LEN;
}

export function writeMeterBands(w: Writer, bands: readonly MeterBand[], field: string): void {
  for (let i = 0; i < bands.length; i++) {
    const b = bands[i];
    const f = `${field}[${i}]`;
    const type =
      b.type === 'drop'
        ? OFPMBT.DROP
        : b.type === 'dscp_remark'
          ? OFPMBT.DSCP_REMARK
          : b.type === 'experimenter'
            ? OFPMBT.EXPERIMENTER
            : undefined;
    if (type === undefined)
      throw badField(`${f}.type`, `unknown meter band ${String((b as { type: unknown }).type)}`);
    w.u16(type, f);
    w.u16(METER_BAND_LEN, f);
    w.u32(b.rate, `${f}.rate`);
    w.u32(b.burstSize, `${f}.burstSize`);
    if (b.type === 'drop') w.zeros(4);
    else if (b.type === 'dscp_remark') {
      w.u8(b.precLevel, `${f}.precLevel`);
      w.zeros(3);
    } else w.u32(b.experimenter, `${f}.experimenter`);
  }
}

export function readMeterBands(r: Reader, end: number): MeterBand[] {
  const out: MeterBand[] = [];
  while (r.off < end) {
    const start = r.off;
    if (end - start < METER_BAND_LEN) throw badLength('meter band runs past the message');
    const type = r.u16();
    const len = r.u16();
    if (len < METER_BAND_LEN || len % 8 !== 0 || start + len > end)
      throw badLength(`meter band has length ${len}`);
    const rate = r.u32();
    const burstSize = r.u32();
    if (type === OFPMBT.DROP) out.push({ type: 'drop', rate, burstSize });
    else if (type === OFPMBT.DSCP_REMARK)
      out.push({ type: 'dscp_remark', rate, burstSize, precLevel: r.u8() });
    else if (type === OFPMBT.EXPERIMENTER)
      out.push({ type: 'experimenter', rate, burstSize, experimenter: r.u32() });
    else {
      // OFPMMFC_BAD_BAND = 5 within OFPET_METER_MOD_FAILED.
      throw new OpenFlowDecodeError(
        'OF_BAD_TYPE',
        OFPET13.METER_MOD_FAILED,
        5,
        `unknown meter band type ${type}`,
      );
    }
    r.off = start + len;
  }
  return out;
}
