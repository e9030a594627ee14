/**
 * The API's wire schemas (TypeBox), shared by the server and the client so the two and /openapi.json cannot
 * drift: src/api routes answer with them (Fastify serializes and documents by them), src/client derives its
 * types from them (`Static<typeof X>`), and so does the web UI through the client. TypeBox only: browser-safe.
 */
export { DPID_DESCRIPTION } from './common.js';
export { API_ERROR_CODES, ErrorBody, type ApiErrorCode } from './errors.js';
export * from './v1.js';
export * from './apps.js';
export * from './floodlight.js';
export * from './agent.js';
export * from './hostaware.js';
export * from './vocab.js';
export * from './statistics.js';
export * from './nodes.js';
export { firstFault, pointerToField, type SchemaFault } from './check.js';
