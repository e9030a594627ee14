/**
 * Every operation of the controller's and the agent's /openapi.json has its client method: each method is
 * driven against a recording transport and must request the method and documented path its table entry
 * names (src/client/routes.ts), and the tables, with the Floodlight-only paths, cover the documents exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AGENT_CLIENT_ROUTES,
  AgentClient,
  FLOODLIGHT_ONLY_ROUTES,
  SLUICE_CLIENT_ROUTES,
  SluiceClient,
  type RouteSpec,
  type Transport,
} from '../../src/client/index.js';
import { createApiServer } from '../../src/api/index.js';
import { createAgentApiServer } from '../../src/api/agentserver.js';
import { aclRoutes } from '../../src/api/routes/acl.js';
import { agentReadRoutes } from '../../src/api/routes/agent.js';
import { firewallRoutes } from '../../src/api/routes/firewall.js';
import { hostAwareRoutes } from '../../src/api/routes/hostaware.js';
import { nodesRoutes } from '../../src/api/routes/nodes.js';
import { pkiRoutes } from '../../src/api/routes/pki.js';
import { qosRoutes } from '../../src/api/routes/qos.js';
import { staticFlowRoutes } from '../../src/api/routes/staticflows.js';
import { statisticsRoutes } from '../../src/api/routes/statistics.js';
import { fakeDeps } from './api.fakes.js';
import { documentedPath, type OpenApi } from './api.openapi.js';

/** A stand-in for every view and the agent's ops: registering routes reads them, no request is made. */
const nothing: never = new Proxy({}, { get: () => nothing }) as never;

/** The controller's document with every route area the daemon registers. */
async function controllerDocument(): Promise<OpenApi> {
  const areas = [
    staticFlowRoutes,
    firewallRoutes,
    aclRoutes,
    qosRoutes,
    hostAwareRoutes,
    statisticsRoutes,
    agentReadRoutes,
    nodesRoutes,
    pkiRoutes,
  ];
  const app = await createApiServer({ ...fakeDeps(), routes: areas.map((area) => area(nothing)) });
  try {
    return (await app.inject('/openapi.json')).json<OpenApi>();
  } finally {
    await app.close();
  }
}

async function agentDocument(): Promise<OpenApi> {
  const app = await createAgentApiServer({ ops: nothing, version: 'test' });
  try {
    return (await app.inject('/openapi.json')).json<OpenApi>();
  } finally {
    await app.close();
  }
}

const operations = (doc: OpenApi) =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
  );
const named = (spec: RouteSpec) => `${spec[0]} ${spec[1]}`;

/** Records each request and answers 404 (so every method returns or throws at once). */
function recorder() {
  const seen: { method: string; path: string }[] = [];
  const transport: Transport = {
    fetch: async (url, init) => {
      seen.push({ method: init.method ?? 'GET', path: new URL(url).pathname });
      return new Response(JSON.stringify({ error: 'not_found', detail: 'recorded' }), { status: 404 });
    },
  };
  return { seen, transport };
}

const P1 = { dpid: '00:00:00:00:00:00:00:01', port: 1 };
const P2 = { dpid: '00:00:00:00:00:00:00:02', port: 2 };
/** Arguments for the methods that take an object; the others get 'x' per parameter. */
const ARGS: Record<string, unknown[]> = {
  route: [P1, P2],
  'floodlight.route': [P1, P2],
  'floodlight.routingPath': [P1, P2],
  'nodes.apply': [{ name: 'n1' }],
  'hostaware.putRule': [{ name: 'r1' }],
  'hostaware.stream': [{ after: 0 }],
  'hostaware.follow': [() => undefined, { after: 0 }],
};

/** Calls `client.a.b(...)` and awaits its outcome (a stream is read once); the 404 it meets is expected. */
async function drive(client: object, name: string): Promise<void> {
  const parts = name.split('.');
  const owner = parts.slice(0, -1).reduce((o: Record<string, unknown>, k) => o[k] as never, client as never);
  const fn = owner[parts.at(-1) as string];
  assert.equal(typeof fn, 'function', `${name} is a method`);
  const f = fn as (...a: unknown[]) => unknown;
  const out = f.apply(owner, ARGS[name] ?? Array.from({ length: f.length }, () => 'x'));
  try {
    if (out && typeof out === 'object' && Symbol.asyncIterator in out) {
      await (out as AsyncGenerator).next();
    } else await out;
  } catch {
    // Every answer is a 404: what matters is the request.
  }
}

