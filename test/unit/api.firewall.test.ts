import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiServer } from '../../src/api/index.js';
import { aclRoutes } from '../../src/api/routes/acl.js';
import { firewallRoutes, ruleToFloodlight } from '../../src/api/routes/firewall.js';
import {
  ACL_RULES_PREFIX,
  AclApp,
  aclFlows,
  aclMatch,
  aclPriority,
  rulesOverlap,
  parseAclRule,
} from '../../src/apps/acl/index.js';
import { FirewallApp, RULES_PREFIX } from '../../src/apps/firewall/index.js';
import { DEFAULT_PIPELINE, type AppContext } from '../../src/controller/index.js';
import { OFPCML_NO_BUFFER, OFPP, OFP_VERSION_1_0, OFP_VERSION_1_3 } from '../../src/openflow/index.js';
import { aclView, firewallView } from '../../src/daemon/firewall.js';
import { fakeDeps } from './api.fakes.js';
import { fakeAppContext, tempStore } from './apps.testctx.js';

async function server() {
  const store = tempStore('sluice-fwapi-');
  const { ctx, reconciles } = fakeAppContext(store);
  const fw = new FirewallApp();
  const acl = new AclApp();
  await fw.start(ctx);
  await acl.start(ctx);
  const api = await createApiServer({
    ...fakeDeps(),
    routes: [firewallRoutes(firewallView(fw)), aclRoutes(aclView(acl))],
  });
  return { api, store, fw, acl, reconciles };
}

