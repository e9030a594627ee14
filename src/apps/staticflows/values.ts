/**
 * Value parsing and printing for static-entry fields: strings or JSON numbers in, the codec's Match
 * representation out (and back to canonical text for storage and listing). Each parser throws EntryError
 * naming the field.
 */
import { isIP } from 'node:net';
import { OFPP } from '../../openflow/index.js';
import { ipv4NumToText, ipv4TextToNum } from '../../packet/index.js';
import * as shared from '../../util/index.js';
import { FieldError, throwingAs } from '../../util/index.js';
import { PORT_NAMES, type ValueKind } from './fields.js';

/**
 * Bad static-entry input (400), naming the entry key at fault. An unknown entry is a NotFoundError (404), a
 * clash with another entry a ConflictError (409).
 */
export class EntryError extends FieldError {
  override readonly code = 'SLU_STATICFLOW_INVALID';
}
const parseIntIn = throwingAs(EntryError)(shared.parseIntIn);
export const parseMac = throwingAs(EntryError)(shared.parseMac);

export type Scalar = string | number | boolean;
export type MatchValue = number | bigint | string;

const DEC = /^\d+$/;
const HEX = /^0x[0-9a-f]+$/i;

/** An unsigned integer from a JSON number or a decimal/0x-hex string, within 0..max. */
export function parseUint(field: string, raw: Scalar, max: number): number {
  if (typeof raw === 'boolean') throw new EntryError(field, `'${raw}' is not a number (decimal or 0x-hex)`);
  return parseIntIn(field, raw, 0, max);
}

/** A 64-bit unsigned integer. JSON numbers must be exact (below 2^53); larger values must be strings. */
export function parseU64(field: string, raw: Scalar): bigint {
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw) || raw < 0) {
      throw new EntryError(field, `${raw} is not an exact unsigned integer; give 64-bit values as strings`);
    }
    return BigInt(raw);
  }
  const t = typeof raw === 'string' ? raw.trim() : '';
  if (!DEC.test(t) && !HEX.test(t)) {
    throw new EntryError(field, `'${String(raw)}' is not a number (decimal or 0x-hex)`);
  }
  const v = BigInt(t);
  if (v > 0xffff_ffff_ffff_ffffn) throw new EntryError(field, `${t} does not fit in 64 bits`);
  return v;
}

export const parseIpv4 = throwingAs(EntryError)(shared.parseIpv4);

