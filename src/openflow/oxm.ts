/**
 * OpenFlow 1.3 OXM: one `as const` table of the basic-class fields drives encoding, decoding, sizes and the
 * OF1.0 set-action mapping. Entries are in OXM code order, which is also a valid prerequisite order
 * (eth_type before ip_proto before tcp_src...), so encoders emit fields in table order.
 */
import type { Match, MatchValueField, OpaqueOxm } from './types.js';
import { OXM_CLASS_EXPERIMENTER } from './types.js';
import { OpenFlowDecodeError, atPath, badField, truncated, OFPET13, OFPBMC } from './errors.js';
import { Reader, Writer } from './wire.js';

export type ValueField = MatchValueField;

interface CodecValues {
  u8: number;
  u16: number;
  u24: number;
  u32: number;
  u64: bigint;
  mac: string;
  ipv4: string;
  ipv6: string;
}
type CodecName = keyof CodecValues;
type CodecFor<V> = { [C in CodecName]: CodecValues[C] extends V ? C : never }[CodecName];

type OxmSpec = {
  [K in ValueField]: {
    readonly name: K;
    readonly code: number;
    readonly len: number;
    readonly codec: CodecFor<NonNullable<Match[K]>>;
    readonly maskable: boolean;
  };
}[ValueField];

export const OXM_CLASS_OPENFLOW_BASIC = 0x8000;

export const OXM_FIELDS = [
  { name: 'in_port', code: 0, len: 4, codec: 'u32', maskable: false },
  { name: 'in_phy_port', code: 1, len: 4, codec: 'u32', maskable: false },
  { name: 'metadata', code: 2, len: 8, codec: 'u64', maskable: true },
  { name: 'eth_dst', code: 3, len: 6, codec: 'mac', maskable: true },
  { name: 'eth_src', code: 4, len: 6, codec: 'mac', maskable: true },
  { name: 'eth_type', code: 5, len: 2, codec: 'u16', maskable: false },
  { name: 'vlan_vid', code: 6, len: 2, codec: 'u16', maskable: true },
  { name: 'vlan_pcp', code: 7, len: 1, codec: 'u8', maskable: false },
  { name: 'ip_dscp', code: 8, len: 1, codec: 'u8', maskable: false },
  { name: 'ip_ecn', code: 9, len: 1, codec: 'u8', maskable: false },
  { name: 'ip_proto', code: 10, len: 1, codec: 'u8', maskable: false },
  { name: 'ipv4_src', code: 11, len: 4, codec: 'ipv4', maskable: true },
  { name: 'ipv4_dst', code: 12, len: 4, codec: 'ipv4', maskable: true },
  { name: 'tcp_src', code: 13, len: 2, codec: 'u16', maskable: false },
  { name: 'tcp_dst', code: 14, len: 2, codec: 'u16', maskable: false },
  { name: 'udp_src', code: 15, len: 2, codec: 'u16', maskable: false },
  { name: 'udp_dst', code: 16, len: 2, codec: 'u16', maskable: false },
  { name: 'sctp_src', code: 17, len: 2, codec: 'u16', maskable: false },
  { name: 'sctp_dst', code: 18, len: 2, codec: 'u16', maskable: false },
  { name: 'icmpv4_type', code: 19, len: 1, codec: 'u8', maskable: false },
  { name: 'icmpv4_code', code: 20, len: 1, codec: 'u8', maskable: false },
  { name: 'arp_op', code: 21, len: 2, codec: 'u16', maskable: false },
  { name: 'arp_spa', code: 22, len: 4, codec: 'ipv4', maskable: true },
  { name: 'arp_tpa', code: 23, len: 4, codec: 'ipv4', maskable: true },
  { name: 'arp_sha', code: 24, len: 6, codec: 'mac', maskable: true },
  { name: 'arp_tha', code: 25, len: 6, codec: 'mac', maskable: true },
  { name: 'ipv6_src', code: 26, len: 16, codec: 'ipv6', maskable: true },
  { name: 'ipv6_dst', code: 27, len: 16, codec: 'ipv6', maskable: true },
  { name: 'ipv6_flabel', code: 28, len: 4, codec: 'u32', maskable: true },
  { name: 'icmpv6_type', code: 29, len: 1, codec: 'u8', maskable: false },
  { name: 'icmpv6_code', code: 30, len: 1, codec: 'u8', maskable: false },
  { name: 'ipv6_nd_target', code: 31, len: 16, codec: 'ipv6', maskable: false },
  { name: 'ipv6_nd_sll', code: 32, len: 6, codec: 'mac', maskable: false },
  { name: 'ipv6_nd_tll', code: 33, len: 6, codec: 'mac', maskable: false },
  { name: 'mpls_label', code: 34, len: 4, codec: 'u32', maskable: false },
  { name: 'mpls_tc', code: 35, len: 1, codec: 'u8', maskable: false },
  { name: 'mpls_bos', code: 36, len: 1, codec: 'u8', maskable: false },
  { name: 'pbb_isid', code: 37, len: 3, codec: 'u24', maskable: true },
  { name: 'tunnel_id', code: 38, len: 8, codec: 'u64', maskable: true },
  { name: 'ipv6_exthdr', code: 39, len: 2, codec: 'u16', maskable: true },
] as const satisfies readonly OxmSpec[];

