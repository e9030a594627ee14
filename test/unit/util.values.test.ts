import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipv4NumToText, ipv4TextToNum } from '../../src/packet/index.js';
import { FieldError, parseIntIn, parseIpv4, parseMac, parsePrefix } from '../../src/util/index.js';

const fails = (fn: () => unknown, field: string, reason: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof FieldError && e.field === field && reason.test(e.reason));

test('parseIntIn reads JSON numbers and decimal or 0x-hex text within range', () => {
  assert.equal(parseIntIn('n', 7, 0, 10), 7);
  assert.equal(parseIntIn('n', ' 0x0a ', 0, 10), 10);
  assert.equal(parseIntIn('n', '-3', -5, 5), -3);
  fails(() => parseIntIn('prio', 'ten', 0, 10), 'prio', /not a number/);
  fails(() => parseIntIn('prio', 11, 0, 10), 'prio', /out of range 0\.\.10/);
  fails(() => parseIntIn('prio', 1.5, 0, 10), 'prio', /out of range/);
});

test('parseMac takes colons or dashes and returns lower-case colon form', () => {
  assert.equal(parseMac('mac', 'AA-BB-CC-DD-EE-0F'), 'aa:bb:cc:dd:ee:0f');
  fails(() => parseMac('src-mac', 'aa:bb-cc:dd:ee:ff'), 'src-mac', /not a MAC address/);
});

test('parsePrefix clears host bits; bare addresses are /32', () => {
  assert.deepEqual(parsePrefix('ip', '10.0.0.7/24'), { addr: ipv4TextToNum('10.0.0.0'), bits: 24 });
  assert.equal(parsePrefix('ip', '10.0.0.7').bits, 32);
  assert.equal(ipv4NumToText(parsePrefix('ip', '192.168.1.1/0').addr), '0.0.0.0');
  fails(() => parsePrefix('dst-ip', '10.0.0.256'), 'dst-ip', /not an IPv4 address/);
  fails(() => parsePrefix('dst-ip', '10.0.0.0/33'), 'dst-ip', /prefix length/);
  fails(() => parsePrefix('dst-ip', ' 10.0.0.1/8'), 'dst-ip', /not an IPv4 address/);
  fails(() => parsePrefix('dst-ip', '10.0.0/8'), 'dst-ip', /not an IPv4 address/);
});

test('parseIpv4 takes a dotted quad as node:net does and names the field otherwise', () => {
  assert.equal(parseIpv4('ip-src', '10.0.0.1'), '10.0.0.1');
  assert.equal(parseIpv4('ip-src', '255.255.255.255'), '255.255.255.255');
  for (const bad of ['010.0.0.1', '10.0.0.256', '10.0.0', ' 10.0.0.1', '10.0.0.1/32', '', 'a.b.c.d']) {
    fails(() => parseIpv4('ip-src', bad), 'ip-src', /is not an IPv4 address/);
  }
});
