import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Type } from '@sinclair/typebox';
import {
  checkListenSecurity,
  createApiServer,
  isLoopbackHost,
  originFormUrl,
  type ApiDeps,
  type RouteArea,
} from '../../src/api/index.js';
import { RequestTimeoutError } from '../../src/controller/errors.js';
import { fakeDeps, port } from './api.fakes.js';

const D1 = '00:00:00:00:00:00:00:01';
const D2 = '00:00:00:00:00:00:00:02';

/** A route area with a body, as app route files (staticflows...) will add. */
const echoArea: RouteArea = (app) => {
  const Body = Type.Object(
    { name: Type.String({ minLength: 1 }), priority: Type.Optional(Type.Integer({ maximum: 65535 })) },
    { additionalProperties: false },
  );
  const handler = async (req: { body: unknown }) => ({ got: req.body });
  app.post('/test/echo', { schema: { body: Body } }, handler);
  app.delete('/test/echo', { schema: { body: Body } }, handler);
};

async function server(
  over: Partial<ApiDeps> = {},
  extra: Partial<Parameters<typeof createApiServer>[0]> = {},
) {
  const deps = fakeDeps(over);
  const app = await createApiServer({ ...deps, routes: [echoArea], ...extra });
  return { app, deps };
}

test('switch list and live stats in Floodlight 1.2 shapes', async () => {
  const { app } = await server();
  const sw = await app.inject('/wm/core/controller/switches/json');
  assert.equal(sw.statusCode, 200);
  const { dpid: _09dpid, ports: _09ports, ...keys12 } = sw.json()[0];
  assert.deepEqual(keys12, {
    inetAddress: '/127.0.0.1:40000',
    connectedSince: Date.parse('2026-11-28T10:00:00Z'),
    switchDPID: D1,
    openFlowVersion: 'OF_13',
  });

  const f13 = (await app.inject(`/wm/core/switch/${D1}/flow/json`)).json();
  assert.equal(f13.flows.length, 1);
  assert.equal(f13.flows[0].packet_count, '12');
  assert.equal(f13.flows[0].match.eth_type, '0x800');
  assert.equal(f13.flows[0].match.in_port, '1');
  assert.deepEqual(f13.flows[0].instructions, { instruction_apply_actions: { actions: 'output=2' } });

  const f10 = (await app.inject(`/wm/core/switch/${D2}/flow/json`)).json();
  assert.deepEqual(f10.flows[0].actions, { actions: 'output=2' });
  assert.equal(f10.flows[0].version, 'OF_10');

  const all = (await app.inject('/wm/core/switch/all/flow/json')).json();
  assert.deepEqual(Object.keys(all).sort(), [D1, D2]);
  assert.equal(all[D1].flows.length, 1);

  const port = (await app.inject(`/wm/core/switch/${D1}/port/json`)).json();
  assert.equal(port.port_reply[0].port[0].port_number, '1');
  assert.equal(port.port_reply[0].port[0].receive_packets, '10');

  const desc = (await app.inject(`/wm/core/switch/${D1}/desc/json`)).json();
  assert.equal(desc.desc.manufacturer_description, 'Nicira, Inc.');

  const features = (await app.inject(`/wm/core/switch/${D2}/features/json`)).json();
  assert.equal(features.dpid, D2);
  assert.equal(features.port_desc.length, 2);

  // OF1.0 has no port-desc request: answered from the session's port map without asking the switch.
  const pd = (await app.inject(`/wm/core/switch/${D2}/port-desc/json`)).json();
  assert.equal(pd.port_desc.length, 2);

  const meters = (await app.inject(`/wm/core/switch/0x1/meter-config/json`)).json();
  assert.equal(meters.meter_config[0].meter_bands[0].rate, '2000');
  for (const kind of ['aggregate', 'queue', 'table', 'group', 'group-desc', 'meter']) {
    assert.equal((await app.inject(`/wm/core/switch/${D1}/${kind}/json`)).statusCode, 200, kind);
  }
});

