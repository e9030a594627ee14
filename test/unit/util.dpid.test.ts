import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDpid, parseDpid } from '../../src/util/index.js';

test('dpid prints in colon form and parses back', () => {
  assert.equal(formatDpid(1n), '00:00:00:00:00:00:00:01');
  assert.equal(parseDpid('00:00:00:00:00:00:00:01'), 1n);
  assert.equal(parseDpid('0x2a'), 42n);
  assert.equal(parseDpid('not-a-dpid'), undefined);
  assert.equal(parseDpid('00:00:00:00:00:00:00'), undefined);
});
