/**
 * Bounds-checked cursors over a Buffer and the address text conversions the model uses.
 * Reader throws OpenFlowDecodeError (never RangeError) so garbage input cannot crash a decode;
 * Writer validates every value against its field width and names the field when it does not fit.
 */
import { badField, truncated, unsupported } from './errors.js';

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const MAX_U64 = 0xffffffffffffffffn;

export class Reader {
  constructor(
    readonly buf: Buffer,
    public off: number,
    /** Exclusive end of the region this reader may touch. */
    public end: number,
  ) {}

  get remaining(): number {
    return this.end - this.off;
  }

  /** Throws OF_TRUNCATED unless `n` more bytes are available. */
  need(n: number, what: string): void {
    if (this.off + n > this.end) throw truncated(what);
  }

  u8(): number {
    if (this.off + 1 > this.end) throw truncated('u8');
    return this.buf[this.off++];
  }
  u16(): number {
    const o = this.off;
    if (o + 2 > this.end) throw truncated('u16');
    this.off = o + 2;
    return (this.buf[o] << 8) | this.buf[o + 1];
  }
  u24(): number {
    const o = this.off;
    if (o + 3 > this.end) throw truncated('u24');
    this.off = o + 3;
    return (this.buf[o] << 16) | (this.buf[o + 1] << 8) | this.buf[o + 2];
  }
  u32(): number {
    const o = this.off;
    if (o + 4 > this.end) throw truncated('u32');
    this.off = o + 4;
    return this.buf.readUInt32BE(o);
  }
  u64(): bigint {
    const o = this.off;
    if (o + 8 > this.end) throw truncated('u64');
    this.off = o + 8;
    return this.buf.readBigUInt64BE(o);
  }
  skip(n: number): void {
    if (this.off + n > this.end) throw truncated('padding');
    this.off += n;
  }
  /** Zero-copy view of the next `n` bytes. */
  bytes(n: number): Buffer {
    const o = this.off;
    if (o + n > this.end) throw truncated('data');
    this.off = o + n;
    return this.buf.subarray(o, o + n);
  }
  /** Everything up to the end, zero-copy. */
  rest(): Buffer {
    const b = this.buf.subarray(this.off, this.end);
    this.off = this.end;
    return b;
  }
  mac(): string {
    const o = this.off;
    if (o + 6 > this.end) throw truncated('mac');
    this.off = o + 6;
    return formatMacAt(this.buf, o);
  }
  ipv4(): string {
    return formatIpv4(this.u32());
  }
  ipv6(): string {
    const o = this.off;
    if (o + 16 > this.end) throw truncated('ipv6');
    this.off = o + 16;
    return formatIpv6At(this.buf, o);
  }
  /** Fixed-size NUL-padded string. */
  str(n: number): string {
    const o = this.off;
    if (o + n > this.end) throw truncated('string');
    this.off = o + n;
    let e = o;
    while (e < o + n && this.buf[e] !== 0) e++;
    return this.buf.toString('utf8', o, e);
  }
}

function checkUint(v: number, max: number, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw badField(field, `must be an integer in 0..${max}, got ${String(v)}`);
  }
}

export function checkU64(v: bigint, field: string): void {
  if (typeof v !== 'bigint' || v < 0n || v > MAX_U64) {
    throw badField(field, `must be a bigint in 0..2^64-1, got ${String(v)}`);
  }
}

export function checkBuffer(b: Buffer, field: string): void {
  if (!Buffer.isBuffer(b)) throw badField(field, 'must be a Buffer');
}

export class Writer {
  constructor(
    readonly buf: Buffer,
    public off = 0,
  ) {}

