import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ParseError,
  parsePromQuery,
  parsePromText,
  promToSnapshot,
  stripPort,
} from '../../src/apps/hostaware/sources/index.js';
import { NODE_EXPORTER } from './hostaware.sources.fixtures.js';

function throwsAt(text: string, line: number, reason: RegExp) {
  assert.throws(
    () => parsePromText(text),
    (err: unknown) => {
      assert.ok(err instanceof ParseError, String(err));
      assert.equal(err.where, `line ${line}`);
      assert.match(err.reason, reason);
      return true;
    },
  );
}

test('text format: node_exporter metrics, HELP/TYPE, labels, escapes, NaN/Inf, timestamps', () => {
  const { families, samples } = parsePromText(NODE_EXPORTER);
  assert.deepEqual(families.get('node_load1'), { help: '1m load average.', type: 'gauge' });
  assert.equal(families.get('http_request_duration_seconds')!.type, 'histogram');
  const find = (name: string) => samples.filter((s) => s.name === name);
  assert.deepEqual(find('node_load1'), [{ name: 'node_load1', labels: {}, value: 0.52 }]);
  assert.deepEqual(
    find('node_network_transmit_bytes_total').map((s) => [s.labels.device, s.value]),
    [
      ['eth0', 1.234567e9],
      ['lo', 4.2e6],
    ],
  );
  assert.deepEqual(find('node_filesystem_avail_bytes')[0].labels, {
    device: '/dev/sda1',
    fstype: 'ext4',
    mountpoint: '/',
  });
  assert.equal(find('http_request_duration_seconds_bucket')[1].labels.le, '+Inf');
  assert.deepEqual(find('msdos_file_access_time_seconds')[0].labels, {
    path: 'C:\\DIR\\FILE.TXT',
    error: 'Cannot find file:\n"FILE.TXT"',
  });
  const weird = find('something_weird')[0];
  assert.equal(weird.value, Infinity);
  assert.equal(weird.timestamp, -3982045);
  assert.ok(Number.isNaN(find('node_scrape_nan')[0].value));
  assert.equal(samples.length, 12);
});

test('text format: tolerant where the spec is (blank lines, CRLF, trailing comma, -Inf, spaces)', () => {
  const { samples } = parsePromText('\r\n  a{x="1",} -Inf\r\n\n b { y = "2" } 1e-3 1700000000000 \n');
  assert.deepEqual(samples, [
    { name: 'a', labels: { x: '1' }, value: -Infinity },
    { name: 'b', labels: { y: '2' }, value: 0.001, timestamp: 1700000000000 },
  ]);
});

test('text format: bad lines name their line number', () => {
  throwsAt('ok 1\n{x="1"} 2', 2, /does not start with a metric name/);
  throwsAt('a 1\nb{x="1" 2', 2, /expected ',' or '}'/);
  throwsAt('a{x=1} 2', 1, /double quotes/);
  throwsAt('a{x="1} 2', 1, /unterminated/);
  throwsAt('a{x="\\t"} 2', 1, /bad escape/);
  throwsAt('a{1x="1"} 2', 1, /bad label name/);
  throwsAt('a{x "1"} 2', 1, /expected '='/);
  throwsAt('a{x="1",x="2"} 2', 1, /repeated/);
  throwsAt('\n\na', 3, /has no value/);
  throwsAt('a one', 1, /'one' is not a number/);
  throwsAt('a 1 12.5', 1, /timestamp/);
  throwsAt('a 1 2 3', 1, /unexpected '3'/);
  throwsAt('# TYPE a gauge\n# TYPE a counter', 2, /second TYPE/);
  throwsAt('# TYPE a meter', 1, /unknown metric type 'meter'/);
  throwsAt('a 1\n# TYPE a gauge', 2, /TYPE line for a after its samples/);
  throwsAt('a 0x1F', 1, /'0x1F' is not a number/);
  throwsAt('# HELP a x\n# HELP a y', 2, /second HELP/);
  assert.throws(() => parsePromText('a 1\n'.repeat(100), { maxBytes: 50 }), /over the limit/);
});