test('Floodlight 0.9 keys ride beside 1.2 ones: switches dpid and ports, features ports', async () => {
  const { app, deps } = await server();
  // A LOCAL port with every bit field set high: 0.9 wrote a Java short and Java ints.
  const local = { ...port(0xfffffffe, 's1'), hwAddr: '0a:0b:0c:0d:0e:0f' };
  deps.s1.ports.set(0xfffffffe, { ...local, config: 1, state: 4, curr: 0x2840 });
  deps.s1.ports.set(3, { ...port(3, 's1-eth3'), advertised: 0x80000000, supported: 0xff, peer: 0x20 });
  // The codec widens OF1.0's port numbers: its LOCAL (0xfffe) arrives as 0xfffffffe too.
  deps.s2.ports.set(0xfffffffe, { ...local, name: 's2' });
  const switches = (await app.inject('/wm/core/controller/switches/json')).json();
  assert.deepEqual(
    switches.map((s: { dpid: string; switchDPID: string }) => [s.dpid, s.switchDPID]),
    [
      [D1, D1],
      [D2, D2],
    ],
  );
  const none = { config: 0, state: 0, currentFeatures: 0, advertisedFeatures: 0, supportedFeatures: 0 };
  const p09 = (portNumber: number, hardwareAddress: string, name: string) => ({
    portNumber,
    hardwareAddress,
    name,
    ...none,
    peerFeatures: 0,
  });
  assert.deepEqual(switches[0].ports, [
    p09(1, '02:00:00:00:00:01', 's1-eth1'),
    p09(2, '02:00:00:00:00:02', 's1-eth2'),
    { ...p09(-2, '0a:0b:0c:0d:0e:0f', 's1'), config: 1, state: 4, currentFeatures: 0x2840 },
    {
      ...p09(3, '02:00:00:00:00:03', 's1-eth3'),
      advertisedFeatures: -0x80000000,
      supportedFeatures: 0xff,
      peerFeatures: 0x20,
    },
  ]);
  assert.deepEqual(
    switches[1].ports.map((p: { portNumber: number; name: string }) => [p.portNumber, p.name]),
    [
      [1, 's2-eth1'],
      [2, 's2-eth2'],
      [-2, 's2'],
    ],
  );

  // features: the same ports beside 1.2's keys, which keep their values (OF1.0 still has port_desc).
  const f1 = (await app.inject(`/wm/core/switch/${D1}/features/json`)).json();
  assert.deepEqual(f1.ports, switches[0].ports);
  assert.deepEqual(
    { ...f1, ports: undefined },
    { capabilities: '79', dpid: D1, buffers: '256', tables: '254', version: 'OF_13', ports: undefined },
  );
  const f2 = (await app.inject(`/wm/core/switch/${D2}/features/json`)).json();
  assert.deepEqual(f2.ports, switches[1].ports);
  assert.equal(f2.port_desc.length, 3);
  assert.equal(f2.port_desc[2].port_number, 'LOCAL');
  assert.equal(f2.actions, '0');
  const all = (await app.inject('/wm/core/switch/all/features/json')).json();
  assert.deepEqual(all, { [D1]: f1, [D2]: f2 });
  const bad = await app.inject('/wm/core/switch/zz/features/json');
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().field, 'dpid');
});

test('stats routes reject bad DPIDs, unknown switches, unknown kinds and OF1.0 limits', async () => {
  const { app, deps } = await server();
  const bad = await app.inject('/wm/core/switch/zz:top/flow/json');
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().field, 'dpid');
  assert.match(bad.json().detail, /not a DPID/);

  const unknown = await app.inject('/wm/core/switch/00:00:00:00:00:00:00:09/flow/json');
  assert.equal(unknown.statusCode, 404);
  assert.deepEqual(Object.keys(unknown.json()).sort(), ['detail', 'error', 'field']);

  const kind = await app.inject(`/wm/core/switch/${D1}/bogus/json`);
  assert.equal(kind.statusCode, 400);
  assert.equal(kind.json().field, 'kind');
  assert.match(kind.json().detail, /must be one of aggregate, desc, flow/);

  const of10 = await app.inject(`/wm/core/switch/${D2}/meter/json`);
  assert.equal(of10.statusCode, 400);
  assert.equal(of10.json().error, 'unsupported_by_switch');

  deps.s1.failWith = new RequestTimeoutError('stats_request', 7, 10);
  const timeout = await app.inject(`/wm/core/switch/${D1}/flow/json`);
  assert.equal(timeout.statusCode, 504);
  assert.equal(timeout.json().error, 'switch_timeout');
  // `all` leaves the failing switch out instead of failing the whole answer.
  const all = (await app.inject('/wm/core/switch/all/flow/json')).json();
  assert.deepEqual(Object.keys(all), [D2]);
});

