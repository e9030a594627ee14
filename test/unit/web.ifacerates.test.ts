/** Interface rates from a transport node's statistics reports (web/src/ifacerates.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextTrack, ratesBetween } from '../../web/src/ifacerates.js';

const at = (sec: number, rx_bytes: number, tx_bytes: number, rx_packets = 0, tx_packets = 0) => ({
  sampled: new Date(Date.UTC(2026, 0, 1, 0, 0, sec)).toISOString(),
  statistics: { rx_bytes, tx_bytes, rx_packets, tx_packets },
});

test('ratesBetween: bytes as bits per second and packets per second over the reports’ interval', () => {
  assert.deepEqual(ratesBetween(at(0, 1000, 0, 10, 0), at(5, 6000, 500, 60, 5)), {
    rxBps: 8000,
    txBps: 800,
    rxPps: 10,
    txPps: 1,
  });
});

test('ratesBetween: no rate for a counter that went back or is missing, nothing for no time passed', () => {
  const r = ratesBetween(at(0, 5000, 10), { sampled: at(2, 0, 0).sampled, statistics: { rx_bytes: 100 } });
  assert.deepEqual(r, { rxBps: undefined, txBps: undefined, rxPps: undefined, txPps: undefined });
  assert.deepEqual(ratesBetween(at(3, 0, 0), at(3, 100, 100)), {});
});

test('nextTrack: the first report has no rates; the same report again keeps the last rates', () => {
  const first = nextTrack(undefined, at(0, 0, 0));
  assert.deepEqual(first.rates, {});
  const second = nextTrack(first, at(2, 250, 0));
  assert.equal(second.rates.rxBps, 1000);
  const same = nextTrack(second, at(2, 250, 0));
  assert.equal(same.rates, second.rates);
});
