/**
 * src/schema is the one description of the wire: the client's types are its `Static` types (checked at compile
 * time, exactly), /openapi.json documents the routes with those very schemas, and the host-aware replies are
 * the same bytes with them as without (the serializer drops and reorders by schema, so one that is off shows).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { createApiServer } from '../../src/api/index.js';
import { hostAwareRoutes } from '../../src/api/routes/hostaware.js';
import type * as sdk from '../../src/client/index.js';
import * as S from '../../src/schema/index.js';
import { fakeDeps } from './api.fakes.js';
import { validatorOf, type OpenApi } from './api.openapi.js';
import { handServer } from './hostaware.apiserver.js';

/** True only when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const same: true[] = [
  true satisfies Equal<sdk.Health, Static<typeof S.Health>>,
  true satisfies Equal<sdk.Switch, Static<typeof S.Switch>>,
  true satisfies Equal<sdk.SwitchDetail, Static<typeof S.SwitchDetail>>,
  true satisfies Equal<sdk.PortWithStats, Static<typeof S.PortWithStats>>,
  true satisfies Equal<sdk.PortCounters | null, Static<typeof S.PortCounters>>,
  true satisfies Equal<sdk.Link, Static<typeof S.Link>>,
  true satisfies Equal<sdk.Host, Static<typeof S.Host>>,
  true satisfies Equal<sdk.StaticFlow, Static<typeof S.StaticFlow>>,
  true satisfies Equal<sdk.FirewallRule, Static<typeof S.FirewallRule>>,
  true satisfies Equal<sdk.AclRule, Static<typeof S.AclRule>>,
  true satisfies Equal<sdk.QosPath, Static<typeof S.QosPath>>,
  true satisfies Equal<sdk.AgentEndpoint, Static<typeof S.AgentEndpoint>>,
  true satisfies Equal<sdk.HandSource, Static<typeof S.HandSource>>,
  true satisfies Equal<sdk.HandRuleView, Static<typeof S.HandRuleView>>,
  true satisfies Equal<sdk.HandMessagePage, Static<typeof S.HandMessagePage>>,
  // The wire keeps rule keys optional for the serializer's order; the type still has them always present.
  true satisfies Equal<sdk.FirewallRule['ruleid'], string>,
  true satisfies Equal<sdk.FirewallRule['action'], 'allow' | 'deny'>,
  // A value the app owns the keys of stays typed.
  true satisfies Equal<sdk.Flow['match'], Record<string, string | number>>,
];

/** A schema as /openapi.json (OpenAPI 3.0) holds it: TypeBox's symbols dropped, `const` as a one-value enum. */
function openApiForm(schema: TSchema): unknown {
  return JSON.parse(JSON.stringify(schema), (_key, v: unknown) => {
    if (!v || typeof v !== 'object' || Array.isArray(v) || !('const' in v)) return v;
    const { const: only, ...rest } = v as { const: unknown };
    return { ...rest, enum: [only] };
  }) as unknown;
}

const closers: (() => Promise<unknown>)[] = [];
after(() => Promise.all(closers.map((close) => close())));

/** The host-aware API with response schemas (srv.api) and, over the same app, one without them. */
async function worlds() {
  const srv = await handServer();
  const plain = await createApiServer({
    ...fakeDeps(),
    routes: [hostAwareRoutes(srv.app)],
    responseSchemas: false,
  });
  closers.push(
    () => srv.close(),
    () => plain.close(),
  );
  return { srv, plain };
}

test('/openapi.json documents the routes with the shared schemas', async () => {
  assert.equal(same.length, 18);
  const { srv } = await worlds();
  const doc = JSON.parse((await srv.api.inject({ url: '/openapi.json' })).body) as OpenApi;
  const ok = (path: string, method = 'get', status = '200') =>
    doc.paths[path]?.[method]?.responses?.[status]?.content?.['application/json']?.schema;
  const cases: [string, TSchema, string?, string?][] = [
    ['/api/v1/health', S.Health],
    ['/api/v1/switches', Type.Array(S.Switch)],
    ['/api/v1/switches/{dpid}/ports', Type.Array(S.PortWithStats)],
    ['/api/v1/links', Type.Array(S.Link)],
    ['/api/v1/hosts', Type.Array(S.Host)],
    ['/api/v1/hostaware', S.HandStatus],
    ['/api/v1/hostaware/sources', Type.Array(S.HandSource)],
    ['/api/v1/hostaware/sources', S.HandSource, 'post', '201'],
    ['/api/v1/hostaware/hosts', Type.Array(S.HandHost)],
    ['/api/v1/hostaware/rules', Type.Array(S.HandRuleView)],
    ['/api/v1/hostaware/messages', S.HandMessagePage],
  ];
  for (const [path, schema, method, status] of cases) {
    assert.deepEqual(ok(path, method, status), openApiForm(schema), `${method ?? 'get'} ${path}`);
  }
  const err = doc.paths['/api/v1/health']?.get?.responses?.['4XX']?.content?.['application/json']?.schema;
  assert.deepEqual(err, openApiForm(S.ErrorBody));
});