test('topology, routes and devices in Floodlight shapes', async () => {
  const { app } = await server();
  assert.deepEqual((await app.inject('/wm/topology/links/json')).json(), [
    {
      'src-switch': D1,
      'src-port': 2,
      'dst-switch': D2,
      'dst-port': 2,
      type: 'internal',
      direction: 'bidirectional',
      latency: 1,
    },
  ]);
  assert.deepEqual((await app.inject('/wm/topology/external-links/json')).json(), []);
  assert.deepEqual((await app.inject('/wm/topology/switchclusters/json')).json(), { [D1]: [D1, D2] });

  const route = (await app.inject(`/wm/topology/route/${D1}/1/${D2}/1/json`)).json();
  assert.equal(route.length, 4);
  assert.deepEqual(route[1], { switch: D1, port: { portNumber: 2, shortPortNumber: 2 } });
  const path = (await app.inject(`/wm/routing/path/${D1}/1/${D2}/1/json`)).json();
  assert.deepEqual(path.results[3], { switch: D2, port: '1' });
  assert.deepEqual((await app.inject(`/wm/topology/route/${D2}/1/${D1}/1/json`)).json(), []);
  const badPort = await app.inject(`/wm/topology/route/${D1}/x/${D2}/1/json`);
  assert.equal(badPort.statusCode, 400);
  assert.equal(badPort.json().field, 'srcPort');
  const badDpid = await app.inject(`/wm/topology/route/${D1}/1/nope/1/json`);
  assert.equal(badDpid.json().field, 'dstDpid');

  const devices = (await app.inject('/wm/device/')).json();
  assert.ok(Array.isArray(devices));
  assert.equal(devices.length, 2);
  assert.deepEqual(devices[0].attachmentPoint, [{ switchDPID: D1, port: 1, errorStatus: null }]);
  assert.deepEqual(devices[0].mac, ['00:00:00:00:00:01']);
  const byIp = (await app.inject('/wm/device/?ipv4=10.0.0.2')).json();
  assert.deepEqual(
    byIp.map((d: { mac: string[] }) => d.mac[0]),
    ['00:00:00:00:00:02'],
  );
  assert.equal((await app.inject(`/wm/device/?dpid=${D1}&port=1`)).json().length, 1);
  assert.equal((await app.inject('/wm/device?mac=00:00:00:00:00:02')).json().length, 1);
  const badMac = await app.inject('/wm/device/?mac=nope');
  assert.equal(badMac.statusCode, 400);
  assert.equal(badMac.json().field, 'mac');
  const badVlan = await app.inject('/wm/device/?vlan=5000');
  assert.equal(badVlan.json().field, 'vlan');
});

test('core controller facts', async () => {
  const { app } = await server();
  assert.deepEqual((await app.inject('/wm/core/health/json')).json(), { healthy: true });
  assert.deepEqual((await app.inject('/wm/core/system/uptime/json')).json(), { systemUptimeMsec: 100_000 });
  assert.deepEqual((await app.inject('/wm/core/controller/summary/json')).json(), {
    '# Switches': 2,
    '# inter-switch links': 1,
    '# quarantine ports': 0,
    '# hosts': 2,
  });
  const modules = (await app.inject('/wm/core/module/loaded/json')).json();
  assert.deepEqual(modules['sluice.apps.hosts'].depends, { 'sluice.apps.topology': 'app' });
  assert.equal((await app.inject('/wm/core/module/some/json')).statusCode, 400);
  assert.equal((await app.inject('/wm/core/version/json')).json().version, '0.1.0-test');
  assert.ok((await app.inject('/wm/core/memory/json')).json().total > 0);
});

