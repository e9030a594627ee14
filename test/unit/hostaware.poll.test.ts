/**
 * pollSource against loopback servers: each source type's fetch and parse give one snapshot, and every way a
 * source can fail (refused, HTTP error, slow, garbage) is a SourceFetchError with its code, never a crash.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import {
  parseSourceConfig,
  pollSource,
  SourceFetchError,
  type SourceErrorCode,
} from '../../src/apps/hostaware/sources/index.js';
import { GMETAD_XML, GMOND_XML, NODE_EXPORTER } from './hostaware.sources.fixtures.js';

const closers: (() => void)[] = [];
after(() => closers.forEach((c) => c()));

function tcp(answer: string): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer((s) => s.end(answer));
    closers.push(() => srv.close());
    srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port));
  });
}

function web(handler: http.RequestListener): Promise<string> {
  return new Promise((resolve) => {
    const srv = http.createServer(handler);
    closers.push(() => srv.closeAllConnections());
    closers.push(() => srv.close());
    srv.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`));
  });
}

const NOW = 1_800_000_000_000;
const code = (c: SourceErrorCode) => (e: unknown) => {
  assert.ok(e instanceof SourceFetchError, String(e));
  assert.equal(e.code, c, e.message);
  return true;
};

test('gmond: the XML of every host and metric', async () => {
  const port = await tcp(GMOND_XML);
  const snap = await pollSource(
    parseSourceConfig({ type: 'gmond', name: 'g', address: `127.0.0.1:${port}` }),
    NOW,
  );
  assert.equal(snap.source, 'g');
  assert.ok(snap.hosts.length > 0);
  assert.ok(snap.samples.some((s) => s.name === 'load_one'));
});

test("gmetad: the grid's clusters from the XML port, or one query's answer from the interactive port", async () => {
  const xmlPort = await tcp(GMETAD_XML);
  const grid = await pollSource(
    parseSourceConfig({ type: 'gmetad', name: 'm', address: `127.0.0.1:${xmlPort}` }),
    NOW,
  );
  assert.ok(grid.hosts.length > 0 && grid.hosts.every((h) => h.cluster !== undefined && h.source === 'm'));
  const asked: string[] = [];
  const queryPort = await new Promise<number>((resolve) => {
    const srv = net.createServer((sock) => {
      sock.once('data', (d) => {
        asked.push(d.toString());
        sock.end(GMETAD_XML);
      });
    });
    closers.push(() => srv.close());
    srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port));
  });
  const cfg = parseSourceConfig({ type: 'gmetad', address: `127.0.0.1:${queryPort}`, query: '/grid1' });
  const one = await pollSource(cfg, NOW);
  assert.deepEqual(asked, ['/grid1\n']);
  assert.deepEqual(
    one.hosts.map((h) => h.name),
    grid.hosts.map((h) => h.name),
  );
});

test('prometheus text: hosts from the instance label, or the target host for a bare exporter', async () => {
  const url = await web((_req, res) => res.end(NODE_EXPORTER));
  const snap = await pollSource(
    parseSourceConfig({ type: 'prometheus', name: 'p', url: `${url}/metrics` }),
    NOW,
  );
  assert.ok(snap.samples.some((s) => s.name === 'node_load1'));
  assert.ok(snap.hosts.every((h) => h.source === 'p'));
});

test('prometheus query: each query asked at /api/v1/query, answers merged', async () => {
  const asked: string[] = [];
  const url = await web((req, res) => {
    const u = new URL(req.url!, 'http://x');
    asked.push(`${u.pathname} ${u.searchParams.get('query')}`);
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        status: 'success',
        data: {
          resultType: 'vector',
          result: [{ metric: { __name__: 'up', instance: '10.0.0.1:9100' }, value: [1800000000, '1'] }],
        },
      }),
    );
  });
  const cfg = parseSourceConfig({ type: 'prometheus-query', name: 'q', url, queries: ['up', 'node_load1'] });
  const snap = await pollSource(cfg, NOW);
  assert.deepEqual(asked, ['/api/v1/query up', '/api/v1/query node_load1']);
  assert.deepEqual(
    snap.hosts.map((h) => [h.name, h.ip]),
    [['10.0.0.1', '10.0.0.1']],
  );
  assert.equal(snap.samples.length, 2);
});

test('failures: refused, HTTP 500, slow and garbage each have their code', async () => {
  const closed = await tcp('');
  const refusedPort = await new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  await assert.rejects(
    pollSource(parseSourceConfig({ type: 'gmond', address: `127.0.0.1:${refusedPort}` }), NOW),
    code('SOURCE_UNREACHABLE'),
  );
  await assert.rejects(
    pollSource(parseSourceConfig({ type: 'gmond', address: `127.0.0.1:${closed}` }), NOW),
    code('SOURCE_GARBAGE'),
  );
  const badXml = await tcp('<GANGLIA_XML VERSION="3"><CLUSTER NAME="c"><HOST></CLUSTER></GANGLIA_XML>');
  await assert.rejects(
    pollSource(parseSourceConfig({ type: 'gmond', address: `127.0.0.1:${badXml}` }), NOW),
    code('SOURCE_GARBAGE'),
  );
  const url = await web((req, res) => {
    if (req.url === '/slow') return; // never answers
    if (req.url === '/500') {
      res.statusCode = 500;
      return res.end('boom');
    }
    res.end('this is { not prometheus');
  });
  await assert.rejects(
    pollSource(parseSourceConfig({ type: 'prometheus', url: `${url}/500` }), NOW),
    code('SOURCE_UNREACHABLE'),
  );
  await assert.rejects(
    pollSource(parseSourceConfig({ type: 'prometheus', url: `${url}/slow`, timeout: 0.2 }), NOW),
    code('SOURCE_TIMEOUT'),
  );
  await assert.rejects(
    pollSource(parseSourceConfig({ type: 'prometheus', url: `${url}/bad` }), NOW),
    code('SOURCE_GARBAGE'),
  );
  await assert.rejects(
    pollSource(parseSourceConfig({ type: 'rrd', directory: '/nonexistent/rrds' }), NOW),
    code('SOURCE_UNREACHABLE'),
  );
});
