import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildLldp,
  ORG_SUBTYPE_SENT_AT,
  parseEthernet,
  parseLldp,
  parseLldpTlvs,
  parseSentAt,
  sentAtValue,
} from '../../src/packet/index.js';

/** The LLDP payload (TLVs) of a built frame. */
function tlvsOf(frame: Buffer): Buffer {
  return frame.subarray(14);
}

/** A probe's TLVs with the send-time TLV's value replaced (length included) by `value`. */
function withSentAtValue(value: Buffer): Buffer {
  const plain = tlvsOf(buildLldp({ chassisDpid: 0x2an, portNo: 3 }));
  const end = plain.length - 2; // the END TLV
  const head = Buffer.alloc(2);
  head.writeUInt16BE((127 << 9) | value.length);
  return Buffer.concat([plain.subarray(0, end), head, value, plain.subarray(end)]);
}

test('a probe with a send time keeps every identifying TLV and returns the time to microseconds', () => {
  const frame = buildLldp({
    chassisDpid: 0xabn,
    portNo: 7,
    srcMac: '02:00:00:00:00:01',
    sentAtMs: 1_764_316_800_123.456,
  });
  const f = parseEthernet(frame);
  assert.equal(f.lldp?.dpid, 0xabn);
  assert.equal(f.lldp?.portNo, 7);
  assert.equal(f.lldp?.chassisId.toString(), 'dpid:00000000000000ab');
  assert.equal(f.lldp?.ttl, 120);
  assert.equal(f.lldp?.sentAtMs, 1_764_316_800_123.456);
  assert.deepEqual(parseLldp(tlvsOf(frame)), { dpid: 0xabn, portNo: 7 });
  // The DPID TLV is still the first organisational TLV, byte for byte what Floodlight reads.
  const plain = buildLldp({ chassisDpid: 0xabn, portNo: 7, srcMac: '02:00:00:00:00:01' });
  const timeTlvLen = 2 + 12;
  assert.equal(frame.length, plain.length + timeTlvLen);
  assert.deepEqual(frame.subarray(0, plain.length - 2), plain.subarray(0, plain.length - 2));
  assert.deepEqual([...frame.subarray(plain.length - 2, plain.length + 2)], [0xfe, 12, 0x00, 0x26]);
  assert.equal(frame[plain.length + 3], ORG_SUBTYPE_SENT_AT);
});

test('a probe without a send time parses with sentAtMs undefined', () => {
  assert.equal(parseLldpTlvs(tlvsOf(buildLldp({ chassisDpid: 1n, portNo: 1 })))?.sentAtMs, undefined);
  assert.equal(parseLldpTlvs(tlvsOf(buildLldp({ chassisDpid: 1n, portNo: 1, sentAtMs: 0 })))?.sentAtMs, 0);
});

test('a send-time TLV of the wrong length or value is ignored; the probe still names its switch and port', () => {
  const good = sentAtValue(5000);
  const cases: [string, Buffer][] = [
    ['one byte short', good.subarray(0, 11)],
    ['one byte long', Buffer.concat([good, Buffer.of(0)])],
    ['subtype and no value', good.subarray(0, 4)],
    ['beyond the safe integer range', Buffer.concat([good.subarray(0, 4), Buffer.alloc(8, 0xff)])],
  ];
  for (const [what, value] of cases) {
    const p = parseLldpTlvs(withSentAtValue(value));
    assert.ok(p, what);
    assert.equal(p.sentAtMs, undefined, what);
    assert.equal(p.dpid, 0x2an, what);
    assert.equal(p.portNo, 3, what);
  }
  assert.equal(parseLldpTlvs(withSentAtValue(good))?.sentAtMs, 5000, 'the same splice with a good value');
  assert.equal(parseSentAt(Buffer.alloc(3)), undefined);
});

test("Floodlight's timestamp TLV (subtype 1, ms plus latency) is not read as ours", () => {
  const floodlight = Buffer.from(sentAtValue(5000));
  floodlight[3] = 0x01;
  const p = parseLldpTlvs(withSentAtValue(floodlight));
  assert.equal(p?.sentAtMs, undefined);
  assert.equal(p?.dpid, 0x2an);
});

test('a send-time TLV that overruns the payload makes the payload malformed, as any TLV does', () => {
  const tlvs = withSentAtValue(sentAtValue(1));
  const cut = tlvs.subarray(0, tlvs.length - 2 - 4); // drop END and the last 4 value bytes
  assert.equal(parseLldpTlvs(cut), undefined);
});

test('building refuses a send time that is negative or not finite, naming the field', () => {
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER]) {
    assert.throws(() => buildLldp({ chassisDpid: 1n, portNo: 1, sentAtMs: bad }), /sentAtMs/);
  }
});

test('property: any bytes in a send-time TLV never throw and never lose the switch and port', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const value = Buffer.concat([Buffer.from([0x00, 0x26, 0xe1, ORG_SUBTYPE_SENT_AT]), Buffer.from(bytes)]);
      const p = parseLldpTlvs(withSentAtValue(value));
      assert.equal(p?.dpid, 0x2an);
      assert.equal(p.portNo, 3);
      if (value.length !== 12) assert.equal(p.sentAtMs, undefined);
      else if (p.sentAtMs !== undefined) assert.ok(p.sentAtMs >= 0 && Number.isFinite(p.sentAtMs));
    }),
  );
});

test('property: the send time round-trips at microsecond resolution', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 50 }), (us) => {
      const ms = us / 1000;
      const p = parseLldpTlvs(tlvsOf(buildLldp({ chassisDpid: 9n, portNo: 2, sentAtMs: ms })));
      assert.equal(p?.sentAtMs, ms);
    }),
  );
});
