/** Port statistics: rates from two samples (pure), the app's rounds over fake switches, and its API routes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiServer } from '../../src/api/index.js';
import { statisticsRoutes } from '../../src/api/routes/statistics.js';
import type { SwitchSession } from '../../src/controller/index.js';
import { OFPP, type PortStatsEntry } from '../../src/openflow/index.js';
import { portRates, StatisticsApp, utilisation } from '../../src/apps/statistics/index.js';
import { fakeDeps, port, portCounters } from './api.fakes.js';
import { fakeAppContext, tempStore } from './apps.testctx.js';

test('portRates: counter differences over the interval, in bits and packets per second', () => {
  const r = portRates(
    { atMs: 1000, counters: portCounters(1, 100n, 1000n) },
    { atMs: 3000, counters: portCounters(1, 300n, 251_000n, { rxDropped: 4n, txErrors: 2n }) },
  );
  assert.deepEqual(r, {
    rxBitsPerSec: 1_000_000,
    txBitsPerSec: 1_000_000,
    rxPacketsPerSec: 100,
    txPacketsPerSec: 100,
    droppedPerSec: 2,
    errorsPerSec: 1,
  });
});

test('portRates: no rate across a counter reset, a too-short or backwards interval', () => {
  const a = { atMs: 1000, counters: portCounters(1, 100n, 1000n) };
  assert.equal(portRates(a, { atMs: 6000, counters: portCounters(1, 5n, 10n) }), undefined);
  assert.equal(portRates(a, { atMs: 1050, counters: portCounters(1, 200n, 2000n) }), undefined);
  assert.equal(portRates(a, { atMs: 500, counters: portCounters(1, 200n, 2000n) }), undefined);
});

test('utilisation: the busier direction over the port speed; unknown without a speed', () => {
  const rates = {
    rxBitsPerSec: 2_000_000,
    txBitsPerSec: 5_000_000,
    rxPacketsPerSec: 0,
    txPacketsPerSec: 0,
    droppedPerSec: 0,
    errorsPerSec: 0,
  };
  assert.equal(utilisation(rates, 10_000), 0.5);
  assert.equal(utilisation(rates, 0), undefined);
});

/** A session whose port stats are whatever `counters` holds when asked; `hang` makes it never answer. */
function fakeSession(dpid: bigint) {
  const state = { counters: [] as PortStatsEntry[], asked: 0, hang: false };
  const ports = new Map([
    [1, port(1, 'eth1')],
    [OFPP.LOCAL, { ...port(OFPP.LOCAL, 'br'), currSpeed: 0 }],
  ]);
  const sw = {
    dpid,
    ports,
    stats: (body: { kind: string }) => {
      assert.equal(body.kind, 'port');
      state.asked++;
      if (state.hang) return new Promise(() => {});
      return Promise.resolve({ kind: 'port', ports: state.counters });
    },
  } as unknown as SwitchSession;
  return { sw, state };
}

test('the app asks every switch each round, computes rates, and forgets a switch that leaves', async () => {
  const { ctx } = fakeAppContext(tempStore('sluice-stats-'));
  let now = 10_000;
  const app = new StatisticsApp({ timers: false });
  app.start({ ...ctx, now: () => now });
  const a = fakeSession(1n);
  const b = fakeSession(2n);
  (ctx.controller.switches as Map<bigint, SwitchSession>).set(1n, a.sw).set(2n, b.sw);
  a.state.counters = [portCounters(1, 0n, 0n), portCounters(OFPP.LOCAL, 0n, 0n)];
  b.state.counters = [portCounters(1, 0n, 0n)];
  await app.collectRound();
  assert.equal(app.port(1n, 1)?.rates, undefined, 'one sample: no rates yet');

  now += 5000;
  a.state.counters = [portCounters(1, 500n, 6_250_000n), portCounters(OFPP.LOCAL, 5n, 500n)];
  await app.collectRound();
  const p1 = app.port(1n, 1)!;
  assert.equal(p1.rates?.txBitsPerSec, 10_000_000);
  assert.equal(p1.utilisation, 0.001, '10 Mb/s of 10 Gb/s');
  assert.equal(app.port(1n, OFPP.LOCAL)?.utilisation, undefined, 'LOCAL reports no speed');
  assert.deepEqual(
    app.ports().map((p) => [p.dpid, p.portNo]),
    [
      [1n, 1],
      [1n, OFPP.LOCAL],
      [2n, 1],
    ],
  );

  app.switchDisconnected(2n);
  assert.deepEqual(app.ports(2n), []);
  app.portStatus(a.sw, { reason: 1, desc: port(1, 'eth1') } as never);
  assert.equal(app.port(1n, 1), undefined, 'a deleted port is forgotten');
});