  u8(v: number, field: string): void {
    checkUint(v, 0xff, field);
    this.buf[this.off++] = v;
  }
  u16(v: number, field: string): void {
    checkUint(v, 0xffff, field);
    const o = this.off;
    this.buf[o] = v >>> 8;
    this.buf[o + 1] = v & 0xff;
    this.off = o + 2;
  }
  u24(v: number, field: string): void {
    checkUint(v, 0xffffff, field);
    const o = this.off;
    this.buf[o] = v >>> 16;
    this.buf[o + 1] = (v >>> 8) & 0xff;
    this.buf[o + 2] = v & 0xff;
    this.off = o + 3;
  }
  u32(v: number, field: string): void {
    checkUint(v, 0xffffffff, field);
    const o = this.off;
    const b = this.buf;
    b[o] = v >>> 24;
    b[o + 1] = (v >>> 16) & 0xff;
    b[o + 2] = (v >>> 8) & 0xff;
    b[o + 3] = v & 0xff;
    this.off = o + 4;
  }
  u64(v: bigint, field: string): void {
    checkU64(v, field);
    // Cookies and masks are mostly zero: skip the BigInt split for them.
    if (v === 0n) for (let i = this.off; i < this.off + 8; i++) this.buf[i] = 0;
    else this.buf.writeBigUInt64BE(v, this.off);
    this.off += 8;
  }
  zeros(n: number): void {
    const b = this.buf;
    const end = this.off + n;
    // Pads are a few bytes; a plain loop beats Buffer.fill's argument handling at that size.
    if (n <= 16) for (let i = this.off; i < end; i++) b[i] = 0;
    else b.fill(0, this.off, end);
    this.off = end;
  }
  bytes(b: Buffer): void {
    b.copy(this.buf, this.off);
    this.off += b.length;
  }
  mac(s: string, field: string): void {
    writeMac(s, this.buf, this.off, field);
    this.off += 6;
  }
  ipv4(s: string, field: string): void {
    this.buf.writeUInt32BE(parseIpv4(s, field), this.off);
    this.off += 4;
  }
  ipv6(s: string, field: string): void {
    writeIpv6(s, this.buf, this.off, field);
    this.off += 16;
  }
  /** Fixed-size NUL-padded string; must leave room for the terminating NUL. */
  str(s: string, n: number, field: string): void {
    if (typeof s !== 'string') throw badField(field, 'must be a string');
    const len = Buffer.byteLength(s);
    if (len >= n) throw badField(field, `longer than ${n - 1} bytes`);
    this.buf.write(s, this.off, 'utf8');
    this.buf.fill(0, this.off + len, this.off + n);
    this.off += n;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Addresses

export function formatMacAt(b: Buffer, o: number): string {
  return `${HEX2[b[o]]}:${HEX2[b[o + 1]]}:${HEX2[b[o + 2]]}:${HEX2[b[o + 3]]}:${HEX2[b[o + 4]]}:${HEX2[b[o + 5]]}`;
}

/** Hex digit value of a char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** Parses `aa:bb:cc:dd:ee:ff` (either case) straight into the buffer: hot in flow_mod encoding. */
export function writeMac(s: string, b: Buffer, o: number, field: string): void {
  if (typeof s === 'string' && s.length === 17) {
    let ok = true;
    for (let i = 0; i < 6; i++) {
      const hi = hexDigit(s.charCodeAt(3 * i));
      const lo = hexDigit(s.charCodeAt(3 * i + 1));
      if (hi < 0 || lo < 0 || (i < 5 && s.charCodeAt(3 * i + 2) !== 58)) {
        ok = false;
        break;
      }
      b[o + i] = (hi << 4) | lo;
    }
    if (ok) return;
  }
  throw badField(field, `not a MAC address: ${String(s)}`);
}

/** Dotted quad to u32 without regexes or allocations. */
export function parseIpv4(s: string, field: string): number {
  if (typeof s === 'string' && s.length >= 7 && s.length <= 15) {
    let v = 0;
    let part = 0;
    let digits = 0;
    let dots = 0;
    for (let i = 0; i <= s.length; i++) {
      const c = i < s.length ? s.charCodeAt(i) : 46;
      if (c >= 48 && c <= 57) {
        part = part * 10 + (c - 48);
        if (++digits > 3) break;
      } else if (c === 46 && digits > 0 && part <= 255) {
        v = v * 256 + part;
        part = 0;
        digits = 0;
        if (++dots === 4 && i === s.length) return v;
      } else break;
    }
  }
  throw badField(field, `not an IPv4 address: ${String(s)}`);
}

export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

export function writeIpv6(s: string, b: Buffer, o: number, field: string): void {
  const fail = () => badField(field, `not an IPv6 address: ${String(s)}`);
  if (typeof s !== 'string') throw fail();
  let text = s;
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  if (text.includes('.')) {
    const cut = text.lastIndexOf(':');
    if (cut < 0) throw fail();
    const v4 = parseIpv4(text.slice(cut + 1), field);
    text = `${text.slice(0, cut + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) throw fail();
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').map((g) => {
          if (!HEX_GROUP.test(g)) throw fail();
          return parseInt(g, 16);
        });
  const head = parse(halves[0]);
  let groups: number[];
  if (halves.length === 2) {
    const tail = parse(halves[1]);
    const fill = 8 - head.length - tail.length;
    if (fill < 1) throw fail();
    groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    if (head.length !== 8) throw fail();
    groups = head;
  }
  for (let i = 0; i < 8; i++) {
    b[o + 2 * i] = groups[i] >>> 8;
    b[o + 2 * i + 1] = groups[i] & 0xff;
  }
}

/** RFC 5952 canonical text: lowercase, no leading zeros, the longest run (>= 2) of zero groups as `::`. */
export function formatIpv6At(b: Buffer, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[o + 2 * i] << 8) | b[o + 2 * i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestLen < 2) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export function formatIpv6(b: Buffer): string {
  return formatIpv6At(b, 0);
}

// ---------------------------------------------------------------------------------------------------------
// Ports: the model numbers ports the OF1.3 way (32-bit); OF1.0 has 16-bit ports with the same reserved tail.

export function port10to32(p: number): number {
  return p >= 0xfff8 ? (p | 0xffff0000) >>> 0 : p;
}

export function port32to10(p: number, field: string): number {
  if (p >= 0xfffffff8 && p <= 0xffffffff) return p & 0xffff;
  if (Number.isInteger(p) && p >= 0 && p <= 0xff00) return p;
  throw unsupported(field, `port ${String(p)} does not fit OpenFlow 1.0's 16-bit port numbers`);
}
