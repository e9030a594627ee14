import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBitRate } from '../../src/client/index.js';

test('bit rates: the dashboard style, SI units with three significant digits, a dash when unknown', () => {
  assert.equal(formatBitRate(null), '–');
  assert.equal(formatBitRate(undefined), '–');
  assert.equal(formatBitRate(0), '0 bit/s');
  assert.equal(formatBitRate(999.4), '999 bit/s');
  assert.equal(formatBitRate(12_345), '12.3 kbit/s');
  assert.equal(formatBitRate(1_200_000_000), '1.20 Gbit/s');
});

test('bit rates: the CLI compact style, like docker sizes, a hyphen when unknown', () => {
  assert.equal(formatBitRate(null, 'compact'), '-');
  assert.equal(formatBitRate(999, 'compact'), '999b/s');
  assert.equal(formatBitRate(1_500_000, 'compact'), '1.5Mb/s');
  assert.equal(formatBitRate(25_000_000_000, 'compact'), '25Gb/s');
});

test('bit rates: rounding up to 1000 moves to the next unit; past the largest unit, whole numbers', () => {
  assert.equal(formatBitRate(999.6), '1.00 kbit/s');
  assert.equal(formatBitRate(999_999), '1.00 Mbit/s');
  assert.equal(formatBitRate(999_960_000_000), '1.00 Tbit/s');
  assert.equal(formatBitRate(999_999, 'compact'), '1.0Mb/s');
  assert.equal(formatBitRate(1.5e15), '1500 Tbit/s');
  assert.equal(formatBitRate(1e21), '1000000000 Tbit/s');
  assert.equal(formatBitRate(1e21, 'compact'), '1000000000Tb/s');
});

test('bit rates: a value that is not a finite number is unknown', () => {
  assert.equal(formatBitRate(Number.NaN), '–');
  assert.equal(formatBitRate(Infinity), '–');
  assert.equal(formatBitRate(Infinity, 'compact'), '-');
});