test('a switch that does not answer is not asked again until it does; off forgets every sample', async () => {
  const { ctx } = fakeAppContext(tempStore('sluice-stats-'));
  const app = new StatisticsApp({ timers: false, intervalMs: 60_000 });
  app.start(ctx);
  const slow = fakeSession(1n);
  slow.state.hang = true;
  const fast = fakeSession(2n);
  fast.state.counters = [portCounters(1, 1n, 1n)];
  (ctx.controller.switches as Map<bigint, SwitchSession>).set(1n, slow.sw).set(2n, fast.sw);
  void app.collectRound();
  // Let the fast switch's reply land (a resolved promise: one turn of the event loop, not a wait for time).
  await new Promise((resolve) => setImmediate(resolve));
  await app.collectRound();
  assert.equal(slow.state.asked, 1, 'the request in flight is not repeated');
  assert.equal(fast.state.asked, 2);
  assert.equal(app.ports().length, 1);

  app.setEnabled(false);
  assert.equal(app.enabled, false);
  assert.deepEqual(app.ports(), []);
  await app.collectRound();
  assert.equal(fast.state.asked, 2, 'no rounds while off');
});

async function server() {
  const deps = fakeDeps();
  const app = new StatisticsApp({ timers: false });
  deps.s2.ports.set(2, port(2, 's2-eth2'));
  app.record(deps.s1, [portCounters(1, 0n, 0n), portCounters(2, 0n, 0n)], 1_000);
  app.record(deps.s1, [portCounters(1, 1000n, 1_250_000n), portCounters(2, 0n, 0n)], 2_000);
  app.record(deps.s2, [portCounters(2, 0n, 0n)], 1_000);
  app.record(deps.s2, [portCounters(2, 0n, 125_000n)], 2_000);
  deps.s1.ports.set(2, port(2, 's1-eth2'));
  const api = await createApiServer({ ...deps, routes: [statisticsRoutes(app)] });
  const get = async (url: string) => {
    const res = await api.inject({ method: 'GET', url });
    return { status: res.statusCode, json: res.json() as unknown };
  };
  return { api, app, get };
}

test('Floodlight bandwidth shapes: all/all, one switch, one port, and bad path values', async () => {
  const { get } = await server();
  const all = await get('/wm/statistics/bandwidth/all/all/json');
  assert.equal(all.status, 200);
  const rows = all.json as Record<string, string>[];
  assert.equal(rows.length, 3);
  const s1p1 = rows.find((r) => r.dpid === '00:00:00:00:00:00:00:01' && r.port === '1')!;
  assert.equal(s1p1['bits-per-second-rx'], '10000000');
  assert.equal(s1p1['link-speed-bits-per-second'], '10000000000');
  assert.ok(Object.values(s1p1).every((v) => typeof v === 'string'));

  const one = await get('/wm/statistics/bandwidth/00:00:00:00:00:00:00:02/2/json');
  assert.deepEqual(
    (one.json as Record<string, string>[]).map((r) => r['bits-per-second-tx']),
    ['1000000'],
  );
  const bad = await get('/wm/statistics/bandwidth/zz/all/json');
  assert.equal(bad.status, 400);
  assert.equal((bad.json as { field: string }).field, 'dpid');
  const badPort = await get('/wm/statistics/bandwidth/all/eth0/json');
  assert.equal(badPort.status, 400);
  assert.match((badPort.json as { detail: string }).detail, /port 'eth0' is not a port number/);
  const gone = await get('/wm/statistics/bandwidth/00:00:00:00:00:00:00:09/all/json');
  assert.equal(gone.status, 404);
});

test('/api/v1/statistics: ports with rates, link utilisation both ways, on/off with a checked body', async () => {
  const { api, get } = await server();
  const ports = (await get('/api/v1/statistics/ports?dpid=00:00:00:00:00:00:00:01')).json as {
    port: number;
    rxBitsPerSec: number | null;
    utilisation: number | null;
  }[];
  assert.deepEqual(
    ports.map((p) => [p.port, p.rxBitsPerSec, p.utilisation]),
    [
      [1, 10_000_000, 0.001],
      [2, 0, 0],
    ],
  );
  // fakeDeps' one link is s1 port 2 <-> s2 port 2: s2's end transmits 1 Mb/s.
  const links = (await get('/api/v1/statistics/links')).json as Record<string, unknown>[];
  assert.equal(links.length, 1);
  assert.deepEqual([links[0].srcTxBitsPerSec, links[0].dstTxBitsPerSec], [0, 1_000_000]);
  assert.equal(links[0].utilisation, 0.0001);

  const put = (body: unknown) =>
    api.inject({
      method: 'PUT',
      url: '/api/v1/statistics',
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  const bad = await put({ enabled: 'yes' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /enabled/);
  const off = await put({ enabled: false });
  assert.deepEqual(off.json(), { enabled: false, intervalMs: 5000 });
  assert.deepEqual((await get('/api/v1/statistics/ports')).json, []);
  const fl = await api.inject({ method: 'POST', url: '/wm/statistics/config/enable/json' });
  assert.deepEqual(fl.json(), { 'statistics-collection': 'enabled' });
});