export type OxmField = (typeof OXM_FIELDS)[number];

type AnyValue = number | bigint | string;

/** Writes one OXM value by its table codec (a switch, so the hot path stays monomorphic). */
export function writeOxmValue(f: OxmField, w: Writer, v: AnyValue, field: string): void {
  switch (f.codec) {
    case 'u8':
      return w.u8(v as number, field);
    case 'u16':
      return w.u16(v as number, field);
    case 'u24':
      return w.u24(v as number, field);
    case 'u32':
      return w.u32(v as number, field);
    case 'u64':
      return w.u64(v as bigint, field);
    case 'mac':
      return w.mac(v as string, field);
    case 'ipv4':
      return w.ipv4(v as string, field);
    case 'ipv6':
      return w.ipv6(v as string, field);
  }
}

export function readOxmValue(f: OxmField, r: Reader): AnyValue {
  switch (f.codec) {
    case 'u8':
      return r.u8();
    case 'u16':
      return r.u16();
    case 'u24':
      return r.u24();
    case 'u32':
      return r.u32();
    case 'u64':
      return r.u64();
    case 'mac':
      return r.mac();
    case 'ipv4':
      return r.ipv4();
    case 'ipv6':
      return r.ipv6();
  }
}

export const OXM_BY_NAME: ReadonlyMap<string, OxmField> = new Map(OXM_FIELDS.map((f) => [f.name, f]));
export const OXM_BY_CODE: readonly (OxmField | undefined)[] = (() => {
  const a: (OxmField | undefined)[] = [];
  for (const f of OXM_FIELDS) a[f.code] = f;
  return a;
})();
/** `eth_src_mask` for each entry of OXM_FIELDS (by index and by name), precomputed so encoding builds no strings. */
const MASK_KEYS: readonly string[] = OXM_FIELDS.map((f) => `${f.name}_mask`);
const MASK_KEY_OF: ReadonlyMap<string, string> = new Map(OXM_FIELDS.map((f, i) => [f.name, MASK_KEYS[i]]));
/** `eth_src_mask` -> eth_src's entry, for maskable fields only. */
const MASK_OF: ReadonlyMap<string, OxmField> = new Map(
  OXM_FIELDS.filter((f) => f.maskable).map((f) => [`${f.name}_mask`, f]),
);

export function oxmHeader(f: OxmField, hasMask: boolean): number {
  return (
    ((OXM_CLASS_OPENFLOW_BASIC << 16) |
      (f.code << 9) |
      (hasMask ? 0x100 : 0) |
      (hasMask ? 2 * f.len : f.len)) >>>
    0
  );
}

/**
 * Bytes of the OXM TLVs for `match` (without the ofp_match header or padding). Validates the keys, so
 * the write pass can trust them.
 */
export function oxmFieldsLength(match: Match, field: string): number {
  const m = match as Record<string, unknown>;
  let n = 0;
  for (const k in m) {
    if (m[k] === undefined) continue;
    if (k === 'opaque') {
      n += opaqueLength(m[k], `${field}.opaque`);
      continue;
    }
    const f = OXM_BY_NAME.get(k);
    if (f) {
      n += 4 + (m[MASK_KEY_OF.get(k)!] !== undefined ? 2 * f.len : f.len);
      continue;
    }
    const masked = MASK_OF.get(k);
    if (!masked) throw badField(`${field}.${k}`, 'not a match field (or not maskable)');
    if (m[masked.name] === undefined) throw badField(`${field}.${k}`, `mask without ${masked.name}`);
  }
  return n;
}

