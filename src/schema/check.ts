/**
 * Checks a value against a wire schema outside HTTP (a description file, a stored record) and reports the first
 * fault as a field path and a reason a person can act on, as the API's ajv errors do for bodies. Unions whose
 * members are told apart by one literal key (`type`, `kind`) are resolved on that key first, so an error names
 * the member's own field instead of "no union member matched". Browser-safe (TypeBox only).
 */
import { FormatRegistry, Kind, type TObject, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';

// TypeBox's Value knows no string formats of its own; the schemas use date-time (stored records' times).
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (s) => /^\d{4}-\d\d-\d\dT/.test(s) && !Number.isNaN(Date.parse(s)));
}

export interface SchemaFault {
  /** `nodes[1].data_interface`, or '' for the value itself. */
  field: string;
  reason: string;
}

/** Pattern → what a person should write (the raw regex is no help in an error message). */
const PATTERN_HINTS = new Map<string, string>();

/** Registers the hint shown when a string fails `pattern`. */
export function describePattern(pattern: string, hint: string): string {
  PATTERN_HINTS.set(pattern, hint);
  return pattern;
}

/** `/nodes/1/data_interface` → `nodes[1].data_interface`. */
export function pointerToField(pointer: string, prefix = ''): string {
  let out = prefix;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(key) ? `[${key}]` : out === '' ? key : `.${key}`;
  }
  return out;
}

function reasonOf(e: ValueError): string {
  const s = e.schema as { pattern?: string; description?: string; enum?: unknown[] };
  switch (e.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return 'unknown key (check its spelling)';
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.StringPattern: {
      const hint = s.pattern ? PATTERN_HINTS.get(s.pattern) : undefined;
      return `${JSON.stringify(e.value)} is not ${hint ?? `valid (${s.description ?? `pattern ${s.pattern}`})`}`;
    }
    default:
      return `${e.message.replace(/^Expected /, 'expected ')}${e.value === undefined ? '' : `, got ${JSON.stringify(e.value)}`}`;
  }
}

/** The literal key and values that tell a union's members apart, if there is one. */
function discriminator(union: TSchema): { key: string; members: Map<unknown, TSchema> } | undefined {
  const anyOf = (union as { anyOf?: TSchema[] }).anyOf;
  if (!anyOf?.every((m) => m[Kind] === 'Object')) return undefined;
  const first = anyOf[0] as TObject;
  for (const key of Object.keys(first.properties)) {
    const members = new Map<unknown, TSchema>();
    for (const m of anyOf) {
      const p = (m as TObject).properties[key] as { const?: unknown } | undefined;
      if (!p || p.const === undefined || members.has(p.const)) break;
      members.set(p.const, m);
    }
    if (members.size === anyOf.length) return { key, members };
  }
  return undefined;
}

/** The first fault of `value` against `schema`, or undefined when it conforms. */
export function firstFault(schema: TSchema, value: unknown, prefix = ''): SchemaFault | undefined {
  if (schema[Kind] === 'Union') {
    const d = discriminator(schema);
    if (d && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      // Not even an object: say what is expected instead of TypeBox's "expected union value".
      const got = value === undefined ? 'nothing' : JSON.stringify(value);
      return { field: prefix, reason: `expected an object with "${d.key}", got ${got}` };
    }
    if (d) {
      const tag = (value as Record<string, unknown>)[d.key];
      const field = prefix ? `${prefix}.${d.key}` : d.key;
      const member = d.members.get(tag);
      if (!member) {
        const allowed = [...d.members.keys()].map((k) => JSON.stringify(k)).join(', ');
        return {
          field,
          reason:
            tag === undefined
              ? `is required (one of ${allowed})`
              : `${JSON.stringify(tag)} is not one of ${allowed}`,
        };
      }
      return firstFault(member, value, prefix);
    }
  }
  if (schema[Kind] === 'Object' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    // Walk into union-typed properties (and arrays of them) ourselves, for the member-specific message.
    const props = (schema as TObject).properties;
    for (const [key, sub] of Object.entries(props)) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined) continue;
      const at = prefix ? `${prefix}.${key}` : key;
      const items = (sub as { items?: TSchema }).items;
      if (sub[Kind] === 'Union' && discriminator(sub)) {
        const f = firstFault(sub, v, at);
        if (f) return f;
      } else if (sub[Kind] === 'Array' && items && Array.isArray(v) && items[Kind] === 'Union') {
        for (let i = 0; i < v.length; i++) {
          const f = firstFault(items, v[i], `${at}[${i}]`);
          if (f) return f;
        }
      }
    }
  }
  const first = Value.Errors(schema, value).First();
  return first ? { field: pointerToField(first.path, prefix), reason: reasonOf(first) } : undefined;
}
