/**
 * Host-aware sources other than gmond, each driving a drop rule on a real network (a real `sluice controller`
 * driven over its API, Mininet linear,2 over OpenFlow 1.3): Ganglia RRD files (DIR/CLUSTER/HOST/METRIC.rrd,
 * data source `sum`, written by `rrdtool create` and `rrdtool update` as gmetad does) read through rrdtool, and
 * a Prometheus text endpoint (a node_exporter-style page served on loopback by this test, hosts by their
 * `instance` label). Hosts show in /api/v1/hostaware/hosts with their source, values in /hosts/:name/metrics;
 * an endpoint that answers garbage gives WARN messages and no action.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { RRDTOOL, runOk, waitFor, type MininetNet } from './harness/index.js';
import { pingOk } from './helpers/mininet.js';
import { type HandApi, isApplied, isUndone, pings, startHandNet, type HandNet } from './helpers/hostaware.js';

let hn: HandNet;
let net: MininetNet;
let hand: HandApi;

before(async () => {
  hn = await startHandNet('linear,2', 2);
  ({ net, hand } = hn);
});

after(() => hn?.stop());

type HostView = { name: string; ip?: string; cluster?: string; source: string; state: string };
type Metrics = { host: HostView; metrics: Record<string, { value: number; stale: boolean }> };

/**
 * A drop rule `name` on `host` ("metric gt 5 for 2 polls"), deleted when `t` ends; then `set(9)` must make it act
 * (src -> dst pings stop) and `set(1)` undo it (they answer again).
 */
async function dropCycle(
  t: TestContext,
  o: { name: string; host: string; metric: string; src: string; dst: string },
  set: (v: number) => void | Promise<void>,
): Promise<void> {
  await hand.rule(t, {
    name: o.name,
    host: o.host,
    conditions: [{ metric: o.metric, comparator: 'gt', value: 5 }],
    checkLimit: 2,
    action: { type: 'drop' },
  });
  await pings(net, o.src, o.dst, true, `${o.src} -> ${o.dst} to answer before the rule acts`);
  const start = await hand.lastSeq();
  await set(9);
  const applied = await hand.waitMessage(o.name, start, isApplied, `${o.name} to apply its drop`);
  assert.equal(applied.host, o.host);
  await pings(net, o.src, o.dst, false, `${o.src} -> ${o.dst} to stop answering`);
  const met = await hand.lastSeq();
  await set(1);
  await hand.waitMessage(o.name, met, isUndone, `${o.name} to undo its drop`);
  await pings(net, o.src, o.dst, true, `${o.src} -> ${o.dst} to answer again`);
}

/** Waits until monitored host `name` reports `metric` passing `accept`; returns its metrics view. */
function hostMetric(name: string, metric: string, accept: (v: number) => boolean): Promise<Metrics> {
  return waitFor(
    async () => {
      const r = await hand.http('GET', `/api/v1/hostaware/hosts/${name}/metrics`);
      const m = r.status === 200 ? (r.json as Metrics) : undefined;
      const v = m?.metrics[metric];
      return v && !v.stale && accept(v.value) ? m : undefined;
    },
    { what: `host ${name} to report ${metric}`, timeoutMs: 15_000 },
  );
}

