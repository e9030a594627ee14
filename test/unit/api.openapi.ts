/** Checks replies against /openapi.json: shared by the unit and integration tests of the API's response schemas. */
import assert from 'node:assert/strict';
import { Ajv, type ValidateFunction } from 'ajv';

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
}
export type OpenApi = { paths: Record<string, Record<string, Operation>> };

/**
 * `/api/v1/switches/00:..:01/stats/flow?x=1` matches `/api/v1/switches/{dpid}/stats/{kind}`. As in the
 * router, a static segment wins: `/wm/core/switch/1/features/json` is `.../{dpid}/features/json`.
 */
export function documentedPath(doc: OpenApi, url: string): string {
  const path = url.split('?')[0];
  const params = (p: string) => p.split('{').length;
  const found = Object.keys(doc.paths)
    .filter((p) => new RegExp('^' + p.replace(/\{[^}]+\}/g, '[^/]+') + '$').test(path))
    .sort((a, b) => params(a) - params(b))[0];
  assert.ok(found, `${url} is documented`);
  return found;
}

/** The documented schema of a reply: its exact status, else its class (4XX). */
function schemaFor(doc: OpenApi, method: string, url: string, status: number): object {
  const op = doc.paths[documentedPath(doc, url)][method.toLowerCase()];
  const r = op.responses?.[String(status)] ?? op.responses?.[`${String(status)[0]}XX`];
  const schema = r?.content?.['application/json']?.schema;
  assert.ok(schema, `${method} ${url} documents status ${status}`);
  return schema;
}

/** Asserts that a reply's body validates against the schema the document gives for its status. */
export function validatorOf(doc: OpenApi) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  const cache = new Map<object, ValidateFunction>();
  return (method: string, url: string, reply: { status: number; body: string }) => {
    const schema = schemaFor(doc, method, url, reply.status);
    let validate = cache.get(schema);
    if (!validate) cache.set(schema, (validate = ajv.compile(schema)));
    const ok = validate(JSON.parse(reply.body));
    assert.ok(ok, `${method} ${url} (${reply.status}) ${ajv.errorsText(validate.errors)}: ${reply.body}`);
  };
}
