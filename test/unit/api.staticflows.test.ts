import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiServer } from '../../src/api/index.js';
import {
  staticFlowRoutes,
  type StaticFlowListing,
  type StaticFlowsView,
} from '../../src/api/routes/staticflows.js';
import { EntryError } from '../../src/apps/staticflows/index.js';
import { OFP_VERSION_1_0, OFP_VERSION_1_3 } from '../../src/openflow/index.js';
import { ConflictError, NotFoundError } from '../../src/util/index.js';
import { fakeDeps } from './api.fakes.js';

const D1 = '00:00:00:00:00:00:00:01';

function listing(name: string, version: 1 | 4 | undefined): StaticFlowListing {
  return {
    name,
    dpid: 1n,
    entry: {
      switch: D1,
      name,
      priority: '100',
      eth_type: '0x0800',
      ipv4_dst: '10.0.0.2',
      actions: 'output=2',
    },
    match: { eth_type: '0x0800', ipv4_dst: '10.0.0.2' },
    state: version === undefined ? 'switch_not_connected' : 'installed',
    spec: {
      tableId: 0,
      priority: 100,
      match: { eth_type: 0x800, ipv4_dst: '10.0.0.2' },
      instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0xffff }] }],
      cookie: 0x5151n,
    },
    ...(version === undefined
      ? {}
      : {
          version,
          flow: {
            tableId: 0,
            durationSec: 9,
            durationNsec: 0,
            priority: 100,
            idleTimeout: 0,
            hardTimeout: 0,
            flags: 0,
            cookie: 0x5151n,
            packetCount: 12n,
            byteCount: 1200n,
            match: { eth_type: 0x800, ipv4_dst: '10.0.0.2' },
            instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0xffff }] }],
          },
        }),
  };
}

function fakeView() {
  const calls: unknown[][] = [];
  const view: StaticFlowsView = {
    async add(body) {
      calls.push(['add', body]);
      const b = body as Record<string, unknown>;
      if (b.bogus !== undefined) throw new EntryError('bogus', 'is not a known field');
      if (b.name === 'clash') throw new ConflictError('name', "entry 'x' already has this match");
      return { name: String(b.name), pushed: true, replaced: false };
    },
    async addMany(bodies) {
      calls.push(['addMany', bodies]);
      return bodies.map((b) => ({
        name: String((b as { name: unknown }).name),
        pushed: false,
        replaced: false,
      }));
    },
    async delete(name) {
      calls.push(['delete', name]);
      if (name !== 'f1') throw new NotFoundError('name', `no static entry named '${String(name)}'`);
    },
    async clear(dpid) {
      calls.push(['clear', dpid]);
      if (dpid === 'bad') throw new EntryError('dpid', "'bad' is not a DPID");
      return 3;
    },
    async list(dpid) {
      calls.push(['list', dpid]);
      return [listing('f1', OFP_VERSION_1_3), listing('f0', OFP_VERSION_1_0), listing('later', undefined)];
    },
  };
  return { view, calls };
}

async function server() {
  const { view, calls } = fakeView();
  const app = await createApiServer({ ...fakeDeps(), routes: [staticFlowRoutes(view)] });
  return { app, calls };
}

test('Floodlight paths and aliases: push, delete, list, clear', async () => {
  const { app, calls } = await server();
  for (const prefix of ['/wm/staticentrypusher', '/wm/staticflowpusher', '/wm/staticflowentrypusher']) {
    const r = await app.inject({
      method: 'POST',
      url: `${prefix}/json`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: JSON.stringify({ switch: D1, name: 'f1', actions: 'output=2' }),
    });
    assert.equal(r.statusCode, 200, prefix);
    assert.deepEqual(r.json(), { status: 'Entry pushed' });
    const d = await app.inject({ method: 'DELETE', url: `${prefix}/json`, payload: { name: 'f1' } });
    assert.deepEqual(d.json(), { status: 'Entry f1 deleted' });
    const c = await app.inject(`${prefix}/clear/all/json`);
    assert.deepEqual(c.json(), { status: 'Deleted 3 entries' });
  }
  const l = await app.inject(`/wm/staticentrypusher/list/${D1}/json`);
  assert.equal(l.statusCode, 200);
  const body = l.json() as Record<string, Record<string, Record<string, unknown>>[]>;
  assert.deepEqual(Object.keys(body), [D1]);
  const [f1, f0, later] = body[D1];
  assert.equal(f1.f1.version, 'OF_13');
  assert.deepEqual(f1.f1.instructions, { instruction_apply_actions: { actions: 'output=2' } });
  assert.equal(f1.f1.cookie, String(0x5151));
  assert.equal(f1.f1.packet_count, '12');
  assert.equal(f1.f1.byte_count, '1200');
  assert.deepEqual(f1.f1.match, { eth_type: '0x0800', ipv4_dst: '10.0.0.2' });
  assert.deepEqual(f0.f0.actions, { actions: 'output=2' }, 'OF1.0 lists actions, not instructions');
  assert.equal(later.later.state, 'switch_not_connected');
  assert.equal(later.later.packet_count, '0');
  assert.deepEqual(
    calls.map((c) => c[0]),
    ['add', 'delete', 'clear', 'add', 'delete', 'clear', 'add', 'delete', 'clear', 'list'],
  );
  await app.close();
});

