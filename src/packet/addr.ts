/**
 * Address text <-> bytes/numbers. Lookup tables instead of toString/padStart because these run on every
 * packet-in (MAC and IPv4 text for flow matches).
 *
 * The one set of IPv4/MAC helpers (EtherTypes are ETH_TYPE in ethernet.ts): apps, util's boundary parsers
 * and bench use these. Only src/openflow keeps its own (wire.ts), as it depends on nothing of ours.
 */

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const DEC: string[] = Array.from({ length: 256 }, (_, i) => String(i));

const MAC_TEXT = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const IPV4_TEXT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
/** 48-bit MACs as numbers are exact in a double (2^53) and make cheap, allocation-free Map keys. */
export const BROADCAST_MAC_NUM = 0xffffffffffff;

export function macAt(buf: Buffer, off: number): string {
  return (
    HEX2[buf[off]] +
    ':' +
    HEX2[buf[off + 1]] +
    ':' +
    HEX2[buf[off + 2]] +
    ':' +
    HEX2[buf[off + 3]] +
    ':' +
    HEX2[buf[off + 4]] +
    ':' +
    HEX2[buf[off + 5]]
  );
}

export function macNumAt(buf: Buffer, off: number): number {
  return ((buf[off] << 8) | buf[off + 1]) * 0x100000000 + buf.readUInt32BE(off + 2);
}

export function macNumToText(mac: number): string {
  const b = Buffer.allocUnsafe(6);
  b.writeUIntBE(mac, 0, 6);
  return macAt(b, 0);
}

/** Returns undefined for anything but `aa:bb:cc:dd:ee:ff` (case-insensitive). */
export function macTextToNum(text: string): number | undefined {
  if (!MAC_TEXT.test(text)) return undefined;
  return parseInt(text.replace(/:/g, ''), 16);
}

export function writeMac(buf: Buffer, off: number, text: string): void {
  const n = macTextToNum(text);
  if (n === undefined) throw new RangeError(`mac: not a MAC address: ${JSON.stringify(text)}`);
  buf.writeUIntBE(n, off, 6);
}

export function ipv4At(buf: Buffer, off: number): string {
  return DEC[buf[off]] + '.' + DEC[buf[off + 1]] + '.' + DEC[buf[off + 2]] + '.' + DEC[buf[off + 3]];
}

export function ipv4NumToText(n: number): string {
  return (
    DEC[(n >>> 24) & 255] + '.' + DEC[(n >>> 16) & 255] + '.' + DEC[(n >>> 8) & 255] + '.' + DEC[n & 255]
  );
}

/** Returns undefined for anything but a dotted quad with octets 0..255. */
export function ipv4TextToNum(text: string): number | undefined {
  const m = IPV4_TEXT.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return undefined;
    n = n * 256 + o;
  }
  return n;
}

export function writeIpv4(buf: Buffer, off: number, text: string): void {
  const n = ipv4TextToNum(text);
  if (n === undefined) throw new RangeError(`ipv4: not an IPv4 address: ${JSON.stringify(text)}`);
  buf.writeUInt32BE(n, off);
}

/** RFC 5952 canonical text: lowercase, leading zeros dropped, the longest run (>= 2) of zero groups as `::`. */
export function ipv6At(buf: Buffer, off: number): string {
  const groups: number[] = new Array(8);
  for (let i = 0; i < 8; i++) groups[i] = buf.readUInt16BE(off + i * 2);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.map((g) => g.toString(16)).join(':');
  const head = groups.slice(0, bestStart).map((g) => g.toString(16));
  const tail = groups.slice(bestStart + bestLen).map((g) => g.toString(16));
  return head.join(':') + '::' + tail.join(':');
}
