import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ParseError,
  aggregateWindow,
  parseAlertmanagerWebhook,
  parseRrdFetch,
  rrdPathParts,
  rrdToSamples,
} from '../../src/apps/hostaware/sources/index.js';
import { RRD_FETCH } from './hostaware.sources.fixtures.js';

function parseErr(fn: () => unknown, where: RegExp, reason: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ParseError, String(err));
    assert.match(err.where, where);
    assert.match(err.reason, reason);
    return true;
  });
}

const webhook = {
  version: '4',
  groupKey: '{}:{alertname="HighLoad"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'sluice',
  groupLabels: { alertname: 'HighLoad' },
  commonLabels: { alertname: 'HighLoad' },
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'HighLoad', instance: 'h1:9100', severity: 'page' },
      annotations: { summary: 'load > 5' },
      startsAt: '2026-12-05T08:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus/graph',
      fingerprint: 'c4ac2e8f3d9f1b2a',
    },
    {
      status: 'resolved',
      labels: { alertname: 'DiskFull', instance: '10.0.0.2:9100' },
      annotations: {},
      startsAt: '2026-12-05T07:00:00Z',
      endsAt: '2026-12-05T07:30:00+00:00',
      fingerprint: 'aa',
    },
    { status: 'firing', labels: { alertname: 'NoHost' }, startsAt: '2026-12-05T07:00:00Z' },
  ],
};

test('alertmanager webhook v4: firing and resolved events, host from a label', () => {
  const { events, unmatched } = parseAlertmanagerWebhook(webhook, { source: 'am' });
  assert.deepEqual(
    events.map((e) => [e.host, e.alert, e.status, e.at, e.fingerprint]),
    [
      ['h1', 'HighLoad', 'firing', Date.parse('2026-12-05T08:00:00Z'), 'c4ac2e8f3d9f1b2a'],
      ['10.0.0.2', 'DiskFull', 'resolved', Date.parse('2026-12-05T07:30:00Z'), 'aa'],
    ],
  );
  assert.equal(events[0].annotations.summary, 'load > 5');
  assert.deepEqual(unmatched, ['NoHost']);
  const bySev = parseAlertmanagerWebhook(JSON.stringify(webhook), { source: 'am', hostLabel: 'severity' });
  assert.deepEqual(
    bySev.events.map((e) => e.host),
    ['page'],
  );
});

test('alertmanager webhook: bad payloads name the field', () => {
  const am = (b: unknown) => () => parseAlertmanagerWebhook(b, { source: 'am' });
  const alert = (a: object) => ({ ...webhook, alerts: [{ ...webhook.alerts[0], ...a }] });
  parseErr(am('{'), /body/, /not JSON/);
  parseErr(am([]), /body/, /not a JSON object/);
  parseErr(am({ ...webhook, version: '3' }), /version/, /expected "4"/);
  parseErr(am({ version: '4' }), /alerts/, /not a list/);
  parseErr(am({ ...webhook, alerts: [1] }), /alerts\[0\]/, /not an object/);
  parseErr(am(alert({ status: 'pending' })), /alerts\[0\].status/, /firing or resolved/);
  parseErr(am(alert({ labels: { instance: 'h' } })), /labels.alertname/, /missing/);
  parseErr(am(alert({ labels: { alertname: 'x', n: 1 } })), /labels.n/, /not a string/);
  parseErr(am(alert({ startsAt: 'yesterday' })), /startsAt/, /RFC 3339/);
  parseErr(am(alert({ startsAt: undefined })), /startsAt/, /missing/);
  parseErr(am(alert({ fingerprint: 7 })), /fingerprint/, /not a string/);
});

test('rrdtool fetch: header, rows, nan and -nan; samples and windows', () => {
  const f = parseRrdFetch(RRD_FETCH);
  assert.deepEqual(f.ds, ['sum']);
  assert.equal(f.rows.length, 5);
  assert.equal(f.rows[0].at, 1764921540000);
  assert.ok(Number.isNaN(f.rows[2].values[0]) && Number.isNaN(f.rows[4].values[0]));
  const samples = rrdToSamples(f, { host: 'h1', cluster: 'c', metric: 'load_one' });
  assert.deepEqual(samples[1], { host: 'h1', cluster: 'c', name: 'load_one', value: 1.5, at: 1764921555000 });
  const now = 1764921600000;
  assert.equal(aggregateWindow(samples, 'AVERAGE', 61, now), (1.2 + 1.5 + 2.1) / 3);
  assert.equal(aggregateWindow(samples, 'AVERAGE', 60, now), (1.5 + 2.1) / 2, '(now-60s, now]');
  assert.equal(aggregateWindow(samples, 'MIN', 61, now), 1.2);
  assert.equal(aggregateWindow(samples, 'MAX', 60, now), 2.1);
  assert.equal(aggregateWindow(samples, 'AVERAGE', 30, now), 2.1, 'only (now-30s, now]');
  assert.equal(aggregateWindow(samples, 'MAX', 10, now), undefined, 'only NaN in the window');
  assert.equal(aggregateWindow([], 'MIN', 10, now), undefined);
  const two = parseRrdFetch('  sum  num\n\n100: 1.0e+00 2\n200: -nan 4\n');
  assert.deepEqual(
    rrdToSamples(two, { host: 'c', metric: 'load_one', ds: 'num' }).map((s) => s.value),
    [2, 4],
  );
  assert.deepEqual(rrdPathParts('web/web1/bytes_out.rrd'), {
    cluster: 'web',
    host: 'web1',
    metric: 'bytes_out',
  });
  assert.equal(rrdPathParts('web/bytes_out.rrd'), undefined);
});

test('rrdtool fetch: garbage names the line', () => {
  parseErr(() => parseRrdFetch('\n\n'), /input/, /empty/);
  parseErr(() => parseRrdFetch('ERROR: opening foo.rrd: No such file'), /line 1/, /not a data-source name/);
  parseErr(() => parseRrdFetch('sum\n\n100: 1\n200 2\n'), /line 4/, /timestamp: values/);
  parseErr(() => parseRrdFetch('sum\n\n100: 1 2\n'), /line 3/, /2 values for 1/);
  parseErr(() => parseRrdFetch('sum\n100: x\n'), /line 2/, /'x' is not a number/);
  parseErr(
    () => rrdToSamples(parseRrdFetch('sum\n'), { host: 'h', metric: 'm', ds: 'max' }),
    /header/,
    /no data source 'max'/,
  );
  parseErr(() => parseRrdFetch('sum\n' + '1: 1\n'.repeat(100), { maxBytes: 64 }), /input/, /over the limit/);
});
