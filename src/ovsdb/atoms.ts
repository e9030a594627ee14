import { OvsdbProtocolError } from './errors.js';

/** A row reference: `["uuid", "..."]` on the wire. A class so it is never mistaken for a map given as an object. */
export class Uuid {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** A reference to a row inserted earlier in the same transaction: `["named-uuid", "..."]` on the wire. */
export class NamedUuid {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

export type Atom = string | number | boolean | Uuid | NamedUuid;
/**
 * A decoded OVSDB value: an atom, a set (array) or a map (Map). When encoding, a plain object with atom values is
 * accepted as a map too (`{ 'max-rate': '1000' }`), and `null` is the empty set (an unset optional column).
 */
export type OvsValue = Atom | Atom[] | Map<Atom, Atom>;
export type OvsValueInput = OvsValue | { readonly [key: string]: Atom } | null;

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const NAMED_UUID_RE = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

export function isUuidString(s: string): boolean {
  return UUID_RE.test(s);
}

export function encodeAtom(atom: Atom, field = 'atom'): unknown {
  if (atom instanceof Uuid) {
    if (!UUID_RE.test(atom.value)) throw new OvsdbProtocolError(field, `not a UUID: ${atom.value}`);
    return ['uuid', atom.value];
  }
  if (atom instanceof NamedUuid) {
    // RFC 7047 <id>: letters, digits, underscore, not starting with a digit.
    if (!NAMED_UUID_RE.test(atom.name))
      throw new OvsdbProtocolError(field, `not a valid uuid-name: ${atom.name}`);
    return ['named-uuid', atom.name];
  }
  if (typeof atom === 'number') {
    if (!Number.isFinite(atom)) throw new OvsdbProtocolError(field, 'number must be finite');
    return atom;
  }
  if (typeof atom === 'string' || typeof atom === 'boolean') return atom;
  throw new OvsdbProtocolError(field, `not an OVSDB atom: ${describe(atom)}`);
}

export function decodeAtom(json: unknown, field = 'atom'): Atom {
  if (typeof json === 'string' || typeof json === 'boolean') return json;
  if (typeof json === 'number') {
    if (!Number.isFinite(json)) throw new OvsdbProtocolError(field, 'number must be finite');
    return json;
  }
  if (Array.isArray(json) && json.length === 2 && typeof json[1] === 'string') {
    if (json[0] === 'uuid') {
      if (!UUID_RE.test(json[1])) throw new OvsdbProtocolError(field, `not a UUID: ${json[1]}`);
      return new Uuid(json[1]);
    }
    if (json[0] === 'named-uuid') return new NamedUuid(json[1]);
  }
  throw new OvsdbProtocolError(field, `not an OVSDB atom: ${describe(json)}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function encodeValue(value: OvsValueInput, field = 'value'): unknown {
  if (value === null) return ['set', []];
  if (Array.isArray(value)) return ['set', value.map((a, i) => encodeAtom(a, `${field}[${i}]`))];
  if (value instanceof Map) {
    return [
      'map',
      [...value].map(([k, v]) => [encodeAtom(k, `${field}.key`), encodeAtom(v, `${field}[${String(k)}]`)]),
    ];
  }
  if (isPlainObject(value)) {
    return ['map', Object.entries(value).map(([k, v]) => [k, encodeAtom(v as Atom, `${field}.${k}`)])];
  }
  return encodeAtom(value as Atom, field);
}

/**
 * Decodes a value without its column type: `["set", ...]` becomes an array, `["map", ...]` a Map and anything
 * else an atom. A set of one element arrives as a bare atom on the wire, so use {@link setOf} / {@link optionalOf}
 * to read set columns.
 */
export function decodeValue(json: unknown, field = 'value'): OvsValue {
  if (Array.isArray(json) && json.length === 2 && json[0] === 'set') {
    if (!Array.isArray(json[1])) throw new OvsdbProtocolError(field, 'set elements must be an array');
    return json[1].map((e: unknown, i: number) => decodeAtom(e, `${field}[${i}]`));
  }
  if (Array.isArray(json) && json.length === 2 && json[0] === 'map') {
    if (!Array.isArray(json[1])) throw new OvsdbProtocolError(field, 'map pairs must be an array');
    const map = new Map<Atom, Atom>();
    json[1].forEach((pair: unknown, i: number) => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new OvsdbProtocolError(`${field}[${i}]`, 'map pair must be a 2-element array');
      }
      map.set(decodeAtom(pair[0], `${field}[${i}].key`), decodeAtom(pair[1], `${field}[${i}].value`));
    });
    return map;
  }
  return decodeAtom(json, field);
}

/** A set column as an array, whichever wire form (bare atom or `["set", ...]`) it came in. */
export function setOf(value: OvsValue | undefined, field = 'value'): Atom[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  if (value instanceof Map) throw new OvsdbProtocolError(field, 'expected a set, got a map');
  return [value];
}

/** An optional column (set of 0 or 1 atoms) as the atom or undefined. */
export function optionalOf(value: OvsValue | undefined, field = 'value'): Atom | undefined {
  const set = setOf(value, field);
  if (set.length > 1) throw new OvsdbProtocolError(field, `expected at most one element, got ${set.length}`);
  return set[0];
}

export function mapOf(value: OvsValue | undefined, field = 'value'): Map<Atom, Atom> {
  if (value === undefined) return new Map();
  if (value instanceof Map) return value;
  // An empty map may be sent as an empty set by some servers.
  if (Array.isArray(value) && value.length === 0) return new Map();
  throw new OvsdbProtocolError(field, 'expected a map');
}

/** A string-to-string map column (other_config, external_ids, options) as a plain object. */
export function stringMapOf(value: OvsValue | undefined, field = 'value'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of mapOf(value, field)) {
    if (typeof k !== 'string' || typeof v !== 'string') {
      throw new OvsdbProtocolError(field, 'expected a map of strings');
    }
    out[k] = v;
  }
  return out;
}

/** Structural equality of decoded values (sets and maps compared without regard to order). */
export function valuesEqual(a: OvsValue, b: OvsValue): boolean {
  const keyOf = (x: Atom): string => JSON.stringify(encodeAtom(x));
  const setA = setLike(a);
  const setB = setLike(b);
  if (setA && setB) {
    if (setA.length !== setB.length) return false;
    const keys = new Set(setA.map(keyOf));
    return setB.every((x) => keys.has(keyOf(x)));
  }
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    const entries = new Map([...a].map(([k, v]) => [keyOf(k), keyOf(v)]));
    return [...b].every(([k, v]) => entries.get(keyOf(k)) === keyOf(v));
  }
  if (a instanceof Map || b instanceof Map) {
    // An empty map and an empty set are the same wire value in practice.
    return (
      (a instanceof Map ? a.size : (setLike(a)?.length ?? 1)) === 0 &&
      (b instanceof Map ? b.size : (setLike(b)?.length ?? 1)) === 0
    );
  }
  return false;
}

function setLike(v: OvsValue): Atom[] | undefined {
  if (v instanceof Map) return undefined;
  return Array.isArray(v) ? v : [v];
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
