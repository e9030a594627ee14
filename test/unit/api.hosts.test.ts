import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiServer, type HostFilter, type HostInfo } from '../../src/api/index.js';
import { hostsPerSwitch, pageHosts } from '../../src/api/hostpage.js';
import { fakeDeps } from './api.fakes.js';
import { validatorOf, type OpenApi } from './api.openapi.js';

/** 30 hosts on 3 switches: host i has MAC ..:i (hex), 10.0.<i mod 3>.<i>, switch 1 + (i mod 3), port i. */
function makeHosts(): HostInfo[] {
  return Array.from({ length: 30 }, (_, i) => ({
    mac: `02:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`,
    ipv4: i === 29 ? [] : [`10.0.${i % 3}.${i + 1}`],
    ipv6: [],
    vlan: [0],
    attachmentPoints: [{ dpid: BigInt(1 + (i % 3)), port: i + 1 }],
    lastSeen: 1_700_000_000_000 + ((i * 7) % 30) * 1000,
  }));
}

async function server() {
  const all = makeHosts();
  const find = (f: HostFilter) =>
    all.filter((h) => f.dpid === undefined || h.attachmentPoints.some((a) => a.dpid === f.dpid));
  const app = await createApiServer(fakeDeps({ hosts: { find } }));
  return { app, all };
}

test('GET /api/v1/hosts: without paging, the whole list and X-Total-Count', async () => {
  const { app } = await server();
  const res = await app.inject('/api/v1/hosts');
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['x-total-count'], '30');
  const body = res.json() as Array<{ mac: string }>;
  assert.equal(body.length, 30);
  assert.equal(body[0].mac, '02:00:00:00:00:01');
});

test('GET /api/v1/hosts: q, sort, order, offset and limit give the right slice', async () => {
  const { app } = await server();
  const macs = async (qs: string) => {
    const res = await app.inject(`/api/v1/hosts?${qs}`);
    assert.equal(res.statusCode, 200, res.body);
    return {
      total: Number(res.headers['x-total-count']),
      macs: (res.json() as Array<{ mac: string }>).map((h) => h.mac.slice(-2)),
    };
  };
  // Page 2 of 7 by MAC.
  assert.deepEqual(await macs('offset=7&limit=7'), {
    total: 30,
    macs: ['08', '09', '0a', '0b', '0c', '0d', '0e'],
  });
  // Search in IPs: 10.0.2.x are hosts 3, 6, 9, ... (i mod 3 = 2); by IP descending, first three.
  assert.deepEqual(await macs('q=10.0.2.&sort=ip&order=desc&limit=3'), {
    total: 9,
    macs: ['1b', '18', '15'],
  });
  // Search in MACs, case-insensitive.
  assert.deepEqual(await macs('q=00:1E'), { total: 1, macs: ['1e'] });
  // Search in DPIDs (colon form): switch 3.
  assert.equal((await macs('q=00:00:00:00:00:00:00:03')).total, 10);
  // By DPID, then port: switch 1 holds hosts 1, 4, 7, ...
  assert.deepEqual((await macs('sort=dpid&limit=4')).macs, ['01', '04', '07', '0a']);
  // By last seen, newest first: (i*7) mod 30 is largest (29) for i = 17.
  assert.deepEqual((await macs('sort=lastSeen&order=desc&limit=1')).macs, ['12']);
  // A host without an IPv4 sorts after every address.
  assert.deepEqual((await macs('sort=ip&offset=29')).macs, ['1e']);
  // Combined with the existing filters (dpid), the count is of the filtered set.
  assert.deepEqual(await macs('dpid=2&limit=2'), { total: 10, macs: ['02', '05'] });
  // Past the end: an empty page, the total still there.
  assert.deepEqual(await macs('offset=100&limit=5'), { total: 30, macs: [] });
  assert.deepEqual(await macs('q=nothing-like-this'), { total: 0, macs: [] });
});