const isU = (v: unknown, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

/** Payload bytes of one opaque TLV (experimenter id, value, mask), as its oxm_length says. */
const opaquePayload = (o: OpaqueOxm) =>
  (o.experimenter === undefined ? 0 : 4) + o.value.length + (o.mask?.length ?? 0);

/** Validates `match.opaque` and returns its bytes on the wire. */
function opaqueLength(list: unknown, field: string): number {
  if (!Array.isArray(list)) throw badField(field, 'must be an array');
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    const o = list[i] as OpaqueOxm;
    const f = `${field}[${i}]`;
    if (o === null || typeof o !== 'object') throw badField(f, 'must be an object');
    if (!isU(o.oxmClass, 0xffff)) throw badField(`${f}.oxmClass`, 'must be an integer 0..0xffff');
    if (o.oxmClass === OXM_CLASS_OPENFLOW_BASIC)
      throw badField(`${f}.oxmClass`, 'is OpenFlow basic: use the named match field');
    if (!isU(o.field, 0x7f)) throw badField(`${f}.field`, 'must be an integer 0..127');
    if (o.oxmClass === OXM_CLASS_EXPERIMENTER) {
      if (!isU(o.experimenter, 0xffffffff))
        throw badField(`${f}.experimenter`, 'class 0xffff needs a 32-bit experimenter id');
    } else if (o.experimenter !== undefined) {
      throw badField(`${f}.experimenter`, 'only class 0xffff carries an experimenter id');
    }
    if (!Buffer.isBuffer(o.value)) throw badField(`${f}.value`, 'must be a Buffer');
    if (o.mask !== undefined && (!Buffer.isBuffer(o.mask) || o.mask.length !== o.value.length))
      throw badField(`${f}.mask`, 'must be a Buffer as long as value');
    if (opaquePayload(o) > 0xff) throw badField(f, 'OXM payload exceeds 255 bytes');
    for (let j = 0; j < i; j++) {
      const p = list[j] as OpaqueOxm;
      if (p.oxmClass === o.oxmClass && p.field === o.field && p.experimenter === o.experimenter)
        throw badField(f, 'the same OXM field appears twice');
    }
    n += 4 + opaquePayload(o);
  }
  return n;
}

function writeOpaque(w: Writer, list: readonly OpaqueOxm[]): void {
  for (const o of list) {
    w.u32(((o.oxmClass << 16) | (o.field << 9) | (o.mask ? 0x100 : 0) | opaquePayload(o)) >>> 0, 'oxm');
    if (o.experimenter !== undefined) w.u32(o.experimenter, 'experimenter');
    w.bytes(o.value);
    if (o.mask) w.bytes(o.mask);
  }
}

/** ofp_match size on the wire for OF1.3, padding included. */
export function matchSize13(match: Match, field = 'match'): number {
  return pad8(4 + oxmFieldsLength(match, field));
}

export function pad8(n: number): number {
  return (n + 7) & ~7;
}

/** Scratch for the codes of a match's present fields; encoding is synchronous and never nests matches. */
const presentCodes = new Int32Array(OXM_FIELDS.length);

/**
 * Writes the OXM TLVs of `match` in table (code) order. Walks the match's own keys rather than the whole
 * table: a match has a handful of fields, and keyed lookups of absent names are the slow part.
 */
export function writeOxmFields(w: Writer, match: Match, field: string): void {
  const m = match as Record<string, AnyValue | undefined>;
  let n = 0;
  for (const k in m) {
    const f = OXM_BY_NAME.get(k);
    if (f === undefined || m[k] === undefined) continue;
    // insertion sort by code as we go
    let j = n++;
    while (j > 0 && presentCodes[j - 1] > f.code) {
      presentCodes[j] = presentCodes[j - 1];
      j--;
    }
    presentCodes[j] = f.code;
  }
  try {
    for (let i = 0; i < n; i++) {
      const f = OXM_BY_CODE[presentCodes[i]]!;
      const maskKey = MASK_KEYS[f.code];
      const mask = f.maskable ? m[maskKey] : undefined;
      w.u32(oxmHeader(f, mask !== undefined), 'oxm');
      writeOxmValue(f, w, m[f.name]!, f.name);
      if (mask !== undefined) writeOxmValue(f, w, mask, maskKey);
    }
    if (match.opaque) writeOpaque(w, match.opaque);
  } catch (e) {
    throw atPath(e, field);
  }
}

