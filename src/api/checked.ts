/**
 * Request checks by the wire schemas' own checker (src/schema/check.ts) instead of ajv, for routes whose bodies
 * are unions told apart by a tag (node descriptions): the error then names the member's own field ("field
 * 'nodes[0].data_interface' is required") where ajv would say no union member matched. The schemas stay on the
 * route, so /openapi.json documents them as usual.
 */
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { firstFault } from '../schema/index.js';
import { HttpError } from './errors.js';

const WHERE: Record<string, string> = {
  body: 'field',
  params: 'path parameter',
  querystring: 'query parameter',
  headers: 'header',
};

export const schemaChecked: FastifySchemaCompiler<FastifySchema> =
  ({ schema, httpPart }) =>
  (data: unknown) => {
    // Fastify passes null for an absent body.
    // The route's schemas are TypeBox's (src/schema).
    const fault = firstFault(schema as TSchema, data === null ? undefined : data);
    if (!fault) return { value: data };
    const field = fault.field || (httpPart ?? 'body');
    const where = WHERE[httpPart ?? 'body'] ?? 'field';
    return { error: new HttpError(400, 'validation', `${where} '${field}': ${fault.reason}`, field) };
  };