test('GET /api/v1/hosts: bad paging input is a 400 naming the field', async () => {
  const { app } = await server();
  const cases: Array<[string, string, RegExp]> = [
    ['limit=0', 'limit', /'limit' must be >= 1/],
    ['limit=1001', 'limit', /'limit' must be <= 1000/],
    ['limit=ten', 'limit', /'limit' must be integer/],
    ['offset=-1', 'offset', /'offset' must be >= 0/],
    ['offset=1.5', 'offset', /'offset' must be integer/],
    ['sort=bogus', 'sort', /'sort' must be one of mac, ip, dpid, lastSeen/],
    ['order=up', 'order', /'order' must be one of asc, desc/],
    [`q=${'a'.repeat(65)}`, 'q', /'q' must NOT have more than 64 characters/],
    ['page=2', 'page', /'page' is not a known field/],
  ];
  for (const [qs, field, detail] of cases) {
    const res = await app.inject(`/api/v1/hosts?${qs}`);
    assert.equal(res.statusCode, 400, qs);
    const body = res.json() as { error: string; field: string; detail: string };
    assert.equal(body.error, 'validation', qs);
    assert.equal(body.field, field, qs);
    assert.match(body.detail, detail, qs);
  }
});

test('GET /api/v1/hosts: the OpenAPI document lists the paging parameters and X-Total-Count', async () => {
  const { app } = await server();
  const doc = (await app.inject('/openapi.json')).json() as OpenApi & {
    paths: Record<
      string,
      { get: { parameters: Array<{ name: string }>; responses: Record<string, unknown> } }
    >;
  };
  const op = doc.paths['/api/v1/hosts'].get;
  const names = op.parameters.map((p) => p.name);
  for (const n of ['q', 'sort', 'order', 'offset', 'limit', 'mac', 'dpid']) assert.ok(names.includes(n), n);
  const ok = op.responses['200'] as { headers?: Record<string, { schema?: { type?: string } }> };
  assert.equal(ok.headers?.['X-Total-Count']?.schema?.type, 'integer');
  const res = await app.inject('/api/v1/hosts?limit=2');
  validatorOf(doc)('GET', '/api/v1/hosts?limit=2', { status: res.statusCode, body: res.body });
});

test('pageHosts: pages are stable and together are the whole sorted list', () => {
  const all = makeHosts();
  for (const sort of ['mac', 'ip', 'dpid', 'lastSeen'] as const) {
    for (const order of ['asc', 'desc'] as const) {
      const whole = pageHosts(all, { sort, order }).hosts.map((h) => h.mac);
      const pages: string[] = [];
      for (let offset = 0; offset < 30; offset += 7) {
        const p = pageHosts(all, { sort, order, offset, limit: 7 });
        assert.equal(p.total, 30);
        pages.push(...p.hosts.map((h) => h.mac));
      }
      assert.deepEqual(pages, whole, `${sort} ${order}`);
      assert.equal(new Set(whole).size, 30);
    }
  }
  // The input is not reordered in place.
  assert.deepEqual(
    all.map((h) => h.mac),
    makeHosts().map((h) => h.mac),
  );
});

test('GET /api/v1/hosts/per-switch: a count per switch, by DPID, in the OpenAPI document', async () => {
  const { app } = await server();
  const res = await app.inject('/api/v1/hosts/per-switch');
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), [
    { dpid: '00:00:00:00:00:00:00:01', hosts: 10 },
    { dpid: '00:00:00:00:00:00:00:02', hosts: 10 },
    { dpid: '00:00:00:00:00:00:00:03', hosts: 10 },
  ]);
  const doc = (await app.inject('/openapi.json')).json() as OpenApi;
  assert.ok(doc.paths['/api/v1/hosts/per-switch'], 'documented');
  validatorOf(doc)('GET', '/api/v1/hosts/per-switch', { status: res.statusCode, body: res.body });
  // It takes no query: a stray one is named.
  const bad = await app.inject('/api/v1/hosts/per-switch?dpid=1');
  assert.equal(bad.statusCode, 400, bad.body);
  assert.deepEqual((bad.json() as { field: string }).field, 'dpid');
});

test('hostsPerSwitch: a host on two switches counts at both, once per switch; none means empty', () => {
  const h = (mac: string, dpids: number[]): HostInfo => ({
    mac,
    ipv4: [],
    ipv6: [],
    vlan: [0],
    attachmentPoints: dpids.map((d, i) => ({ dpid: BigInt(d), port: i + 1 })),
    lastSeen: 0,
  });
  assert.deepEqual(hostsPerSwitch([h('a', [5, 2, 5]), h('b', [2]), h('c', [])]), [
    { dpid: 2n, hosts: 2 },
    { dpid: 5n, hosts: 1 },
  ]);
  assert.deepEqual(hostsPerSwitch([]), []);
});