test('/api/v1 routes', async () => {
  const { app } = await server();
  const health = (await app.inject('/api/v1/health')).json();
  assert.deepEqual(health, { status: 'ok', version: '0.1.0-test', uptimeSec: 100, switches: 2 });

  const switches = (await app.inject('/api/v1/switches')).json();
  assert.deepEqual(
    switches.map((s: { dpid: string }) => s.dpid),
    [D1, D2],
  );
  assert.equal(switches[0].openflowVersion, '1.3');
  assert.equal(switches[1].openflowVersion, '1.0');

  const one = (await app.inject(`/api/v1/switches/${D1}`)).json();
  assert.equal(one.ports.length, 2);
  assert.equal(one.ports[0].linkUp, true);
  assert.equal((await app.inject('/api/v1/switches/00:00:00:00:00:00:00:07')).statusCode, 404);

  const flows = (await app.inject(`/api/v1/switches/${D1}/flows`)).json();
  assert.equal(flows[0].packetCount, 12);
  assert.equal(flows[0].cookie, '0x2000000000000001');
  assert.match(flows[0].text, /priority=100,.*actions=output:2/);

  const ports = (await app.inject(`/api/v1/switches/${D1}/ports`)).json();
  assert.equal(ports[1].stats.txBytes, 2000);

  const table = (await app.inject(`/api/v1/switches/${D1}/stats/table`)).json();
  assert.equal(table.tables[0].lookupCount, 5);
  assert.equal((await app.inject(`/api/v1/switches/${D1}/stats/nope`)).json().field, 'kind');

  const links = (await app.inject('/api/v1/links')).json();
  assert.deepEqual(links[0].src, { dpid: D1, port: 2 });

  const hosts = (await app.inject('/api/v1/hosts?mac=00:00:00:00:00:01')).json();
  assert.deepEqual(hosts[0].attachmentPoints, [{ dpid: D1, port: 1 }]);

  const route = (
    await app.inject(`/api/v1/routes?src_dpid=${D1}&src_port=1&dst_dpid=${D2}&dst_port=1`)
  ).json();
  assert.deepEqual(route.hops, [
    { dpid: D1, inPort: 1, outPort: 2 },
    { dpid: D2, inPort: 2, outPort: 1 },
  ]);
  const none = await app.inject(`/api/v1/routes?src_dpid=${D2}&src_port=1&dst_dpid=${D1}&dst_port=1`);
  assert.equal(none.statusCode, 404);
  assert.equal(none.json().error, 'no_route');
  const missing = await app.inject(`/api/v1/routes?src_dpid=${D2}&src_port=1&dst_dpid=${D1}`);
  assert.equal(missing.statusCode, 400);
  assert.equal(missing.json().field, 'dst_port');
});

test('apps that are not loaded have no routes', async () => {
  const { app } = await server({ topology: undefined, hosts: undefined });
  assert.equal((await app.inject('/wm/topology/links/json')).statusCode, 404);
  assert.equal((await app.inject('/api/v1/hosts')).statusCode, 404);
  assert.equal((await app.inject('/wm/core/controller/summary/json')).json()['# hosts'], 0);
});

test('bodies: JSON whatever the content type, on DELETE too; errors name the field or position', async () => {
  const { app } = await server();
  const form = await app.inject({
    method: 'POST',
    url: '/test/echo',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: '{"name":"f1","priority":"70000"}',
  });
  assert.equal(form.statusCode, 400, 'priority 70000 is over the schema maximum');
  assert.equal(form.json().field, 'priority');

  const ok = await app.inject({
    method: 'DELETE',
    url: '/test/echo',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: '{"name":"f1","priority":"100"}',
  });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json(), { got: { name: 'f1', priority: 100 } });

  const noType = await app.inject({ method: 'POST', url: '/test/echo', payload: '{"name":"x"}' });
  assert.equal(noType.statusCode, 200);

  const malformed = await app.inject({
    method: 'POST',
    url: '/test/echo',
    headers: { 'content-type': 'application/json' },
    payload: '{"name": "f1",}',
  });
  assert.equal(malformed.statusCode, 400);
  assert.equal(malformed.json().error, 'bad_json');
  assert.match(malformed.json().detail, /position 14/);

  const missing = await app.inject({ method: 'POST', url: '/test/echo', payload: '{}' });
  assert.equal(missing.json().field, 'name');
  assert.match(missing.json().detail, /'name' is required/);
  const extra = await app.inject({ method: 'POST', url: '/test/echo', payload: '{"name":"a","nmae":"b"}' });
  assert.equal(extra.json().field, 'nmae');

  const { app: small } = await server({}, { bodyLimit: 64 });
  const big = await small.inject({
    method: 'POST',
    url: '/test/echo',
    payload: JSON.stringify({ name: 'x'.repeat(100) }),
  });
  assert.equal(big.statusCode, 413);
  assert.equal(big.json().error, 'payload_too_large');
});