/** IPv6 in the compressed lower-case form the codec decodes to (RFC 5952). */
export function parseIpv6(field: string, text: string): string {
  if (isIP(text) !== 6) throw new EntryError(field, `'${text}' is not an IPv6 address`);
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

function ipv6ToBig(text: string): bigint {
  const full = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const [head, tail] = full.includes('::') ? full.split('::') : [full, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** The prefix length of a contiguous IPv6 mask, else undefined. */
export function ipv6PrefixLength(mask: string): number | undefined {
  const inv = ~ipv6ToBig(mask) & ((1n << 128n) - 1n);
  if ((inv & (inv + 1n)) !== 0n) return undefined;
  return 128 - inv.toString(2).replace(/^0+/, '').length;
}

function bigToIpv6(v: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  return parseIpv6('ipv6', groups.join(':'));
}

/** Port numbers: 1..0xffffff00, or a reserved name where `allowed` lists it. */
export function parsePort(field: string, raw: Scalar, allowed: readonly string[]): number {
  if (typeof raw === 'string') {
    const name = raw.trim().toLowerCase();
    if (name in PORT_NAMES) {
      if (!allowed.includes(name)) throw new EntryError(field, `port '${raw}' cannot be used here`);
      return PORT_NAMES[name];
    }
  }
  let n: number;
  try {
    n = parseUint(field, raw, 0xffffffff);
  } catch {
    const names = allowed.length ? ` or one of ${allowed.join(', ')}` : '';
    throw new EntryError(field, `'${String(raw)}' is not a port number${names}`);
  }
  if (n === 0 || n > OFPP.MAX) throw new EntryError(field, `port ${n} is out of range 1..${OFPP.MAX}`);
  return n;
}

/** Text of a port for storage and listing: its reserved name, or the number. */
export function portText(port: number): string {
  for (const [name, n] of Object.entries(PORT_NAMES)) if (n === port) return name;
  return String(port);
}

const UINT_MAX: Partial<Record<ValueKind, number>> = {
  u8: 0xff,
  u16: 0xffff,
  u24: 0xffffff,
  u32: 0xffffffff,
  dscp: 63,
  ecn: 3,
  pcp: 7,
};

/** A match/set-field value without mask. `tos` and `port` are handled by the callers. */
export function parseValue(field: string, kind: ValueKind, raw: Scalar): MatchValue {
  const text = () => {
    if (typeof raw !== 'string') throw new EntryError(field, `must be a string, got ${typeof raw}`);
    return raw.trim();
  };
  switch (kind) {
    case 'mac':
      return parseMac(field, text());
    case 'ipv4':
      return parseIpv4(field, text());
    case 'ipv6':
      return parseIpv6(field, text());
    case 'u64':
      return parseU64(field, raw);
    case 'vlan':
      return parseVlan(field, raw);
    case 'port':
      return parsePort(field, raw, ['local', 'controller']);
    case 'tos': {
      const tos = parseUint(field, raw, 0xff);
      if (tos & 3) throw new EntryError(field, `ToS ${tos} has ECN bits set; use ip_dscp and ip_ecn`);
      return tos >> 2;
    }
    default:
      return parseUint(field, raw, UINT_MAX[kind]!);
  }
}

/**
 * VLAN id as the OXM value: 1..4095 (or 0) means tagged with that VID (OFPVID_PRESENT added); 'untagged' or
 * 'none' matches frames without a tag; 0x1000..0x1fff are taken as raw OXM values.
 */
function parseVlan(field: string, raw: Scalar): number {
  if (typeof raw === 'string' && /^(untagged|none)$/i.test(raw.trim())) return 0;
  const v = parseUint(field, raw, 0x1fff);
  return v >= 0x1000 ? v : 0x1000 | v;
}

/** Parses `value[/mask]` for a maskable field; the value is normalised to value & mask, full masks dropped. */
export function parseMasked(
  field: string,
  kind: ValueKind,
  raw: Scalar,
  maskable: boolean,
): { value: MatchValue; mask?: MatchValue } {
  const slash = typeof raw === 'string' ? raw.indexOf('/') : -1;
  if (slash < 0) return { value: parseValue(field, kind, raw) };
  if (!maskable) throw new EntryError(field, `cannot be masked ('${String(raw)}')`);
  const s = raw as string;
  const valueText = s.slice(0, slash).trim();
  const maskText = s.slice(slash + 1).trim();
  switch (kind) {
    case 'ipv4': {
      const v = ipv4TextToNum(parseIpv4(field, valueText))!;
      let m: number;
      if (/^\d{1,2}$/.test(maskText)) {
        const bits = Number(maskText);
        if (bits > 32) throw new EntryError(field, `prefix length ${bits} is out of range 0..32`);
        m = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      } else m = ipv4TextToNum(parseIpv4(field, maskText))!;
      if (m === 0xffffffff) return { value: ipv4NumToText(v) };
      return { value: ipv4NumToText((v & m) >>> 0), mask: ipv4NumToText(m) };
    }
    case 'ipv6': {
      const v = ipv6ToBig(parseIpv6(field, valueText));
      const all = (1n << 128n) - 1n;
      let m: bigint;
      if (/^\d{1,3}$/.test(maskText)) {
        const bits = Number(maskText);
        if (bits > 128) throw new EntryError(field, `prefix length ${bits} is out of range 0..128`);
        m = bits === 0 ? 0n : (all << BigInt(128 - bits)) & all;
      } else m = ipv6ToBig(parseIpv6(field, maskText));
      if (m === all) return { value: bigToIpv6(v) };
      return { value: bigToIpv6(v & m), mask: bigToIpv6(m) };
    }
    case 'mac': {
      const v = parseMac(field, valueText).split(':');
      const m = parseMac(field, maskText).split(':');
      if (m.every((b) => b === 'ff')) return { value: v.join(':') };
      const and = v.map((b, i) => (parseInt(b, 16) & parseInt(m[i], 16)).toString(16).padStart(2, '0'));
      return { value: and.join(':'), mask: m.join(':') };
    }
    case 'u64': {
      const v = parseU64(field, valueText);
      const m = parseU64(field, maskText);
      if (m === 0xffff_ffff_ffff_ffffn) return { value: v };
      return { value: v & m, mask: m };
    }
    default: {
      const max = UINT_MAX[kind];
      if (max === undefined) throw new EntryError(field, `cannot be masked ('${s}')`);
      const v = parseUint(field, valueText, max);
      const m = parseUint(field, maskText, max);
      if (m === max) return { value: v };
      return { value: (v & m) >>> 0, mask: m };
    }
  }
}

const hex = (v: number | bigint) => `0x${v.toString(16)}`;

/** Canonical text of a match/set-field value (what listing shows and the store keeps). */
export function valueText(kind: ValueKind, v: MatchValue, field: string): string {
  if (kind === 'vlan') return v === 0 ? 'untagged' : String((v as number) & 0xfff);
  if (kind === 'port') return portText(v as number);
  if (kind === 'u64') return hex(v as bigint);
  if (field === 'eth_type') return `0x${(v as number).toString(16).padStart(4, '0')}`;
  return String(v);
}