test('Ganglia RRD files written by rrdtool drive a drop rule on 10.0.0.2 (h2)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-it-rrds-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // gmetad's layout: rrds/CLUSTER/HOST/METRIC.rrd, one GAUGE data source `sum`, a 1 s step here.
  const hostDir = path.join(dir, 'sluice-rrd', '10.0.0.2');
  fs.mkdirSync(hostDir, { recursive: true });
  const file = path.join(hostDir, 'load_one.rrd');
  await runOk(RRDTOOL, [
    'create',
    file,
    '--step',
    '1',
    '--start',
    'now-10',
    'DS:sum:GAUGE:5:U:U',
    'RRA:AVERAGE:0.5:1:600',
    'RRA:MIN:0.5:1:600',
    'RRA:MAX:0.5:1:600',
  ]);
  // The writer gmetad would be: one `rrdtool update FILE N:value` a second with the value now.
  let value = 1;
  const update = promisify(execFile);
  const write = () => update(RRDTOOL, ['update', file, `N:${value}`]).catch(() => undefined);
  await write();
  const writer = setInterval(() => void write(), 1000);
  t.after(() => clearInterval(writer));

  const src = await hand.source(t, { type: 'rrd', name: 'rrd-src', directory: dir, cf: 'AVERAGE', window: 3, interval: 1 }); // prettier-ignore
  assert.equal(src.state, 'ok');
  const m = await hostMetric('10.0.0.2', 'load_one', (v) => v === 1);
  assert.deepEqual(
    [m.host.name, m.host.ip, m.host.cluster, m.host.source, m.host.state],
    ['10.0.0.2', '10.0.0.2', 'sluice-rrd', 'rrd-src', 'up'],
  );
  const listed = await hand.ok<HostView[]>('GET', '/api/v1/hostaware/hosts');
  assert.equal(listed.find((h) => h.name === '10.0.0.2')?.source, 'rrd-src');

  await dropCycle(
    t,
    { name: 'rrd-drop', host: '10.0.0.2', metric: 'load_one', src: 'h2', dst: 'h1' },
    (v) => {
      value = v;
    },
  );
  // The average over the window follows what rrdtool was given.
  await hostMetric('10.0.0.2', 'load_one', (v) => v === 1);
});

test('a Prometheus text endpoint drives a drop rule on 10.0.0.1 (h1); garbage warns and never acts', async (t) => {
  let load = 1;
  let garbage = false;
  let scrapes = 0;
  const server = http.createServer((req, res) => {
    scrapes++;
    res.writeHead(req.url === '/metrics' ? 200 : 404, { 'content-type': 'text/plain; version=0.0.4' });
    if (garbage) {
      res.end('node_load1{instance="10.0.0.1:9100" 9\n');
      return;
    }
    res.end(
      [
        '# HELP node_load1 1m load average.',
        '# TYPE node_load1 gauge',
        `node_load1{instance="10.0.0.1:9100",job="node"} ${load}`,
        '# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.',
        '# TYPE node_memory_MemAvailable_bytes gauge',
        'node_memory_MemAvailable_bytes{instance="10.0.0.1:9100",job="node"} 1.5e+09',
        '',
      ].join('\n'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;

  const src = await hand.source(t, { type: 'prometheus', name: 'prom-src', url, hostLabel: 'instance', interval: 1 }); // prettier-ignore
  assert.equal(src.state, 'ok');
  assert.ok(scrapes >= 1, 'the endpoint was not scraped on add');
  const m = await hostMetric('10.0.0.1', 'node_load1', (v) => v === 1);
  assert.deepEqual([m.host.ip, m.host.source], ['10.0.0.1', 'prom-src']);
  assert.equal(m.metrics.node_memory_MemAvailable_bytes?.value, 1.5e9);

  await dropCycle(
    t,
    { name: 'prom-drop', host: '10.0.0.1', metric: 'node_load1', src: 'h1', dst: 'h2' },
    (v) => {
      load = v;
    },
  );

  // Garbage with the value over the threshold: WARN, stale, no action; good text again: the rule acts.
  const start = await hand.lastSeq();
  load = 9;
  garbage = true;
  const { warn, source } = await hand.sourceDown('prom-src', start, 3);
  assert.match(warn.message, /^source failed/);
  assert.deepEqual([source.state, source.error?.code], ['down', 'SOURCE_GARBAGE']);
  const during = await hand.messages({ rule: 'prom-drop', after: start });
  assert.deepEqual(
    during.filter((x) => x.type === 'ACTION'),
    [],
    'acted on garbage',
  );
  assert.ok(await pingOk(net, 'h1', 'h2'), 'h1 dropped while the endpoint answered garbage');
  garbage = false;
  await hand.waitMessage('prom-drop', start, isApplied, 'the drop once the endpoint is sane again');
  await pings(net, 'h1', 'h2', false, 'h1 -> h2 to stop answering');
});