test('errors keep the API shape and name the field; bad JSON never reaches the app', async () => {
  const { app, calls } = await server();
  const bad = await app.inject({ method: 'POST', url: '/wm/staticentrypusher/json', payload: '{"switch": ' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().field, 'body');
  assert.equal(calls.length, 0);
  const unknown = await app.inject({
    method: 'POST',
    url: '/wm/staticentrypusher/json',
    payload: { switch: D1, name: 'x', bogus: 1 },
  });
  assert.deepEqual(
    [unknown.statusCode, unknown.json()],
    [400, { error: 'validation', detail: 'bogus: is not a known field', field: 'bogus' }],
  );
  const clash = await app.inject({ method: 'POST', url: '/api/v1/staticflows', payload: { name: 'clash' } });
  assert.equal(clash.statusCode, 409);
  assert.equal(clash.json().field, 'name');
  const missing = await app.inject({
    method: 'DELETE',
    url: '/wm/staticentrypusher/json',
    payload: { name: 'zz' },
  });
  assert.deepEqual(
    [missing.statusCode, missing.json().error, missing.json().field],
    [404, 'not_found', 'name'],
  );
  const arr = await app.inject({ method: 'DELETE', url: '/wm/staticentrypusher/json', payload: ['f1'] });
  assert.deepEqual([arr.statusCode, arr.json().field], [400, 'body']);
  const clr = await app.inject('/wm/staticentrypusher/clear/bad/json');
  assert.deepEqual([clr.statusCode, clr.json().field], [400, 'dpid']);
  await app.close();
});

test('/api/v1/staticflows: list with ovs-ofctl text, one, add one or many, delete, clear', async () => {
  const { app, calls } = await server();
  const list = (await app.inject('/api/v1/staticflows?switch=1')).json() as Record<string, unknown>[];
  assert.equal(list.length, 3);
  assert.equal(list[0].name, 'f1');
  assert.equal(list[0].packetCount, 12);
  assert.match(
    String(list[0].text),
    /cookie=0x5151, duration=9s, table=0, n_packets=12, n_bytes=1200, priority=100,ip,nw_dst=10\.0\.0\.2 actions=output:2/,
  );
  assert.match(
    String(list[2].text),
    /priority=100,ip,nw_dst=10\.0\.0\.2 actions=output:2/,
    'the intended flow when not on a switch',
  );
  assert.equal((await app.inject('/api/v1/staticflows/f0')).json().name, 'f0');
  assert.equal((await app.inject('/api/v1/staticflows/none')).statusCode, 404);
  const one = await app.inject({
    method: 'POST',
    url: '/api/v1/staticflows',
    payload: { switch: D1, name: 'a' },
  });
  assert.deepEqual(
    [one.statusCode, one.json()],
    [201, { added: [{ name: 'a', pushed: true, replaced: false }] }],
  );
  const many = await app.inject({
    method: 'POST',
    url: '/api/v1/staticflows',
    payload: [
      { switch: D1, name: 'b' },
      { switch: D1, name: 'c' },
    ],
  });
  assert.equal(many.json().added.length, 2);
  assert.deepEqual((await app.inject({ method: 'DELETE', url: '/api/v1/staticflows/f1' })).json(), {
    deleted: 'f1',
  });
  assert.deepEqual((await app.inject({ method: 'DELETE', url: '/api/v1/staticflows?switch=all' })).json(), {
    deleted: 3,
  });
  assert.equal(
    (await app.inject({ method: 'DELETE', url: '/api/v1/staticflows' })).statusCode,
    400,
    'switch required',
  );
  assert.deepEqual(calls.at(-1), ['clear', 'all']);
  await app.close();
});
