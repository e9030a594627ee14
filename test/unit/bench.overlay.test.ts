import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  firstReplyMs,
  markdownTable,
  mean,
  parseIperf3,
  ratioText,
  summarize,
} from '../../bench/overlaystats.js';

test('parseIperf3 reads the received rate and the sender retransmits of -J output', () => {
  const json = JSON.stringify({
    end: {
      sum_sent: { bits_per_second: 1.1e9, seconds: 8, retransmits: 42 },
      sum_received: { bits_per_second: 9.2e8, seconds: 8.01 },
    },
  });
  assert.deepEqual(parseIperf3(json), { gbps: 0.92, retransmits: 42, seconds: 8.01 });
});

test('parseIperf3 names what went wrong: iperf3 error, no JSON, no result', () => {
  assert.throws(() => parseIperf3('{"error":"unable to connect to server"}'), /iperf3: unable to connect/);
  assert.throws(() => parseIperf3('iperf3: error'), /not JSON: iperf3: error/);
  assert.throws(() => parseIperf3(''), /not JSON: \(empty\)/);
  assert.throws(() => parseIperf3('{"end":{}}'), /no end\.sum_received\.bits_per_second/);
});

test('firstReplyMs takes the first reply line of ping -D, undefined before it', () => {
  const head =
    'PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.\nFrom 10.0.0.1 icmp_seq=1 Destination Host Unreachable\n';
  assert.equal(firstReplyMs(head, 1000), undefined);
  const out = `${head}[1700000001.250000] 64 bytes from 10.0.0.2: icmp_seq=9 ttl=64 time=0.3 ms\n[1700000001.270000] 64 bytes from 10.0.0.2: icmp_seq=10\n`;
  assert.equal(Math.round(firstReplyMs(out, 1700000000000)!), 1250);
});

test('summarize gives nearest-rank p50/p99 and max in any order; mean and ratios', () => {
  const s = summarize(Array.from({ length: 100 }, (_, i) => 100 - i));
  assert.deepEqual(s, { count: 100, p50: 51, p99: 100, max: 100 });
  assert.ok(Number.isNaN(summarize([]).p50));
  assert.equal(mean([1, 2, 3]), 2);
  assert.equal(ratioText(0.92, 1.02), '0.90x');
  assert.equal(ratioText(1, 0), '–');
  assert.equal(ratioText(undefined, 1), '–');
});

test('markdownTable escapes pipes and fills missing cells', () => {
  assert.equal(
    markdownTable(['a', 'b'], [['x|y'], ['1', '2']]),
    '| a | b |\n|---|---|\n| x\\|y |  |\n| 1 | 2 |',
  );
});