type Api = Awaited<ReturnType<typeof server>>['api'];
async function call(api: Api, method: string, url: string, body?: unknown) {
  const res = await api.inject({
    method: method as 'GET',
    url,
    ...(body === undefined
      ? {}
      : { payload: JSON.stringify(body), headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
  });
  return {
    status: res.statusCode,
    json: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : undefined,
  };
}

test('Floodlight firewall paths: status, enable by PUT, add, list, delete with its reply shapes', async () => {
  const { api, fw } = await server();
  assert.deepEqual((await call(api, 'GET', '/wm/firewall/module/status/json')).json, {
    result: 'firewall disabled',
  });
  assert.deepEqual((await call(api, 'PUT', '/wm/firewall/module/enable/json', '')).json, {
    status: 'success',
    details: 'firewall running',
  });
  assert.equal(fw.enabled, true);
  assert.deepEqual((await call(api, 'GET', '/wm/firewall/module/status/json')).json, {
    result: 'firewall enabled',
  });
  const added = await call(api, 'POST', '/wm/firewall/rules/json', {
    'src-ip': '10.0.0.3/32',
    'dst-ip': '10.0.0.7/32',
  });
  assert.deepEqual(added.json, { status: 'Rule added', 'rule-id': '1' });
  const listed = (await call(api, 'GET', '/wm/firewall/rules/json')).json as unknown as Record<
    string,
    unknown
  >[];
  assert.equal(listed.length, 1);
  assert.equal(listed[0].ruleid, 1);
  assert.equal(listed[0].nw_src_prefix, '10.0.0.3');
  assert.equal(listed[0].nw_src_maskbits, 32);
  assert.equal(listed[0].dl_type, 0x800);
  assert.equal(listed[0].any_tp_dst, true);
  assert.equal(listed[0].action, 'ALLOW');
  assert.deepEqual((await call(api, 'DELETE', '/wm/firewall/rules/json', { ruleid: '1' })).json, {
    status: 'Rule deleted',
  });
  assert.deepEqual((await call(api, 'GET', '/wm/firewall/rules/json')).json, []);
  assert.deepEqual((await call(api, 'PUT', '/wm/firewall/module/disable/json', '')).json, {
    status: 'success',
    details: 'firewall stopped',
  });
  assert.deepEqual((await call(api, 'GET', '/wm/firewall/module/subnet-mask/json')).json, {
    'subnet-mask': '255.255.255.0',
  });
  assert.deepEqual(
    (await call(api, 'POST', '/wm/firewall/module/subnet-mask/json', { 'subnet-mask': '255.255.0.0' })).json,
    {
      status: 'subnet mask set',
    },
  );
  assert.equal(fw.subnetMaskOf(), '255.255.0.0');
});

test('/api/v1/firewall: status, rules CRUD with 201/404, cookie tag in listings', async () => {
  const { api } = await server();
  assert.deepEqual((await call(api, 'PUT', '/api/v1/firewall', { enabled: true })).json, {
    enabled: true,
    subnetMask: '255.255.255.0',
    rules: 0,
  });
  const r = await call(api, 'POST', '/api/v1/firewall/rules', {
    'nw-proto': 'TCP',
    'tp-dst': 5201,
    action: 'deny',
  });
  assert.equal(r.status, 201);
  assert.deepEqual(r.json, {
    ruleid: '1',
    'dl-type': 'IPv4',
    'nw-proto': 'TCP',
    'tp-dst': '5201',
    priority: '0',
    action: 'deny',
    cookieTag: '0x100000001',
  });
  assert.equal((await call(api, 'GET', '/api/v1/firewall/rules/1')).json?.action, 'deny');
  assert.equal((await call(api, 'GET', '/api/v1/firewall/rules/9')).status, 404);
  assert.deepEqual((await call(api, 'DELETE', '/api/v1/firewall/rules/1')).json, { deleted: 1 });
  assert.equal((await call(api, 'DELETE', '/api/v1/firewall/rules/1')).status, 404);
});

const BAD_FIREWALL: [string, string, unknown, number, string][] = [
  ['POST', '/wm/firewall/rules/json', { 'src-ip': '10.0.0.256' }, 400, 'src-ip'],
  ['POST', '/wm/firewall/rules/json', { 'tp-dst': '80' }, 400, 'tp-dst'],
  ['POST', '/wm/firewall/rules/json', { colour: 'red' }, 400, 'colour'],
  ['POST', '/api/v1/firewall/rules', { 'src-mac': 'zz' }, 400, 'src-mac'],
  ['POST', '/api/v1/firewall/rules', { priority: 'top' }, 400, 'priority'],
  ['POST', '/api/v1/firewall/rules', { action: 'reject' }, 400, 'action'],
  ['POST', '/api/v1/firewall/rules', { switchid: 'nope' }, 400, 'switchid'],
  ['POST', '/api/v1/firewall/rules', [1], 400, 'body'],
  ['DELETE', '/wm/firewall/rules/json', { ruleid: 'abc' }, 400, 'ruleid'],
  ['DELETE', '/wm/firewall/rules/json', { ruleid: 77 }, 404, 'ruleid'],
  ['PUT', '/api/v1/firewall', { enabled: 'maybe' }, 400, 'enabled'],
  ['PUT', '/api/v1/firewall', { subnetMask: '255.0.255.0' }, 400, 'subnet-mask'],
  ['PUT', '/api/v1/firewall', { other: 1 }, 400, 'other'],
  ['POST', '/wm/firewall/module/subnet-mask/json', { 'subnet-mask': 'x' }, 400, 'subnet-mask'],
  ['DELETE', '/api/v1/firewall/rules/x', undefined, 400, 'ruleid'],
];

test('firewall endpoints: bad input -> 4xx naming the field, store unchanged', async () => {
  const { api, store } = await server();
  await call(api, 'POST', '/api/v1/firewall/rules', { 'src-ip': '10.0.0.1' });
  const before = JSON.stringify([await store.list('/apps/firewall/'), await store.list(RULES_PREFIX)]);
  for (const [method, url, body, status, field] of BAD_FIREWALL) {
    const res = await call(api, method, url, body);
    assert.equal(res.status, status, `${method} ${url} ${JSON.stringify(body)}`);
    assert.equal(
      res.json?.field,
      field,
      `${method} ${url} ${JSON.stringify(body)}: ${JSON.stringify(res.json)}`,
    );
  }
  const dup = await call(api, 'POST', '/wm/firewall/rules/json', { 'src-ip': '10.0.0.1/32' });
  assert.equal(dup.status, 409);
  assert.equal(JSON.stringify([await store.list('/apps/firewall/'), await store.list(RULES_PREFIX)]), before);
});

test('ACL paths: add, list (Floodlight shape), delete, clear; each change asks for a reconcile', async () => {
  const { api, reconciles, acl } = await server();
  const add = await call(api, 'POST', '/wm/acl/rules/json', {
    'src-ip': '10.0.0.1/32',
    'dst-ip': '10.0.0.2/32',
    action: 'deny',
  });
  assert.deepEqual(add.json, { status: 'Success! New rule added.', 'rule-id': '1' });
  const v1 = await call(api, 'POST', '/api/v1/acl/rules', {
    'dst-ip': '10.0.0.0/24',
    'nw-proto': 'UDP',
    'tp-dst': 53,
    action: 'allow',
  });
  assert.equal(v1.status, 201);
  assert.equal(v1.json?.['nw-proto'], 'UDP');
  const listed = (await call(api, 'GET', '/wm/acl/rules/json')).json as unknown as Record<string, unknown>[];
  assert.deepEqual(listed[0], {
    id: 1,
    nw_src: '10.0.0.1/32',
    nw_dst: '10.0.0.2/32',
    nw_src_prefix: 0x0a000001,
    nw_src_maskbits: 32,
    nw_dst_prefix: 0x0a000002,
    nw_dst_maskbits: 32,
    nw_proto: 0,
    tp_dst: 0,
    action: 'DENY',
  });
  assert.equal(listed[1].nw_proto, 17);
  assert.deepEqual((await call(api, 'DELETE', '/wm/acl/rules/json', { ruleid: 2 })).json, {
    status: 'Success! Rule deleted',
  });
  assert.equal(acl.list().length, 1);
  assert.deepEqual((await call(api, 'GET', '/wm/acl/clear/json')).json, {
    status: 'Success! 1 rules deleted',
  });
  assert.deepEqual((await call(api, 'GET', '/api/v1/acl/rules')).json, []);
  assert.equal(reconciles.filter((n) => n === 'acl').length, 4);
});

test('ACL endpoints: bad input -> 4xx naming the field, store unchanged', async () => {
  const { api, store } = await server();
  await call(api, 'POST', '/api/v1/acl/rules', { 'src-ip': '10.0.0.1' });
  const before = JSON.stringify(await store.list(ACL_RULES_PREFIX));
  const bad: [string, string, unknown, number, string][] = [
    ['POST', '/wm/acl/rules/json', { 'nw-proto': 'TCP' }, 400, 'src-ip'],
    ['POST', '/wm/acl/rules/json', { 'src-ip': '1.2.3.4/40' }, 400, 'src-ip'],
    ['POST', '/api/v1/acl/rules', { 'src-ip': '10.0.0.9', 'tp-dst': 22 }, 400, 'tp-dst'],
    ['POST', '/api/v1/acl/rules', { 'src-ip': '10.0.0.9', action: 'meh' }, 400, 'action'],
    ['POST', '/api/v1/acl/rules', { 'src-ip': '10.0.0.9', 'src-mac': '00:00:00:00:00:01' }, 400, 'src-mac'],
    ['POST', '/api/v1/acl/rules', { 'src-ip': '10.0.0.1/32' }, 409, 'body'],
    ['DELETE', '/wm/acl/rules/json', {}, 400, 'ruleid'],
    ['DELETE', '/api/v1/acl/rules/5', undefined, 404, 'ruleid'],
  ];
  for (const [method, url, body, status, field] of bad) {
    const res = await call(api, method, url, body);
    assert.equal(res.status, status, `${method} ${url} ${JSON.stringify(body)}`);
    assert.equal(res.json?.field, field, `${method} ${url}: ${JSON.stringify(res.json)}`);
  }
  assert.equal(JSON.stringify(await store.list(ACL_RULES_PREFIX)), before);
});

test('ACL flows: deny -> drop at a priority from its id; allow only where it shadows a later deny', () => {
  const cookie = 0x0005_0000_0000_0000n;
  const r1 = { ...parseAclRule({ 'src-ip': '10.0.0.1', 'dst-ip': '10.0.0.3', action: 'allow' }), id: 1 };
  const r2 = { ...parseAclRule({ 'src-ip': '10.0.0.0/24', action: 'deny' }), id: 2 };
  const r3 = {
    ...parseAclRule({ 'dst-ip': '192.168.0.1', 'nw-proto': 'TCP', 'tp-dst': 80, action: 'allow' }),
    id: 3,
  };
  assert.equal(rulesOverlap(r1, r2), true);
  assert.equal(rulesOverlap(r3, r2), true);
  assert.equal(rulesOverlap(r1, r3), false);
  const of10 = DEFAULT_PIPELINE.place('acl', 'rules', OFP_VERSION_1_0);
  const flows = aclFlows([r3, r2, r1], cookie, of10);
  assert.deepEqual(
    flows.map((f) => [f.tableId, f.priority, f.cookie, f.instructions]),
    [
      [
        0,
        aclPriority(of10, 1),
        cookie | 1n,
        [
          {
            type: 'apply_actions',
            actions: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }],
          },
        ],
      ],
      [0, aclPriority(of10, 2), cookie | 2n, []],
    ],
  );
  // OpenFlow 1.3: the filter table; an allow passes its packets on to the next stage instead.
  const of13 = DEFAULT_PIPELINE.place('acl', 'rules', OFP_VERSION_1_3);
  assert.deepEqual(
    aclFlows([r3, r2, r1], cookie, of13).map((f) => [f.tableId, f.instructions]),
    [
      [of13.tableId, [{ type: 'goto_table', tableId: of13.next }]],
      [of13.tableId, []],
    ],
  );
  assert.deepEqual(aclMatch(r2), { eth_type: 0x800, ipv4_src: '10.0.0.0', ipv4_src_mask: '255.255.255.0' });
  assert.deepEqual(aclMatch(r3), { eth_type: 0x800, ipv4_dst: '192.168.0.1', ip_proto: 6, tcp_dst: 80 });
  assert.ok(aclPriority(of10, 1) > aclPriority(of10, 2));
});

test('ACL rules survive a restart and give the same flows (nothing for the reconciler to wipe)', async () => {
  const { acl, store } = await server();
  await acl.add({ 'src-ip': '10.0.0.1', 'dst-ip': '10.0.0.2' });
  const again = new AclApp();
  await again.start({
    store,
    log: { debug() {}, info() {}, warn() {}, error() {} },
    requestReconcile: () => {},
  } as unknown as AppContext);
  const sw = {} as never;
  assert.deepEqual(again.desiredFlows(sw), acl.desiredFlows(sw));
  assert.equal(again.desiredFlows(sw).length, 1);
});

test('Floodlight rule shape: dl_type is the number of the canonical dl-type name or hex', () => {
  const dlType = (t?: string) =>
    ruleToFloodlight(t === undefined ? { ruleid: '1' } : { ruleid: '1', 'dl-type': t }).dl_type;
  assert.deepEqual([dlType('IPv4'), dlType('ARP'), dlType('0x88cc'), dlType()], [0x800, 0x806, 0x88cc, 0]);
});
