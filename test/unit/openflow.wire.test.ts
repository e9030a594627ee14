import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OpenFlowEncodeError } from '../../src/openflow/index.js';
import { formatIpv6, formatMacAt, parseIpv4, writeIpv6, writeMac } from '../../src/openflow/wire.js';

const ipv6 = (s: string) => {
  const b = Buffer.alloc(16);
  writeIpv6(s, b, 0, 'f');
  return formatIpv6(b);
};

test('IPv6 text: parsed in any valid form, printed in RFC 5952 canonical form', () => {
  assert.equal(ipv6('fe80:0:0:0:0:0:0:1'), 'fe80::1');
  assert.equal(ipv6('::'), '::');
  assert.equal(ipv6('::1'), '::1');
  assert.equal(ipv6('2001:DB8::'), '2001:db8::');
  assert.equal(ipv6('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1'); // first of equal runs
  assert.equal(ipv6('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1'); // a single zero group stays
  assert.equal(ipv6('::ffff:10.0.0.1'), '::ffff:a00:1');
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', 'g::1', '12345::', '::1.2.3']) {
    assert.throws(() => ipv6(bad), OpenFlowEncodeError, bad);
  }
});

test('property: IPv6 bytes -> text -> bytes is the identity', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (a) => {
      const b = Buffer.from(a);
      const out = Buffer.alloc(16);
      writeIpv6(formatIpv6(b), out, 0, 'f');
      assert.deepEqual(out, b);
    }),
  );
});

test('IPv4 and MAC text are validated strictly and name the field', () => {
  assert.equal(parseIpv4('10.0.0.255', 'f'), 0x0a0000ff);
  for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '1..2.3', '1.2.3.4 ', '0x1.2.3.4', '']) {
    assert.throws(
      () => parseIpv4(bad, 'match.ipv4_src'),
      (e: unknown) => e instanceof OpenFlowEncodeError && e.field === 'match.ipv4_src',
      bad,
    );
  }
  const b = Buffer.alloc(6);
  writeMac('0A:1b:2C:3d:4E:5f', b, 0, 'f');
  assert.equal(formatMacAt(b, 0), '0a:1b:2c:3d:4e:5f');
  for (const bad of ['0a:1b:2c:3d:4e', '0a-1b-2c-3d-4e-5f', 'zz:1b:2c:3d:4e:5f', '0a:1b:2c:3d:4e:5f:00']) {
    assert.throws(() => writeMac(bad, b, 0, 'f'), OpenFlowEncodeError, bad);
  }
});
