/**
 * The Ganglia I/O edges against a real gmond (and gmetad) on loopback: a value injected with `gmetric --spoof`
 * for a host that does not exist shows up in fetchGmondXml's XML under that host's name and IP, a changed
 * value is seen, a killed gmond is a SOURCE_UNREACHABLE naming its address until it is restarted, and gmetad
 * writes the RRD file that rrdFetch reads. Also the harness's own promise: nothing of gmond is left after stop.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  fetchGmondXml,
  queryGmetad,
  rrdFetch,
  SourceFetchError,
} from '../../src/apps/hostaware/sources/fetch.js';
import {
  findMetric,
  gangliaProcesses,
  leftovers,
  startGmetad,
  startGmond,
  waitFor,
  RRDTOOL,
  type GmetadInstance,
  type GmondInstance,
} from './harness/index.js';

const open: { close(): Promise<void> }[] = [];
after(async () => {
  for (const o of open.reverse()) await o.close();
});

async function gmond(): Promise<GmondInstance> {
  const g = await startGmond();
  open.push(g);
  return g;
}

function isSourceError(code: string, address: string) {
  return (e: unknown) => {
    assert.ok(e instanceof SourceFetchError, `expected a SourceFetchError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, new RegExp(address.replace(/[.[\]]/g, '\\$&')));
    return true;
  };
}

test('a spoofed gmetric value appears for its host and IP, and a changed one is seen', async (t) => {
  const g = await gmond();
  const t0 = Date.now();
  await g.gmetric('bytes_out', 2000000, { spoof: '10.0.0.1:h1', units: 'bytes/sec' });
  const first = await g.waitForMetric('h1', 'bytes_out');
  const appearedMs = Date.now() - t0;
  assert.deepEqual(first, { ip: '10.0.0.1', val: '2000000' });

  // Through the product's edge too, not only the harness's helper.
  const xml = await fetchGmondXml('127.0.0.1', g.xmlPort, { timeoutMs: 2000 });
  assert.match(xml, /<HOST NAME="h1" IP="10\.0\.0\.1"/);
  assert.match(xml, /<METRIC NAME="bytes_out" VAL="2000000" TYPE="float" UNITS="bytes\/sec"/);

  await g.gmetric('bytes_out', 500, { spoof: '10.0.0.1:h1' });
  await g.waitForMetric('h1', 'bytes_out', { accept: (v) => v === '500' });
  t.diagnostic(`gmetric value visible in gmond's XML after ${appearedMs} ms`);
});

test('a killed gmond is SOURCE_UNREACHABLE naming its address; restarted, it serves again', async () => {
  const g = await gmond();
  const address = `127.0.0.1:${g.xmlPort}`;
  await g.kill();
  await assert.rejects(
    fetchGmondXml('127.0.0.1', g.xmlPort, { timeoutMs: 2000 }),
    isSourceError('SOURCE_UNREACHABLE', address),
  );

  await g.restart();
  // A restarted gmond starts empty: the value must be injected again (what a real host's gmond does anyway).
  await g.gmetric('load_one', 3.5, { spoof: '10.0.0.2:h2' });
  assert.deepEqual(await g.waitForMetric('h2', 'load_one'), { ip: '10.0.0.2', val: '3.5' });
});

test('gmetad writes the RRD file of a spoofed host metric; rrdFetch reads its value', async (t) => {
  const g = await gmond();
  const gm: GmetadInstance = await startGmetad(g);
  open.push(gm);
  await g.gmetric('bytes_out', 2000000, { spoof: '10.0.0.1:h1', dmax: 300 });

  const hostXml = await waitFor(
    async () => {
      const x = await queryGmetad('127.0.0.1', gm.interactivePort, `/${gm.sourceName}/h1`, {
        timeoutMs: 2000,
      });
      return findMetric(x, 'h1', 'bytes_out') ? x : undefined;
    },
    { what: 'gmetad to report h1 bytes_out', timeoutMs: 15_000 },
  );
  assert.match(hostXml, /<HOST NAME="h1" IP="10\.0\.0\.1"/);

  const file = gm.rrdFile('h1', 'bytes_out');
  const t0 = Date.now();
  // gmetad creates the file on its first poll with the metric and fills one step (1 s) per poll after that.
  const value = await waitFor(
    async () => {
      if (!fs.existsSync(file)) return undefined;
      const out = await rrdFetch(file, 'AVERAGE', 30, { rrdtool: RRDTOOL });
      const vals = [...out.matchAll(/^\d+: (\S+)/gm)]
        .map((m) => Number(m[1]))
        .filter((v) => !Number.isNaN(v));
      return vals.length ? vals[vals.length - 1] : undefined;
    },
    { what: `a value in ${file}`, timeoutMs: 20_000, intervalMs: 250 },
  );
  assert.equal(value, 2000000);
  t.diagnostic(`RRD value readable ${Date.now() - t0} ms after gmetad reported the host`);

  await assert.rejects(
    rrdFetch(`${gm.rrdDir}/nope.rrd`, 'MAX', 60, { rrdtool: RRDTOOL }),
    isSourceError('SOURCE_UNREACHABLE', `${gm.rrdDir}/nope.rrd`),
  );
});

test('harness: nothing of gmond is left after stop', async () => {
  const g = await startGmond();
  const pid = g.proc.pid;
  assert.ok(pid && gangliaProcesses().some((p) => p.pid === pid), 'the running gmond is found by its config');
  await g.close();
  assert.ok(!gangliaProcesses().some((p) => p.pid === pid), 'gmond still runs after close');
  assert.ok(!fs.existsSync(g.conf), 'config removed');
  const left = await leftovers();
  assert.ok(!left.processes.some((p) => p.includes(`pid ${pid})`)), `left: ${left.processes.join(', ')}`);
});
