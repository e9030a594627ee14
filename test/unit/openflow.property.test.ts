import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FrameReader,
  OpenFlowDecodeError,
  OpenFlowEncodeError,
  decode,
  encode,
  type OfMessage,
} from '../../src/openflow/index.js';
import { message } from './openflow.arbitraries.js';
import { VERSIONS, sampleMessages } from './openflow.helpers.js';

for (const v of VERSIONS) {
  test(`property: decode(encode(m)) deep-equals m for generated OF 0x0${v} messages`, () => {
    fc.assert(
      fc.property(message(v), (m) => {
        const bytes = encode(m);
        assert.deepStrictEqual(decode(bytes), m);
      }),
      { numRuns: 3000 },
    );
  });
}

test('property: FrameReader yields the same frames however the stream is cut', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(...VERSIONS.map(message)), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (msgs, cuts) => {
        const frames = msgs.map(encode);
        const stream = Buffer.concat(frames);
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const fr = new FrameReader();
        const got: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) {
          got.push(...fr.push(stream.subarray(prev, p)));
          prev = p;
        }
        assert.deepStrictEqual(got, frames);
        assert.equal(fr.buffered, 0);
      },
    ),
    { numRuns: 500 },
  );
});

function decodeOnlyThrowsDecodeErrors(frame: Buffer): void {
  try {
    decode(frame);
  } catch (e) {
    if (!(e instanceof OpenFlowDecodeError)) throw e;
    assert.equal(typeof e.ofpErrType, 'number');
    assert.equal(typeof e.ofpErrCode, 'number');
  }
}

test('fuzz: random bytes with a plausible header never crash decode', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(1, 4, 2, 6),
      fc.integer({ min: 0, max: 32 }),
      fc.uint8Array({ maxLength: 300 }),
      (version, type, body) => {
        const frame = Buffer.concat([Buffer.from([version, type, 0, 0, 0, 0, 0, 1]), Buffer.from(body)]);
        frame.writeUInt16BE(frame.length, 2);
        decodeOnlyThrowsDecodeErrors(frame);
      },
    ),
    { numRuns: 20000 },
  );
});

test('fuzz: fully random buffers never crash decode', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => decodeOnlyThrowsDecodeErrors(Buffer.from(b))),
    { numRuns: 5000 },
  );
});

test('fuzz: mutated and truncated valid frames never crash decode', () => {
  const frames = VERSIONS.flatMap((v) => sampleMessages(v).map(encode));
  fc.assert(
    fc.property(
      fc.constantFrom(...frames),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      (orig, flips, cut) => {
        const f = Buffer.from(orig);
        for (const [at, val] of flips) f[8 + (at % Math.max(1, f.length - 8))] = val;
        decodeOnlyThrowsDecodeErrors(f);
        // Truncated copy with a consistent header length: bodies must be checked against the buffer.
        const t = Buffer.from(f.subarray(0, Math.max(8, cut % (f.length + 1))));
        t.writeUInt16BE(t.length, 2);
        decodeOnlyThrowsDecodeErrors(t);
      },
    ),
    { numRuns: 20000 },
  );
});

test('property: whatever decodes re-encodes (or names the field it cannot) and decodes to the same message', () => {
  const frames = VERSIONS.flatMap((v) => sampleMessages(v).map(encode));
  fc.assert(
    fc.property(
      fc.constantFrom(...frames),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
      (orig, flips) => {
        const f = Buffer.from(orig);
        for (const [at, val] of flips) f[8 + (at % Math.max(1, f.length - 8))] = val;
        let m: OfMessage;
        try {
          m = decode(f);
        } catch (e) {
          if (e instanceof OpenFlowDecodeError) return;
          throw e;
        }
        let again: Buffer;
        try {
          again = encode(m);
        } catch (e) {
          // e.g. a port name filling all 16 bytes with no NUL: decodable, but not ours to send
          if (e instanceof OpenFlowEncodeError) return;
          throw e;
        }
        assert.deepStrictEqual(decode(again), m);
      },
    ),
    { numRuns: 10000 },
  );
});
