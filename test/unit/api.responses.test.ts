/**
 * /api/v1 response schemas: every GET answers the same bytes with them as without them (the serializer drops
 * unlisted properties and reorders listed ones, so a schema that is off shows here), /openapi.json documents a
 * success and an error schema for every /api/v1 operation, and real replies validate against those schemas.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Static } from '@sinclair/typebox';
import { API_ERROR_CODES, createApiServer, STATS_KINDS } from '../../src/api/index.js';
import {
  flowToV1,
  hostToV1,
  linkToV1,
  portDescToV1,
  portStatsToV1,
  portsToV1,
  switchToV1,
} from '../../src/api/format/v1.js';
import { portTo09, switchToFloodlight } from '../../src/api/format/floodlight.js';
import * as R from '../../src/api/responses.js';
import { listingToV1 } from '../../src/api/routes/staticflows.js';
import type * as sdk from '../../src/client/index.js';
import { aclRoutes } from '../../src/api/routes/acl.js';
import { firewallRoutes } from '../../src/api/routes/firewall.js';
import { qosRoutes } from '../../src/api/routes/qos.js';
import { staticFlowRoutes } from '../../src/api/routes/staticflows.js';
import { statisticsRoutes } from '../../src/api/routes/statistics.js';
import { StatisticsApp } from '../../src/apps/statistics/index.js';
import { AclApp } from '../../src/apps/acl/index.js';
import { FirewallApp } from '../../src/apps/firewall/index.js';
import { QosApp, type QueueStore } from '../../src/apps/qos/index.js';
import { StaticFlowsApp } from '../../src/apps/staticflows/index.js';
import { aclView, firewallView } from '../../src/daemon/firewall.js';
import { qosView } from '../../src/daemon/qos.js';
import { staticFlowsView } from '../../src/daemon/staticflows.js';
import { RequestTimeoutError } from '../../src/controller/errors.js';
import { fakeDeps, port, portCounters } from './api.fakes.js';
import { fakeAppContext, tempStore } from './apps.testctx.js';
import { validatorOf, type OpenApi } from './api.openapi.js';

/*
 * Compile-time: each closed schema has exactly the keys of its formatter and of the SDK's type (a property
 * added to one and not the other fails the build; the serializer would silently drop it).
 */
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type Rows<T> = T extends readonly (infer R)[] ? R : never;
const sameKeys: [
  SameKeys<Static<typeof R.Health>, sdk.Health>,
  SameKeys<Static<typeof R.Switch>, ReturnType<typeof switchToV1>>,
  SameKeys<Static<typeof R.Switch>, sdk.Switch>,
  SameKeys<Static<typeof R.SwitchDetail>, sdk.SwitchDetail>,
  SameKeys<Static<typeof R.Port>, ReturnType<typeof portDescToV1>>,
  SameKeys<Static<typeof R.PortWithStats>, Rows<ReturnType<typeof portsToV1>>>,
  SameKeys<Static<typeof R.PortWithStats>, sdk.PortWithStats>,
  SameKeys<NonNullable<Static<typeof R.PortCounters>>, ReturnType<typeof portStatsToV1>>,
  SameKeys<Static<typeof R.Flow>, ReturnType<typeof flowToV1>>,
  SameKeys<Static<typeof R.Flow>, sdk.Flow>,
  SameKeys<Static<typeof R.Link>, ReturnType<typeof linkToV1>>,
  SameKeys<Static<typeof R.Link>, sdk.Link>,
  SameKeys<Static<typeof R.Host>, ReturnType<typeof hostToV1>>,
  SameKeys<Static<typeof R.Host>, sdk.Host>,
  SameKeys<Static<typeof R.Route>, sdk.Route>,
  SameKeys<Static<typeof R.StaticFlow>, ReturnType<typeof listingToV1>>,
  SameKeys<Static<typeof R.StaticFlow>, sdk.StaticFlow>,
  SameKeys<Rows<Static<typeof R.StaticFlowsAdded>['added']>, sdk.StaticFlowAdded>,
  SameKeys<Static<typeof R.FirewallStatus>, sdk.FirewallStatus>,
  SameKeys<Static<typeof R.FirewallRule>, sdk.FirewallRule>,
  SameKeys<Static<typeof R.AclRule>, sdk.AclRule>,
  SameKeys<Static<typeof R.QosStatus>, sdk.QosStatus>,
  SameKeys<Static<typeof R.QosService>, sdk.QosService>,
  SameKeys<Static<typeof R.FloodlightSwitch>, ReturnType<typeof switchToFloodlight>>,
  SameKeys<Static<typeof R.FloodlightSwitch>, sdk.FloodlightSwitch>,
  SameKeys<Rows<Static<typeof R.FloodlightSwitch>['ports']>, sdk.FloodlightPort09>,
  SameKeys<Rows<Static<typeof R.FloodlightSwitch>['ports']>, ReturnType<typeof portTo09>>,
] = [
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
];

