/**
 * The Ganglia fetch edges' failure classification against loopback servers that misbehave on purpose: the
 * poller's WARN/stale handling keys on these codes, so each kind of bad peer must map to exactly one.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  fetchGmondXml,
  queryGmetad,
  rrdFetch,
  SourceFetchError,
  type SourceErrorCode,
} from '../../src/apps/hostaware/sources/fetch.js';

const XML =
  '<?xml version="1.0"?>\n<GANGLIA_XML VERSION="3.7.2" SOURCE="gmond">\n<CLUSTER NAME="c">\n</CLUSTER>\n</GANGLIA_XML>\n';

const servers: net.Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** A loopback server running `onConn` for each connection; resolves to its port. */
function serve(onConn: (sock: net.Socket) => void): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer(onConn);
    servers.push(srv);
    srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port));
  });
}

function expectCode(code: SourceErrorCode, mention: string) {
  return (e: unknown) => {
    assert.ok(e instanceof SourceFetchError, String(e));
    assert.equal(e.code, code);
    assert.ok(e.message.includes(mention), `${e.message} should name ${mention}`);
    return true;
  };
}

test('a complete document is returned as sent', async () => {
  const port = await serve((s) => s.end(XML));
  assert.equal(await fetchGmondXml('127.0.0.1', port), XML);
});

test('refused connection: SOURCE_UNREACHABLE naming the address', async () => {
  const port = await serve((s) => s.end());
  servers.pop()!.close();
  await new Promise((r) => setTimeout(r, 10));
  await assert.rejects(
    fetchGmondXml('127.0.0.1', port),
    expectCode('SOURCE_UNREACHABLE', `gmond 127.0.0.1:${port}`),
  );
});

test('empty, non-XML, cut-off and oversized answers are SOURCE_GARBAGE', async () => {
  const empty = await serve((s) => s.end());
  await assert.rejects(fetchGmondXml('127.0.0.1', empty), expectCode('SOURCE_GARBAGE', 'empty answer'));
  const http = await serve((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  await assert.rejects(fetchGmondXml('127.0.0.1', http), expectCode('SOURCE_GARBAGE', 'not XML'));
  const cut = await serve((s) => s.end(XML.slice(0, 60)));
  await assert.rejects(fetchGmondXml('127.0.0.1', cut), expectCode('SOURCE_GARBAGE', 'incomplete'));
  const big = await serve((s) => s.end(XML));
  await assert.rejects(
    fetchGmondXml('127.0.0.1', big, { maxBytes: 20 }),
    expectCode('SOURCE_GARBAGE', 'larger than 20 bytes'),
  );
});

test('a peer that never closes is SOURCE_TIMEOUT after timeoutMs', async () => {
  const port = await serve((s) => s.write('<?xml version="1.0"?>\n<GANGLIA_XML>'));
  const t0 = Date.now();
  await assert.rejects(
    fetchGmondXml('127.0.0.1', port, { timeoutMs: 150 }),
    expectCode('SOURCE_TIMEOUT', `gmond 127.0.0.1:${port}`),
  );
  assert.ok(Date.now() - t0 < 2000);
});

test('queryGmetad sends its path as one line and refuses a multi-line path', async () => {
  let got = '';
  const port = await serve((s) =>
    s.on('data', (d) => {
      got += d.toString();
      if (got.includes('\n')) s.end(XML);
    }),
  );
  assert.equal(await queryGmetad('127.0.0.1', port, '/c/h1'), XML);
  assert.equal(got, '/c/h1\n');
  await assert.rejects(queryGmetad('127.0.0.1', port, '/c\n/h1'), /one line/);
});

test('rrdFetch: a missing rrdtool is SOURCE_UNREACHABLE naming the file; a bad window is refused', async () => {
  await assert.rejects(
    rrdFetch('/x/load_one.rrd', 'AVERAGE', 60, { rrdtool: '/nonexistent/rrdtool' }),
    expectCode('SOURCE_UNREACHABLE', 'rrd /x/load_one.rrd'),
  );
  await assert.rejects(rrdFetch('/x/load_one.rrd', 'MAX', 0), /positive whole number/);
});
