/** The overview page's counters (web/src/metrics.ts): read from /metrics text, turned into per-second rates. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ratesBetween, unlabelledSamples } from '../../web/src/metrics.js';

test('unlabelledSamples reads the unlabelled samples of an exposition', () => {
  const text = [
    '# HELP sluice_packet_in_total Packet-ins received.',
    '# TYPE sluice_packet_in_total counter',
    'sluice_packet_in_total 1234',
    'sluice_flow_mod_total 5 1700000000000',
    'process_resident_memory_bytes 1.5e+06',
    'sluice_switches 0',
  ].join('\n');
  assert.deepEqual(
    unlabelledSamples(text),
    new Map([
      ['sluice_packet_in_total', 1234],
      ['sluice_flow_mod_total', 5],
      ['process_resident_memory_bytes', 1_500_000],
      ['sluice_switches', 0],
    ]),
  );
});

test('unlabelledSamples skips labelled samples, comments, blank lines, junk and non-numbers', () => {
  const text = [
    'http_requests_total{method="GET"} 7',
    '# a comment 3',
    '',
    '   ',
    'not a sample',
    'sluice_x abc',
    'sluice_nan NaN',
    'sluice_empty',
    '9starts_with_digit 1',
    'sluice_ok 2\r',
  ].join('\n');
  assert.deepEqual(unlabelledSamples(text), new Map([['sluice_ok', 2]]));
  assert.equal(unlabelledSamples('').size, 0);
});

test('unlabelledSamples keeps the last value of a repeated name; a 64-bit counter as the nearest number', () => {
  assert.deepEqual(
    unlabelledSamples('c 1\nc 2\nbig 18446744073709551615'),
    new Map([
      ['c', 2],
      ['big', 2 ** 64],
    ]),
  );
});

test('ratesBetween: per-second rates between two readings', () => {
  assert.deepEqual(ratesBetween({ t: 100, values: { a: 10, b: 0 } }, { t: 104, values: { a: 30, b: 0 } }), {
    a: 5,
    b: 0,
  });
});

test('ratesBetween: a counter that went down (restart) or was not there before has no rate', () => {
  assert.deepEqual(
    ratesBetween({ t: 0, values: { restarted: 100, gone: 1 } }, { t: 2, values: { restarted: 4, fresh: 8 } }),
    { restarted: null, fresh: null },
  );
});

test('ratesBetween: no time passed, or time went backwards, gives no rate rather than Infinity', () => {
  assert.deepEqual(ratesBetween({ t: 5, values: { a: 1 } }, { t: 5, values: { a: 9 } }), { a: null });
  assert.deepEqual(ratesBetween({ t: 6, values: { a: 1 } }, { t: 5, values: { a: 9 } }), { a: null });
  assert.deepEqual(ratesBetween({ t: 5, values: {} }, { t: 6, values: {} }), {});
});