async function checkTable(
  doc: OpenApi,
  table: Readonly<Record<string, RouteSpec>>,
  make: (t: Transport) => object,
): Promise<number> {
  let driven = 0;
  for (const [name, [method, template]] of Object.entries(table)) {
    const { seen, transport } = recorder();
    await drive(make(transport), name);
    const last = seen.at(-1);
    assert.ok(last, `${name} sent a request`);
    // /openapi.json is the document itself, the one route it does not list.
    const path = last.path === '/openapi.json' ? last.path : documentedPath(doc, last.path);
    assert.deepEqual(`${last.method} ${path}`, `${method} ${template}`, name);
    driven++;
  }
  return driven;
}

test('each SluiceClient method requests the documented route its table entry names', async () => {
  const doc = await controllerDocument();
  const n = await checkTable(
    doc,
    SLUICE_CLIENT_ROUTES,
    (transport) => new SluiceClient({ baseUrl: 'http://api', transport }),
  );
  assert.equal(n, Object.keys(SLUICE_CLIENT_ROUTES).length);
});

test("every operation of the controller's document has a client method, or is a Floodlight-only path", async () => {
  const doc = await controllerDocument();
  const documented = new Set(operations(doc));
  const covered = new Set(Object.values(SLUICE_CLIENT_ROUTES).map(named));
  const missing = [...documented].filter((op) => !covered.has(op) && !FLOODLIGHT_ONLY_ROUTES.includes(op));
  assert.deepEqual(missing, [], 'documented operations without a client method');
  const undocumented = [...covered].filter((op) => !documented.has(op) && op !== 'GET /openapi.json');
  assert.deepEqual(undocumented, [], 'client routes the document does not have');
  assert.ok(documented.size > 130, `${documented.size} operations`);
  // The exclusions are Floodlight's /wm/ paths only, each documented and none also in the SDK.
  for (const op of FLOODLIGHT_ONLY_ROUTES) {
    assert.match(op, /^[A-Z]+ \/wm\//, op);
    assert.ok(documented.has(op), `${op} is documented`);
    assert.ok(!covered.has(op), `${op} is excluded and covered at once`);
  }
  assert.equal(new Set(FLOODLIGHT_ONLY_ROUTES).size, FLOODLIGHT_ONLY_ROUTES.length);
});

test("each AgentClient method requests its route, and every operation of the agent's document has one", async () => {
  const doc = await agentDocument();
  const n = await checkTable(doc, AGENT_CLIENT_ROUTES, (transport) => new AgentClient({ transport }));
  assert.equal(n, Object.keys(AGENT_CLIENT_ROUTES).length);
  const documented = new Set(operations(doc));
  const covered = new Set(Object.values(AGENT_CLIENT_ROUTES).map(named));
  assert.deepEqual(
    [...documented].filter((op) => !covered.has(op)),
    [],
    'documented operations without a client method',
  );
  assert.deepEqual(
    [...covered].filter((op) => !documented.has(op) && op !== 'GET /openapi.json'),
    [],
    'client routes the document does not have',
  );
});

test("the seed's toolkit calls exist under clear names (nodes.*)", async () => {
  // The NVP toolkit post's calls: tnode_exists, get_transport_zones, check_transport_exists,
  // get_control_cluster, get_interface_statistics.
  const seed: Record<string, string> = {
    'nodes.nodeExists': 'GET /api/v1/nodes/{name}',
    'nodes.transportNodeExists': 'GET /api/v1/transport-nodes/{name}',
    'nodes.transportZones': 'GET /api/v1/transport-zones',
    'nodes.transportZoneExists': 'GET /api/v1/transport-zones/{name}',
    'nodes.controlCluster': 'GET /api/v1/cluster',
    'nodes.interfaceStatistics': 'GET /api/v1/transport-nodes/{name}/interfaces/{iface}/stats',
  };
  const table: Record<string, RouteSpec> = SLUICE_CLIENT_ROUTES;
  for (const [name, route] of Object.entries(seed)) assert.equal(named(table[name]), route, name);
  // An exists call answers false on 404 rather than throwing.
  const { transport } = recorder();
  const c = new SluiceClient({ baseUrl: 'http://api', transport });
  assert.deepEqual(
    await Promise.all([
      c.nodes.nodeExists('n'),
      c.nodes.transportNodeExists('n'),
      c.nodes.transportZoneExists('z'),
    ]),
    [false, false, false],
  );
});
