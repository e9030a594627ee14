import { invalid, StoreError } from './errors.js';
import type { PutOptions } from './types.js';

export const LIMITS = {
  /** etcd's keys are bytes without a limit of their own; this keeps keys readable and indexable. */
  maxKeyBytes: 1024,
  /** Under etcd's default request limit (1.5 MiB) so both backends accept the same values. */
  maxValueBytes: 1024 * 1024,
  maxValueDepth: 64,
  /** etcd's MaxLeaseTTL. */
  maxTtlSeconds: 9_000_000_000,
} as const;

/** In a /u regex a valid surrogate pair is one code point, so this matches only lone (unencodable) surrogates. */
const LONE_SURROGATE = /\p{Cs}/u;

function checkPath(text: unknown, field: string): string {
  if (typeof text !== 'string') throw invalid(field, `must be a string, got ${typeOf(text)}`);
  if (text.length === 0) throw invalid(field, 'must not be empty');
  if (!text.startsWith('/')) throw invalid(field, `must start with '/', got ${JSON.stringify(clip(text))}`);
  if (text.includes('\0')) throw invalid(field, 'must not contain NUL');
  if (LONE_SURROGATE.test(text)) throw invalid(field, 'must be valid Unicode (lone surrogate)');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > LIMITS.maxKeyBytes)
    throw invalid(field, `is ${bytes} bytes, the limit is ${LIMITS.maxKeyBytes}`);
  return text;
}

export function validateKey(key: unknown, field = 'key'): string {
  return checkPath(key, field);
}

/** Prefixes follow the key rules; '/' selects everything. */
export function validatePrefix(prefix: unknown, field = 'prefix'): string {
  return checkPath(prefix, field);
}

/** Returns the value's JSON text; rejects anything that would not read back equal (undefined, NaN, Date, cycles...). */
export function encodeValue(value: unknown, field = 'value'): string {
  checkJson(value, field, 0, new Set());
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > LIMITS.maxValueBytes)
    throw invalid(field, `is ${bytes} bytes as JSON, the limit is ${LIMITS.maxValueBytes}`);
  return text;
}

function checkJson(v: unknown, path: string, depth: number, ancestors: Set<object>): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw invalid(path, `${v} is not representable in JSON`);
    return;
  }
  if (typeof v !== 'object') throw invalid(path, `${typeOf(v)} is not representable in JSON`);
  if (depth >= LIMITS.maxValueDepth) throw invalid(path, `nested deeper than ${LIMITS.maxValueDepth} levels`);
  if (ancestors.has(v)) throw invalid(path, 'is a circular reference');
  ancestors.add(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) checkJson(v[i], `${path}[${i}]`, depth + 1, ancestors);
  } else {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      throw invalid(path, `${typeOf(v)} is not a plain object (it would not read back the same)`);
    }
    for (const [k, child] of Object.entries(v)) checkJson(child, `${path}.${k}`, depth + 1, ancestors);
  }
  ancestors.delete(v);
}

/** The checks every put and compareAndSwap make before touching the backend. */
export function validateWrite(
  key: unknown,
  value: unknown,
  opts: unknown,
): { text: string; lease: string | undefined } {
  validateKey(key);
  const text = encodeValue(value);
  if (opts !== undefined && (typeof opts !== 'object' || opts === null))
    throw invalid('opts', 'must be an object');
  const leaseId = (opts as PutOptions | undefined)?.lease;
  return { text, lease: leaseId === undefined ? undefined : validateLeaseId(leaseId, 'opts.lease') };
}

export function validateCallback(cb: unknown, field = 'cb'): void {
  if (typeof cb !== 'function') throw invalid(field, `must be a function, got ${typeOf(cb)}`);
}

/** Parses a stored value; a record that is not JSON is reported as corrupt, naming its key. */
export function decodeValue(text: string, key: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new StoreError('STORE_CORRUPT', key, 'stored value is not valid JSON', { cause: err });
  }
}

export function validateTtl(ttl: unknown, field = 'ttlSeconds'): number {
  if (typeof ttl !== 'number' || !Number.isInteger(ttl))
    throw invalid(field, `must be an integer, got ${String(ttl)}`);
  if (ttl < 1 || ttl > LIMITS.maxTtlSeconds)
    throw invalid(field, `must be 1..${LIMITS.maxTtlSeconds}, got ${ttl}`);
  return ttl;
}

export function validateLeaseId(lease: unknown, field = 'lease'): string {
  if (typeof lease !== 'string' || !/^[0-9a-f]{1,16}$/.test(lease)) {
    throw invalid(
      field,
      `must be a lease id (1-16 lowercase hex digits), got ${JSON.stringify(clip(String(lease)))}`,
    );
  }
  return lease;
}

export function validateRevision(rev: unknown, field = 'expectedRevision'): number {
  if (typeof rev !== 'number' || !Number.isSafeInteger(rev) || rev < 0) {
    throw invalid(field, `must be a non-negative integer (0 = absent), got ${String(rev)}`);
  }
  return rev;
}

/** First byte string greater than every string starting with `prefix` (etcd's prefix range end). */
export function prefixEnd(prefix: Buffer): Buffer | undefined {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return undefined; // all 0xff: no upper bound
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}
