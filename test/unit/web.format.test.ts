/** The dashboard's number formats (web/src/format.ts): known values, unknown ones, and extremes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAgo, formatCount, formatPerSec, formatShare } from '../../web/src/format.js';

test('formatPerSec: integers as they are, the rest with one decimal, unknown as a dash', () => {
  assert.equal(formatPerSec(0), '0');
  assert.equal(formatPerSec(1500), '1500');
  assert.equal(formatPerSec(0.25), '0.3');
  assert.equal(formatPerSec(2.04), '2.0');
  assert.equal(formatPerSec(null), '–');
  assert.equal(formatPerSec(undefined), '–');
});

test('formatShare: a 0..1 share as a percentage, two decimals below 10 %', () => {
  assert.equal(formatShare(0), '0.00 %');
  assert.equal(formatShare(0.0004), '0.04 %');
  assert.equal(formatShare(0.0999), '9.99 %');
  assert.equal(formatShare(0.5), '50.0 %');
  assert.equal(formatShare(1), '100.0 %');
  assert.equal(formatShare(null), '–');
  assert.equal(formatShare(undefined), '–');
});

test('formatCount: thousands separators, for numbers and for the decimal strings of 64-bit counters', () => {
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(1234567), '1,234,567');
  assert.equal(formatCount(Number.MAX_SAFE_INTEGER), '9,007,199,254,740,991');
  assert.equal(formatCount('18446744073709551615'), '18,446,744,073,709,551,615');
  assert.equal(formatCount('123'), '123');
  assert.equal(formatCount(null), '–');
  assert.equal(formatCount(undefined), '–');
});

test('formatCount: a string that is not a plain decimal is shown as it came', () => {
  assert.equal(formatCount(''), '');
  assert.equal(formatCount('n/a'), 'n/a');
  assert.equal(formatCount('-1234'), '-1234');
});

test('formatAgo: seconds, then minutes and seconds, then hours and minutes', () => {
  const at = Date.parse('2026-12-06T10:00:00Z');
  assert.equal(formatAgo('2026-12-06T10:00:00Z', at), '0s ago');
  assert.equal(formatAgo('2026-12-06T09:59:55Z', at), '5s ago');
  assert.equal(formatAgo('2026-12-06T09:59:00.500Z', at), '59s ago');
  assert.equal(formatAgo('2026-12-06T09:56:58Z', at), '3m 2s ago');
  assert.equal(formatAgo('2026-12-06T07:55:00Z', at), '2h 5m ago');
  assert.equal(formatAgo('2026-11-06T10:00:00Z', at), '720h 0m ago');
});

test('formatAgo: a time in the future is now; a time that does not parse is shown as it came', () => {
  const at = Date.parse('2026-12-06T10:00:00Z');
  assert.equal(formatAgo('2026-12-06T10:05:00Z', at), '0s ago');
  assert.equal(formatAgo('yesterday', at), 'yesterday');
  assert.equal(formatAgo('', at), '');
});