test('host mapping: instance label without port, a default host, another label', () => {
  const { samples } = parsePromText(
    'up{instance="10.0.0.1:9100",job="node"} 1\nup{instance="[::1]:9100"} 1\nup{instance="h2"} 0 5000\nup 1\n',
  );
  const snap = promToSnapshot(samples, { source: 'p', now: 1000 });
  assert.deepEqual(
    snap.hosts.map((h) => [h.name, h.ip, h.reported]),
    [
      ['10.0.0.1', '10.0.0.1', 1000],
      ['::1', undefined, 1000],
      ['h2', undefined, 5000],
    ],
  );
  assert.equal(snap.samples.length, 3, 'no instance label and no default host: dropped');
  assert.equal(snap.samples[2].at, 5000);
  const direct = promToSnapshot(samples, { source: 'p', now: 1000, defaultHost: 'self' });
  assert.equal(direct.samples[3].host, 'self');
  const byJob = promToSnapshot(samples, { source: 'p', now: 1, hostLabel: 'job' });
  assert.deepEqual(
    byJob.samples.map((s) => s.host),
    ['node'],
  );
  assert.equal(stripPort('host.example:9100'), 'host.example');
  assert.equal(stripPort('host.example'), 'host.example');
});

test('query API: vector, scalar, matrix and the error shape', () => {
  const vec = parsePromQuery({
    status: 'success',
    data: {
      resultType: 'vector',
      result: [
        { metric: { __name__: 'node_load1', instance: 'h1:9100' }, value: [1700000000.123, '0.5'] },
        { metric: { instance: 'h2:9100' }, value: [1700000000, 'NaN'] },
      ],
    },
  });
  assert.deepEqual(vec[0], {
    name: 'node_load1',
    labels: { instance: 'h1:9100' },
    value: 0.5,
    timestamp: 1700000000123,
  });
  assert.equal(vec[1].name, 'value');
  assert.ok(Number.isNaN(vec[1].value));
  assert.deepEqual(parsePromQuery({ status: 'success', data: { resultType: 'scalar', result: [1, '2'] } }), [
    { name: 'scalar', labels: {}, value: 2, timestamp: 1000 },
  ]);
  const mat = parsePromQuery({
    status: 'success',
    data: {
      resultType: 'matrix',
      result: [
        {
          metric: { instance: 'a' },
          values: [
            [1, '1'],
            [2, '2'],
          ],
        },
      ],
    },
  });
  assert.deepEqual(
    mat.map((s) => s.value),
    [1, 2],
  );
  const bad = (body: unknown, where: RegExp, reason: RegExp) =>
    assert.throws(
      () => parsePromQuery(body),
      (err: unknown) => err instanceof ParseError && where.test(err.where) && reason.test(err.reason),
    );
  bad(
    { status: 'error', errorType: 'bad_data', error: 'parse error at char 3' },
    /status/,
    /bad_data: parse error/,
  );
  bad('nope', /body/, /not a JSON object/);
  bad({ status: 'ok' }, /status/, /expected 'success'/);
  bad({ status: 'success' }, /^data$/, /missing/);
  bad({ status: 'success', data: { resultType: 'string', result: [] } }, /resultType/, /unsupported/);
  bad({ status: 'success', data: { resultType: 'vector', result: {} } }, /data.result/, /not a list/);
  bad(
    { status: 'success', data: { resultType: 'vector', result: [{ value: [1, '1'] }] } },
    /result\[0\].metric/,
    /missing/,
  );
  bad(
    { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, 2] }] } },
    /result\[0\].value\[1\]/,
    /not a string/,
  );
  bad(
    { status: 'success', data: { resultType: 'vector', result: [{ metric: { a: 1 }, value: [1, '2'] }] } },
    /metric.a/,
    /not a string/,
  );
  bad(
    { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: ['x', '2'] }] } },
    /value\[0\]/,
    /timestamp/,
  );
  bad(
    { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, 'x'] }] } },
    /value\[1\]/,
    /'x'/,
  );
});