const D1 = '00:00:00:00:00:00:00:01';
const D2 = '00:00:00:00:00:00:00:02';

/** OVSDB with one port that has a linux-htb QoS of two queues. */
const queueStore: QueueStore = {
  listBridges: async () => ['s1'],
  listPorts: async () => ['s1-eth1', 's1-eth2'],
  getPortQos: async (port) =>
    port === 's1-eth2'
      ? {
          uuid: 'q',
          type: 'linux-htb',
          maxRate: 10_000_000,
          queues: { 0: { uuid: 'a', 'min-rate': 1_000 }, 1: { uuid: 'b', 'max-rate': 2_000_000 } },
        }
      : undefined,
  setPortQos: async () => true,
  clearPortQos: async () => true,
};

/** Two servers over the same fake controller and real apps: with response schemas, and without. */
async function world() {
  const { ctx } = fakeAppContext(tempStore('sluice-apiresp-'));
  const staticflows = new StaticFlowsApp();
  const fw = new FirewallApp();
  const acl = new AclApp();
  const qos = new QosApp({ queueStore: async () => queueStore });
  for (const a of [staticflows, fw, acl, qos]) await a.start(ctx);
  const deps = fakeDeps();
  // The switch reports counters for ports 1 and 2 only: port 3 lists `stats: null`.
  deps.s1.ports.set(3, port(3, 's1-eth3'));
  // Two port-stats samples 5 s apart on s1 (rates), one on s2 (counters only).
  const statistics = new StatisticsApp({ timers: false });
  statistics.record(deps.s1, [portCounters(1, 0n, 0n), portCounters(2, 0n, 0n)], 1_000);
  statistics.record(deps.s1, [portCounters(1, 5_000n, 625_000n), portCounters(2, 10n, 0n)], 6_000);
  statistics.record(deps.s2, [portCounters(1, 1n, 2n)], 6_000);
  const routes = [
    staticFlowRoutes(staticFlowsView(staticflows)),
    firewallRoutes(firewallView(fw)),
    aclRoutes(aclView(acl)),
    qosRoutes(qosView(qos)),
    statisticsRoutes(statistics),
  ];
  const typed = await createApiServer({ ...deps, routes });
  const plain = await createApiServer({ ...deps, routes, responseSchemas: false });
  return { typed, plain, deps };
}

type Api = Awaited<ReturnType<typeof world>>['typed'];

interface Reply {
  status: number;
  type: string | undefined;
  body: string;
}

