/**
 * Parsers for values that cross a boundary (HTTP bodies, stored rules, CLI options): integers, MAC addresses,
 * IPv4 addresses and prefixes. Each throws FieldError naming the field at fault.
 */
import { ipv4NumToText, ipv4TextToNum } from '../packet/index.js';
import { FieldError } from './errors.js';

const DEC = /^-?\d+$/;
const HEX = /^0x[0-9a-f]+$/i;
const BIN = /^0b[01]+$/i;

/** An integer in min..max from a JSON number or a decimal, 0x-hex or 0b-binary string. */
export function parseIntIn(field: string, raw: string | number, min: number, max: number): number {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (DEC.test(raw.trim()) || HEX.test(raw.trim()) || BIN.test(raw.trim())) n = Number(raw.trim());
  else throw new FieldError(field, `'${raw}' is not a number (decimal, 0x-hex or 0b-binary)`);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new FieldError(field, `${String(raw).trim()} is out of range ${min}..${max}`);
  }
  return n;
}

const MAC = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

/** aa:bb:cc:dd:ee:ff (or with dashes), returned lower-case with colons. */
export function parseMac(field: string, text: string): string {
  if (!MAC.test(text))
    throw new FieldError(field, `'${text}' is not a MAC address (expected aa:bb:cc:dd:ee:ff)`);
  return text.toLowerCase().replace(/-/g, ':');
}

/** A dotted quad, as node:net's isIP accepts one (octets 0..255, no leading zeros, no spaces); returned as is. */
export function parseIpv4(field: string, text: string): string {
  const n = ipv4TextToNum(text);
  if (n === undefined || ipv4NumToText(n) !== text) {
    throw new FieldError(field, `'${text}' is not an IPv4 address`);
  }
  return text;
}

/** The netmask of an IPv4 prefix length 0..32. */
export function prefixMask(bits: number): number {
  return bits === 0 ? 0 : (0xffff_ffff << (32 - bits)) >>> 0;
}

/** An IPv4 prefix: network address (host bits cleared) and length. */
export interface Prefix {
  addr: number;
  bits: number;
}

/** `10.0.0.0/24` or a bare address (/32); host bits beyond the prefix are cleared. */
export function parsePrefix(field: string, text: string): Prefix {
  const [addrText, bitsText, extra] = text.split('/');
  const addr = ipv4TextToNum(addrText);
  if (addr === undefined || extra !== undefined) {
    throw new FieldError(
      field,
      `'${text}' is not an IPv4 address or CIDR prefix (expected e.g. 10.0.0.0/24)`,
    );
  }
  const bits = bitsText === undefined ? 32 : /^\d{1,2}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (!(bits >= 0 && bits <= 32)) throw new FieldError(field, `prefix length in '${text}' must be 0..32`);
  return { addr: (addr & prefixMask(bits)) >>> 0, bits };
}