/** ofp_match (OFPMT_OXM) with its padding to 8 bytes. */
export function writeMatch13(w: Writer, match: Match, field = 'match'): void {
  const start = w.off;
  w.u16(1, 'match.type');
  w.u16(0, 'match.length'); // patched below once the fields are written
  writeOxmFields(w, match, field);
  const len = w.off - start;
  w.buf.writeUInt16BE(len, start + 2);
  w.zeros(pad8(len) - len);
}

function matchError(code: number, detail: string): OpenFlowDecodeError {
  return new OpenFlowDecodeError(
    code === OFPBMC.BAD_LEN ? 'OF_BAD_LENGTH' : 'OF_BAD_FIELD',
    OFPET13.BAD_MATCH,
    code,
    detail,
  );
}

/** An OXM TLV of another class than OpenFlow basic (its header already read), kept as bytes. */
function readOpaque(r: Reader, h: number, len: number): OpaqueOxm {
  const oxmClass = h >>> 16;
  const field = (h >>> 9) & 0x7f;
  const o: OpaqueOxm = { oxmClass, field, value: r.buf };
  let payload = len;
  if (oxmClass === OXM_CLASS_EXPERIMENTER) {
    if (len < 4) throw matchError(OFPBMC.BAD_LEN, `experimenter OXM ${field} has length ${len}`);
    o.experimenter = r.u32();
    payload -= 4;
  }
  if (h & 0x100) {
    if (payload % 2 !== 0)
      throw matchError(OFPBMC.BAD_LEN, `masked OXM 0x${oxmClass.toString(16)}:${field} has odd length`);
    o.value = r.bytes(payload / 2);
    o.mask = r.bytes(payload / 2);
  } else o.value = r.bytes(payload);
  return o;
}

/**
 * Reads OXM TLVs in [r.off, end) into `out`. TLVs of other classes (Nicira registers, experimenter fields
 * such as tcp_flags) go to `out.opaque` in wire order, so nothing the switch matches on is lost.
 */
export function readOxmFields(r: Reader, end: number, out: Record<string, unknown>): void {
  while (r.off < end) {
    if (r.off + 4 > end) throw matchError(OFPBMC.BAD_LEN, 'OXM header runs past the match');
    const h = r.u32();
    const len = h & 0xff;
    if (r.off + len > end) throw matchError(OFPBMC.BAD_LEN, 'OXM value runs past the match');
    if (h >>> 16 !== OXM_CLASS_OPENFLOW_BASIC) {
      const o = readOpaque(r, h, len);
      const list = (out.opaque ??= []) as OpaqueOxm[];
      for (const p of list) {
        if (p.oxmClass === o.oxmClass && p.field === o.field && p.experimenter === o.experimenter)
          throw matchError(OFPBMC.DUP_FIELD, `OXM 0x${o.oxmClass.toString(16)}:${o.field} appears twice`);
      }
      list.push(o);
      continue;
    }
    const f = OXM_BY_CODE[(h >>> 9) & 0x7f];
    if (!f) throw matchError(OFPBMC.BAD_FIELD, `unknown OXM field ${(h >>> 9) & 0x7f}`);
    const hasMask = (h & 0x100) !== 0;
    if (hasMask && !f.maskable) throw matchError(OFPBMC.BAD_MASK, `OXM ${f.name} cannot have a mask`);
    if (len !== (hasMask ? 2 * f.len : f.len))
      throw matchError(OFPBMC.BAD_LEN, `OXM ${f.name} has length ${len}`);
    if (out[f.name] !== undefined) throw matchError(OFPBMC.DUP_FIELD, `OXM ${f.name} appears twice`);
    out[f.name] = readOxmValue(f, r);
    if (hasMask) out[`${f.name}_mask`] = readOxmValue(f, r);
  }
}

/** ofp_match (OFPMT_OXM) including its padding. */
export function readMatch13(r: Reader): Match {
  if (r.off + 4 > r.end) throw truncated('ofp_match');
  const type = r.u16();
  const len = r.u16();
  if (type !== 1) throw matchError(OFPBMC.BAD_TYPE, `match type ${type} is not OXM`);
  if (len < 4) throw matchError(OFPBMC.BAD_LEN, `match length ${len} < 4`);
  const end = r.off - 4 + len;
  if (pad8(end - (r.off - 4)) + r.off - 4 > r.end)
    throw matchError(OFPBMC.BAD_LEN, 'match runs past the message');
  const out: Record<string, unknown> = {};
  readOxmFields(r, end, out);
  r.skip(pad8(len) - len);
  return out as Match;
}