async function call(api: Api, method: string, url: string, body?: unknown): Promise<Reply> {
  const res = await api.inject({
    method: method as 'GET',
    url,
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, type: res.headers['content-type'] as string | undefined, body: res.body };
}

/** State for every listing: a static entry, firewall and ACL rules with every field, QoS of each kind. */
const POPULATE: [string, string, unknown][] = [
  [
    'POST',
    '/api/v1/staticflows',
    { switch: D1, name: 'f1', priority: 100, eth_type: '0x0800', ipv4_dst: '10.0.0.2', actions: 'output=2' },
  ],
  [
    'POST',
    '/api/v1/firewall/rules',
    {
      switchid: D1,
      'src-inport': 1,
      'src-mac': '00:00:00:00:00:01',
      'dst-mac': '00:00:00:00:00:02',
      'dl-type': 'IPv4',
      'src-ip': '10.0.0.1/32',
      'dst-ip': '10.0.0.0/24',
      'nw-proto': 'TCP',
      'tp-src': 1234,
      'tp-dst': 80,
      priority: 3,
      action: 'deny',
    },
  ],
  ['POST', '/api/v1/firewall/rules', { 'src-ip': '10.0.0.3/32' }],
  ['PUT', '/api/v1/firewall', { enabled: true }],
  [
    'POST',
    '/api/v1/acl/rules',
    { 'src-ip': '10.0.0.1/32', 'dst-ip': '10.0.0.2/32', 'nw-proto': 'TCP', 'tp-dst': 22, action: 'deny' },
  ],
  ['POST', '/api/v1/acl/rules', { 'dst-ip': '10.0.0.9/32' }],
  ['PUT', '/api/v1/qos', { enabled: true }],
  ['POST', '/api/v1/qos/services', { name: 'EF', tos: 184 }],
  ['POST', '/api/v1/qos/policies', { name: 'q', queue: 2, 'enqueue-port': 2, sw: '1', 'ip-dst': '10.0.0.2' }],
  ['POST', '/api/v1/qos/policies', { name: 'r', 'rate-kbps': 1000, sw: 'all', 'eth-type': '0x0800' }],
  [
    'POST',
    '/api/v1/qos/paths',
    { name: 'p1', 'src-ip': '10.0.0.1', 'dst-ip': '10.0.0.2', policy: { queue: 1 } },
  ],
];

/** GET URLs per documented path: success and error replies of each. */
const GETS: Record<string, string[]> = {
  '/api/v1/health': ['/api/v1/health'],
  '/api/v1/switches': ['/api/v1/switches'],
  '/api/v1/switches/{dpid}': [
    `/api/v1/switches/${D1}`,
    `/api/v1/switches/${D2}`,
    '/api/v1/switches/0x9',
    '/api/v1/switches/zz',
  ],
  '/api/v1/switches/{dpid}/flows': [
    `/api/v1/switches/${D1}/flows`,
    `/api/v1/switches/${D2}/flows`,
    '/api/v1/switches/0x9/flows',
  ],
  '/api/v1/switches/{dpid}/ports': [`/api/v1/switches/${D1}/ports`, `/api/v1/switches/${D2}/ports`],
  '/api/v1/switches/{dpid}/stats/{kind}': [
    ...STATS_KINDS.flatMap((k) => [`/api/v1/switches/${D1}/stats/${k}`, `/api/v1/switches/${D2}/stats/${k}`]),
    `/api/v1/switches/${D1}/stats/bogus`,
  ],
  '/api/v1/links': ['/api/v1/links'],
  '/api/v1/routes': [
    `/api/v1/routes?src_dpid=${D1}&src_port=1&dst_dpid=${D2}&dst_port=1`,
    `/api/v1/routes?src_dpid=${D2}&src_port=1&dst_dpid=${D1}&dst_port=1`,
    `/api/v1/routes?src_dpid=${D1}&src_port=1`,
  ],
  '/api/v1/hosts': ['/api/v1/hosts', '/api/v1/hosts?ipv4=10.0.0.2', '/api/v1/hosts?vlan=x'],
  '/api/v1/hosts/per-switch': ['/api/v1/hosts/per-switch', '/api/v1/hosts/per-switch?dpid=1'],
  '/api/v1/staticflows': [
    '/api/v1/staticflows',
    `/api/v1/staticflows?switch=${D1}`,
    '/api/v1/staticflows?switch=zz',
  ],
  '/api/v1/staticflows/{name}': ['/api/v1/staticflows/f1', '/api/v1/staticflows/nope'],
  '/api/v1/firewall': ['/api/v1/firewall'],
  '/api/v1/firewall/rules': ['/api/v1/firewall/rules'],
  '/api/v1/firewall/rules/{ruleid}': [
    '/api/v1/firewall/rules/1',
    '/api/v1/firewall/rules/2',
    '/api/v1/firewall/rules/99',
  ],
  '/api/v1/acl/rules': ['/api/v1/acl/rules'],
  '/api/v1/qos': ['/api/v1/qos'],
  '/api/v1/qos/services': ['/api/v1/qos/services'],
  '/api/v1/qos/policies': ['/api/v1/qos/policies'],
  '/api/v1/qos/policies/{id}': ['/api/v1/qos/policies/1', '/api/v1/qos/policies/99'],
  '/api/v1/qos/paths': ['/api/v1/qos/paths'],
  '/api/v1/qos/queues': ['/api/v1/qos/queues', '/api/v1/qos/queues?port=s1-eth2'],
  '/api/v1/statistics': ['/api/v1/statistics'],
  '/api/v1/statistics/ports': [
    '/api/v1/statistics/ports',
    `/api/v1/statistics/ports?dpid=${D1}`,
    '/api/v1/statistics/ports?dpid=zz',
  ],
  '/api/v1/statistics/links': ['/api/v1/statistics/links'],
};

/** After the GETs: writes whose replies are validated too (deletes of what POPULATE made, queue verbs). */
const WRITES: [string, string, unknown][] = [
  [
    'PUT',
    '/api/v1/qos/queues',
    { port: 's1-eth1', 'max-rate': 10_000_000, queues: { 1: { 'max-rate': 1_000_000 } } },
  ],
  ['DELETE', '/api/v1/qos/queues?port=s1-eth2', undefined],
  ['DELETE', '/api/v1/qos/paths/p1', undefined],
  ['DELETE', '/api/v1/qos/policies/1', undefined],
  ['DELETE', '/api/v1/qos/services/2', undefined],
  ['POST', '/api/v1/qos/services', { name: 'EF', tos: 'x' }],
  ['DELETE', '/api/v1/acl/rules/1', undefined],
  ['DELETE', '/api/v1/acl/rules', undefined],
  ['DELETE', '/api/v1/firewall/rules/1', undefined],
  ['DELETE', '/api/v1/firewall/rules/1', undefined],
  ['POST', '/api/v1/staticflows', [{ switch: D2, name: 'f2', actions: 'output=1' }]],
  ['DELETE', '/api/v1/staticflows/f1', undefined],
  ['DELETE', '/api/v1/staticflows?switch=all', undefined],
  ['PUT', '/api/v1/statistics', { enabled: 'no' }],
  ['PUT', '/api/v1/statistics', { enabled: false }],
];

async function populate(api: Api, validate?: ReturnType<typeof validatorOf>) {
  for (const [method, url, body] of POPULATE) {
    const r = await call(api, method, url, body);
    assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${r.body}`);
    validate?.(method, url, r);
  }
}

test('every /api/v1 GET answers the same bytes with response schemas as without', async () => {
  const { typed, plain, deps } = await world();
  await populate(plain);
  const doc = (await call(typed, 'GET', '/openapi.json', undefined)).body;
  const gets = Object.entries((JSON.parse(doc) as OpenApi).paths)
    .filter(([p, ops]) => p.startsWith('/api/v1/') && ops.get)
    .map(([p]) => p);
  assert.deepEqual(gets.sort(), Object.keys(GETS).sort(), 'every documented GET is exercised');

  let errors = 0;
  for (const url of Object.values(GETS).flat()) {
    const [a, b] = [await call(typed, 'GET', url), await call(plain, 'GET', url)];
    assert.equal(a.body, b.body, `GET ${url}`);
    assert.equal(a.status, b.status, `GET ${url}`);
    assert.equal(a.type, b.type, `GET ${url}`);
    // Same bytes also mean same keys; the parse proves both are JSON.
    assert.deepEqual(Object.keys(JSON.parse(a.body) as object), Object.keys(JSON.parse(b.body) as object));
    if (a.status >= 400) errors++;
  }
  assert.ok(errors >= 8, 'error replies are compared too');

  deps.s2.failWith = new RequestTimeoutError('stats_request', 7, 10);
  const url = `/api/v1/switches/${D2}/flows`;
  const [a, b] = [await call(typed, 'GET', url), await call(plain, 'GET', url)];
  assert.equal(a.status, 504);
  assert.deepEqual(a, b, 'a 5xx body too');
});

test('writes answer the same bytes with response schemas as without (two worlds, same steps)', async () => {
  const [one, two] = [await world(), await world()];
  let compared = 0;
  for (const [method, url, body] of [...POPULATE, ...WRITES]) {
    const [a, b] = [await call(one.typed, method, url, body), await call(two.plain, method, url, body)];
    assert.deepEqual(a, b, `${method} ${url}`);
    compared++;
  }
  assert.equal(compared, POPULATE.length + WRITES.length);
});

test('/openapi.json documents a success and an error body for every /api/v1 operation', async () => {
  const { typed, plain } = await world();
  const doc = JSON.parse((await call(typed, 'GET', '/openapi.json')).body) as OpenApi;
  // The key checks above are compile-time; this only keeps them referenced.
  assert.ok(sameKeys.every((same) => same));
  const ops = Object.entries(doc.paths)
    .filter(([p]) => p.startsWith('/api/v1/'))
    .flatMap(([p, byMethod]) => Object.entries(byMethod).map(([m, op]) => [`${m} ${p}`, op] as const));
  assert.ok(ops.length >= 35, `${ops.length} operations`);
  for (const [name, op] of ops) {
    const codes = Object.keys(op.responses ?? {});
    const ok = codes.filter((c) => /^2\d\d$/.test(c));
    assert.equal(ok.length, 1, `${name}: one 2xx (${codes.join(', ')})`);
    for (const c of [ok[0], '4XX', '5XX']) {
      assert.ok(op.responses?.[c]?.content?.['application/json']?.schema, `${name}: ${c} has a JSON schema`);
    }
    const err = op.responses?.['4XX']?.content?.['application/json']?.schema as {
      required?: string[];
      properties?: { error?: { enum?: string[] } };
    };
    assert.deepEqual(err.required, ['error', 'detail'], `${name}: error body`);
    assert.deepEqual(err.properties?.error?.enum, [...API_ERROR_CODES], `${name}: every wire error code`);
  }
  // Without them, nothing is documented (the switch the equality test relies on does what it says).
  const bare = JSON.parse((await call(plain, 'GET', '/openapi.json')).body) as OpenApi;
  assert.equal(bare.paths['/api/v1/switches'].get.responses?.['200']?.content, undefined);
});

test('real replies validate against the documented schemas (successes and errors, reads and writes)', async () => {
  const { typed } = await world();
  const doc = JSON.parse((await call(typed, 'GET', '/openapi.json')).body) as OpenApi;
  const validate = validatorOf(doc);
  await populate(typed, validate);
  let checked = 0;
  for (const url of Object.values(GETS).flat()) {
    validate('GET', url, await call(typed, 'GET', url));
    checked++;
  }
  const statuses = new Set<number>();
  for (const [method, url, body] of WRITES) {
    const r = await call(typed, method, url, body);
    statuses.add(r.status);
    validate(method, url, r);
    checked++;
  }
  assert.ok(checked > 60, `${checked} replies`);
  assert.ok(
    statuses.has(200) && statuses.has(201) && statuses.has(400) && statuses.has(404),
    [...statuses].join(),
  );
});

test('Floodlight replies carrying 0.9 keys: documented, same bytes with schemas as without, valid', async () => {
  const { typed, plain, deps } = await world();
  // A LOCAL port: its 0.9 portNumber is negative (a Java short), which the schema must allow.
  deps.s2.ports.set(0xfffffffe, port(0xfffffffe, 's2'));
  const doc = JSON.parse((await call(typed, 'GET', '/openapi.json')).body) as OpenApi;
  const ok = (path: string) => doc.paths[path].get.responses?.['200']?.content?.['application/json']?.schema;
  const sw = ok('/wm/core/controller/switches/json') as {
    items: { properties: Record<string, { items?: { properties: object } }> };
  };
  assert.deepEqual(Object.keys(sw.items.properties), [
    'inetAddress',
    'connectedSince',
    'switchDPID',
    'openFlowVersion',
    'dpid',
    'ports',
  ]);
  const port09 = [
    'portNumber',
    'hardwareAddress',
    'name',
    'config',
    'state',
    'currentFeatures',
    'advertisedFeatures',
    'supportedFeatures',
    'peerFeatures',
  ];
  assert.deepEqual(Object.keys(sw.items.properties.ports.items!.properties), port09);
  assert.ok(ok('/wm/core/switch/{dpid}/features/json'), 'features documented');

  const validate = validatorOf(doc);
  const urls = [
    '/wm/core/controller/switches/json',
    ...[D1, D2, 'all', '0x9', 'zz'].map((d) => `/wm/core/switch/${d}/features/json`),
  ];
  for (const url of urls) {
    const [a, b] = [await call(typed, 'GET', url), await call(plain, 'GET', url)];
    assert.deepEqual(a, b, `GET ${url}`);
    validate('GET', url, a);
  }
  const [one] = JSON.parse((await call(typed, 'GET', urls[0])).body) as { ports: { portNumber: number }[] }[];
  assert.ok(one.ports.length > 0);
});
