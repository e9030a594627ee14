/**
 * Response schemas of /api/v1, and of the Floodlight paths that carry 0.9 keys: they live in src/schema (the
 * client derives its types from the same), and document /openapi.json and drive Fastify's serializer.
 *
 * Fastify serializes with these (fast-json-stringify): properties a schema does not list are dropped, values
 * are coerced to the listed type, and listed properties come out in the schema's order (required ones first).
 * So each schema lists the properties of its formatter (src/api/format/v1.ts, the route files) in the
 * formatter's order, numbers that can be fractional are `number` (an `integer` would be truncated), and
 * objects whose keys belong to an app or to the switch (stats bodies, match fields, QoS policies) stay open.
 * test/unit/api.responses.test.ts proves every GET answers the same bytes with and without them.
 */
import type { TSchema } from '@sinclair/typebox';
import { ErrorBody } from '../schema/index.js';

export * from '../schema/index.js';

/** A route's `response` schemas: `ok` for its success status, ErrorBody for every 4xx and 5xx. */
export function replies(ok: TSchema, status = 200): Record<string, TSchema> {
  return { [status]: ok, '4xx': ErrorBody, '5xx': ErrorBody };
}
