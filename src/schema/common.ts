/** Building blocks of the wire schemas (not exported from index.ts: the schemas are the contract). */
import { Type, type Static, type TObject, type TSchema, type TUnsafe } from '@sinclair/typebox';

export const DPID_DESCRIPTION = 'datapath id: 00:00:00:00:00:00:00:01 or hex (0x1)';

export const Int = (description?: string) => Type.Integer(description ? { description } : {});
export const Num = (description: string) => Type.Number({ description });
export const Text = (description?: string) => Type.String(description ? { description } : {});
export const Dpid = Type.String({ description: 'datapath id, 00:00:00:00:00:00:00:01' });

/**
 * An object with any keys; `additionalProperties: true` makes the serializer keep them all, in order. `T` is
 * its static type, for keys an app or the switch owns that the wire schema leaves open on purpose.
 */
export const OpenAs = <T>(description: string): TUnsafe<T> =>
  Type.Unsafe<T>(Type.Object({}, { additionalProperties: true, description }));

/** OpenAs any keys (not generic: inside a Type.Object a generic's T would be inferred as unknown). */
export const Open = (description: string) => OpenAs<Record<string, unknown>>(description);

/** `schema` or null (OpenAPI 3.0's `nullable`, which ajv reads too). */
export const Nullable = <T extends TSchema>(schema: T): TUnsafe<Static<T> | null> =>
  Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });

/**
 * `schema` with no property required on the wire, its static type unchanged. The serializer writes required
 * properties first: an object whose always-present keys come after optional ones (ruleid ... action) would be
 * reordered, so its schema lists them all as optional while the type still says they are always there.
 */
export function inFormatterOrder<T extends TObject>(schema: T): TUnsafe<Static<T>> {
  const { required: _required, ...rest } = schema;
  return Type.Unsafe<Static<T>>(rest);
}
