import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HandError } from '../../src/apps/hostaware/index.js';
import { parseHostPort, parseSourceConfig } from '../../src/apps/hostaware/sources/index.js';

function refused(body: unknown, field: string, reason: RegExp) {
  assert.throws(
    () => parseSourceConfig(body),
    (err: unknown) => {
      assert.ok(err instanceof HandError, String(err));
      assert.equal(err.field, field);
      assert.match(err.reason, reason);
      return true;
    },
  );
}

test('source config: each type with its defaults', () => {
  assert.deepEqual(parseSourceConfig({ type: 'gmond', address: '127.0.0.1' }), {
    type: 'gmond',
    name: 'gmond-127.0.0.1-8649',
    interval: 5,
    timeout: 2,
    address: { host: '127.0.0.1', port: 8649 },
  });
  const g = parseSourceConfig({ type: 'gmetad', address: 'grid.example', name: 'grid' });
  assert.deepEqual(g.type === 'gmetad' && g.address, {
    host: 'grid.example',
    port: 8651,
  });
  const q = parseSourceConfig({ type: 'gmetad', address: '[::1]', query: '/web/web1', interval: '1' });
  assert.deepEqual([q.type === 'gmetad' && q.address.port, q.interval, q.timeout], [8652, 1, 1]);
  assert.deepEqual(
    parseSourceConfig({ type: 'rrd', directory: '/var/lib/ganglia/rrds', cf: 'max', window: 30 }),
    {
      type: 'rrd',
      name: 'rrd-var-lib-ganglia-rrds',
      interval: 5,
      timeout: 2,
      directory: '/var/lib/ganglia/rrds',
      cf: 'MAX',
      window: 30,
    },
  );
  const p = parseSourceConfig({ type: 'prometheus', url: 'http://127.0.0.1:9100/metrics', host: 'h1' });
  assert.deepEqual(p, {
    type: 'prometheus',
    name: 'prometheus-127.0.0.1-9100',
    interval: 5,
    timeout: 2,
    url: 'http://127.0.0.1:9100/metrics',
    hostLabel: 'instance',
    host: 'h1',
  });
  const pq = parseSourceConfig({
    type: 'prometheus-query',
    url: 'http://prom:9090',
    queries: ['node_load1', 'rate(node_network_transmit_bytes_total[1m])'],
    hostLabel: 'nodename',
    timeout: 0.5,
  });
  assert.deepEqual([pq.type === 'prometheus-query' && pq.queries.length, pq.timeout], [2, 0.5]);
  assert.deepEqual(parseSourceConfig({ type: 'alertmanager' }), {
    type: 'alertmanager',
    name: 'alertmanager',
    interval: 5,
    timeout: 2,
    path: 'alertmanager',
    hostLabel: 'instance',
  });
  const am = parseSourceConfig({ type: 'alertmanager', name: 'am1', path: 'ops', hostLabel: 'host' });
  assert.deepEqual(am.type === 'alertmanager' && [am.path, am.hostLabel], ['ops', 'host']);
});

test('source config: every bad value is refused naming the field', () => {
  refused(null, 'body', /JSON object/);
  refused([], 'body', /JSON object/);
  refused({}, 'type', /required/);
  refused({ type: 'snmp' }, 'type', /not one of gmond/);
  refused({ type: 'gmond' }, 'address', /required/);
  refused({ type: 'gmond', address: '127.0.0.1:8649', url: 'x' }, 'url', /unknown key for a gmond source/);
  refused({ type: 'gmond', address: '' }, 'address', /non-empty/);
  refused({ type: 'gmond', address: 7 }, 'address', /non-empty string/);
  refused({ type: 'gmond', address: 'h:0' }, 'address', /out of range/);
  refused({ type: 'gmond', address: 'h:99999' }, 'address', /out of range/);
  refused({ type: 'gmond', address: 'h:x' }, 'address', /not a number/);
  refused({ type: 'gmond', address: 'bad_host!:1' }, 'address', /not a host name/);
  refused({ type: 'gmond', address: '::1' }, 'address', /not host:port/);
  refused({ type: 'gmond', address: 'h', interval: 0 }, 'interval', /out of range/);
  refused({ type: 'gmond', address: 'h', interval: 'soon' }, 'interval', /not a number/);
  refused({ type: 'gmond', address: 'h', timeout: -1 }, 'timeout', /out of range/);
  refused({ type: 'gmond', address: 'h', name: 'a b' }, 'name', /URL segment/);
  refused({ type: 'gmond', address: 'h', name: '' }, 'name', /non-empty/);
  refused({ type: 'gmetad', address: 'h', query: 'cluster' }, 'query', /path like/);
  refused({ type: 'rrd' }, 'directory', /required/);
  refused({ type: 'rrd', directory: 'rrds' }, 'directory', /absolute/);
  refused({ type: 'rrd', directory: '/r', cf: 'LAST' }, 'cf', /not one of AVERAGE, MIN, MAX/);
  refused({ type: 'rrd', directory: '/r', window: 0 }, 'window', /out of range/);
  refused({ type: 'prometheus' }, 'url', /required/);
  refused({ type: 'prometheus', url: 'not a url' }, 'url', /not a URL/);
  refused({ type: 'prometheus', url: 'ftp://h/metrics' }, 'url', /http or https/);
  refused({ type: 'prometheus', url: 'http://h', hostLabel: 'in-stance' }, 'hostLabel', /label name/);
  refused({ type: 'prometheus', url: 'http://h', queries: [] }, 'queries', /unknown key/);
  refused({ type: 'prometheus-query', url: 'http://h' }, 'queries', /required/);
  refused({ type: 'prometheus-query', url: 'http://h', queries: [] }, 'queries', /non-empty list/);
  refused({ type: 'prometheus-query', url: 'http://h', queries: ['up', ''] }, 'queries[1]', /non-empty/);
  refused({ type: 'alertmanager', path: '/a/b' }, 'path', /one path segment/);
  refused({ type: 'alertmanager', address: 'h' }, 'address', /unknown key/);
});

test('host:port forms', () => {
  assert.deepEqual(parseHostPort('a', 'gmond.lab:1234', 1), { host: 'gmond.lab', port: 1234 });
  assert.deepEqual(parseHostPort('a', '[fe80::1]:8649', 1), { host: 'fe80::1', port: 8649 });
  assert.deepEqual(parseHostPort('a', ' 10.0.0.1 ', 8649), { host: '10.0.0.1', port: 8649 });
});
