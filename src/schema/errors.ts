/** The API's one error shape: `{"error": code, "detail": human text, "field": name}` with a 4xx/5xx status. */
import { Type } from '@sinclair/typebox';

/** The `error` strings clients see (and may switch on): part of the API, so never renamed. */
export const API_ERROR_CODES = [
  'bad_request',
  'bad_json',
  'validation',
  'unauthorized',
  'not_found',
  'no_route',
  'conflict',
  'payload_too_large',
  'unsupported_by_switch',
  'switch_error',
  'switch_timeout',
  'ovsdb_unavailable',
  'store_unavailable',
  'docker_unavailable',
  'docker_error',
  'not_implemented',
  'internal',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** Every 4xx and 5xx body. */
export const ErrorBody = Type.Object(
  {
    error: Type.Unsafe<ApiErrorCode>({
      type: 'string',
      enum: [...API_ERROR_CODES],
      description: 'stable code (docs/contracts.md, Errors); clients may switch on it',
    }),
    detail: Type.String({ description: 'what went wrong, naming the field and the reason' }),
    field: Type.Optional(Type.String({ description: 'the request field at fault (match.in_port, dpid...)' })),
  },
  { description: 'An error' },
);