test('unknown routes answer 404 JSON; /openapi.json documents the routes', async () => {
  const { app } = await server();
  const nf = await app.inject('/wm/nothing/here');
  assert.equal(nf.statusCode, 404);
  assert.deepEqual(nf.json(), { error: 'not_found', detail: 'no route for GET /wm/nothing/here' });
  const doc = (await app.inject('/openapi.json')).json();
  assert.equal(doc.openapi, '3.0.3');
  assert.ok(doc.paths['/wm/core/switch/{dpid}/{kind}/json']);
  assert.ok(doc.paths['/api/v1/routes']);
});

test('/metrics in Prometheus text format', async () => {
  const { app } = await server();
  const res = await app.inject('/metrics');
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.match(res.body, /# TYPE sluice_packet_in_total counter\nsluice_packet_in_total 7\n/);
  assert.match(res.body, /\nsluice_switches_connected 2\n/);
  assert.match(res.body, /\nsluice_hosts 2\n/);
  assert.match(res.body, /\nsluice_links 1\n/);
  assert.match(res.body, /\nsluice_uptime_seconds 100\n/);
});

test('a configured token is required everywhere except health', async () => {
  const { app } = await server({}, { auth: { token: 's3cret' } });
  const no = await app.inject('/api/v1/switches');
  assert.equal(no.statusCode, 401);
  assert.equal(no.json().error, 'unauthorized');
  assert.equal(
    (await app.inject({ url: '/api/v1/switches', headers: { authorization: 'Bearer wrong' } })).statusCode,
    401,
  );
  assert.equal(
    (await app.inject({ url: '/api/v1/switches', headers: { authorization: 'Bearer s3cret' } })).statusCode,
    200,
  );
  assert.equal((await app.inject('/wm/core/health/json')).statusCode, 200);
});

test('listening beyond loopback needs a token or client certificates', () => {
  assert.equal(isLoopbackHost('127.0.0.1'), true);
  assert.equal(isLoopbackHost('::1'), true);
  assert.equal(isLoopbackHost('localhost'), true);
  assert.equal(isLoopbackHost('0.0.0.0'), false);
  assert.equal(isLoopbackHost('10.0.0.1'), false);
  assert.doesNotThrow(() => checkListenSecurity({ host: '127.0.0.1' }));
  assert.throws(() => checkListenSecurity({ host: '0.0.0.0' }), /--api-token or SLUICE_API_TOKEN/);
  assert.doesNotThrow(() => checkListenSecurity({ host: '0.0.0.0', token: 't' }));
  assert.doesNotThrow(() => checkListenSecurity({ host: '0.0.0.0', tlsClientAuth: true }));
});

test('absolute-form request targets route like origin-form', async () => {
  assert.equal(originFormUrl('http://10.0.0.1:8080/wm/device/?ipv4=1.2.3.4'), '/wm/device/?ipv4=1.2.3.4');
  assert.equal(originFormUrl('/wm/core/health/json'), '/wm/core/health/json');
  const { app } = await server();
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const { port } = app.server.address() as AddressInfo;
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = connect(port, '127.0.0.1', () => {
        sock.write(
          `GET http://127.0.0.1:${port}/wm/core/health/json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        );
      });
      let data = '';
      sock.on('data', (d) => (data += d));
      sock.on('end', () => resolve(data));
      sock.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 200/);
    assert.match(raw, /\{"healthy":true\}/);
  } finally {
    await app.close();
  }
});