test('host-aware replies: the same bytes with response schemas as without, and valid', async () => {
  const { srv, plain } = await worlds();
  const doc = JSON.parse((await srv.api.inject({ url: '/openapi.json' })).body) as OpenApi;
  const validate = validatorOf(doc);
  const send = async (method: string, url: string, body?: unknown) => {
    const res = await srv.api.inject({
      method: method as 'GET',
      url,
      ...(body === undefined ? {} : { payload: body as object }),
    });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    validate(method, url, { status: res.statusCode, body: res.body });
  };
  // Rules first, so the source's first poll evaluates them: states per host, values, an action applied.
  srv.values.set('h1', { bytes_out: 5e6, load_one: 0.25 });
  srv.values.set('h2', { bytes_out: 1 });
  await send('POST', '/api/v1/hostaware/rules', {
    name: 'hot',
    host: '*',
    checkLimit: 1,
    conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 1e6, clear: 5e5 }],
    action: { type: 'report' },
  });
  await send('POST', '/api/v1/hostaware/rules', {
    name: 'avg',
    host: 'cluster:lab',
    join: 'any',
    conditions: [
      { metric: 'load_one', comparator: 'gte', value: 4, window: { agg: 'avg', seconds: 60 } },
      { metric: 'missing', comparator: 'lt', value: 1 },
    ],
    action: { type: 'firewall', params: { 'src-ip': '{{ip}}/32', action: 'deny' } },
  });
  await send('POST', '/api/v1/hostaware/sources', { type: 'gmond', address: '127.0.0.1:8649', name: 'g1' });
  await send('POST', '/api/v1/hostaware/sources', { type: 'alertmanager', name: 'am' });
  await send('POST', '/api/v1/hostaware/alerts/am', {
    version: '4',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'Disk', instance: '10.0.0.9:9100' },
        startsAt: new Date().toISOString(),
      },
    ],
  });

  const urls = [
    '/api/v1/hostaware',
    '/api/v1/hostaware/sources',
    '/api/v1/hostaware/sources/g1',
    '/api/v1/hostaware/sources/nope',
    '/api/v1/hostaware/hosts',
    '/api/v1/hostaware/hosts/h1/metrics',
    '/api/v1/hostaware/hosts/h9/metrics',
    '/api/v1/hostaware/rules',
    '/api/v1/hostaware/rules/hot',
    '/api/v1/hostaware/messages',
    '/api/v1/hostaware/messages?after=0&limit=3',
    '/api/v1/hostaware/messages?limit=0',
  ];
  for (const url of urls) {
    const [a, b] = [await srv.api.inject({ url }), await plain.inject({ url })];
    assert.equal(a.body, b.body, `GET ${url}`);
    assert.equal(a.statusCode, b.statusCode, `GET ${url}`);
    validate('GET', url, { status: a.statusCode, body: a.body });
  }
  // The walk saw the optional parts it claims to check.
  const rules = JSON.parse(
    (await srv.api.inject({ url: '/api/v1/hostaware/rules' })).body,
  ) as sdk.HandRuleView[];
  const hosts = rules.flatMap((r) => r.hosts);
  assert.ok(
    hosts.some((h) => h.applied !== undefined && h.activeSince !== undefined && h.lastValues.length > 0),
    JSON.stringify(hosts),
  );
  const page = JSON.parse(
    (await srv.api.inject({ url: '/api/v1/hostaware/messages' })).body,
  ) as sdk.HandMessagePage;
  assert.ok(
    page.messages.some((m) => m.rule !== undefined && m.host !== undefined),
    JSON.stringify(page.messages),
  );
});
