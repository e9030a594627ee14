import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  L2FlowModTemplate,
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  OpenFlowEncodeError,
  decode,
  encodeMessage,
  l2FlowMod,
  type L2FlowFixed,
  type L2FlowVars,
} from '../../src/openflow/index.js';

const fixedArb: fc.Arbitrary<L2FlowFixed> = fc.record({
  cookie: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  idleTimeout: fc.integer({ min: 0, max: 0xffff }),
  hardTimeout: fc.integer({ min: 0, max: 0xffff }),
  priority: fc.integer({ min: 0, max: 0xffff }),
  flags: fc.integer({ min: 0, max: 0x1f }),
});
const mac = fc.integer({ min: 0, max: 2 ** 48 - 1 });
const varsArb = (portMax: number): fc.Arbitrary<L2FlowVars> =>
  fc.record({
    bufferId: fc.integer({ min: 0, max: 0xffffffff }),
    inPort: fc.integer({ min: 0, max: portMax }),
    ethSrc: mac,
    ethDst: mac,
    outPort: fc.integer({ min: 0, max: portMax }),
  });

for (const [version, portMax] of [
  [OFP_VERSION_1_0, 0xff00],
  [OFP_VERSION_1_3, 0xffffff00],
] as const) {
  test(`L2FlowModTemplate (OF 0x0${version}): same bytes as the codec, and decodes to the same flow`, () => {
    fc.assert(
      fc.property(fixedArb, fc.array(varsArb(portMax), { minLength: 1, maxLength: 5 }), (fixed, varsList) => {
        const t = new L2FlowModTemplate(version, fixed);
        for (const vars of varsList) {
          const bytes = t.encode(vars);
          const body = l2FlowMod(fixed, vars);
          assert.deepStrictEqual(bytes, encodeMessage(body, version, 0));
          assert.deepStrictEqual(decode(bytes), { ...body, version, xid: 0 });
        }
      }),
      { numRuns: 200 },
    );
  });

  test(`L2FlowModTemplate (OF 0x0${version}): values that do not fit are refused, naming the field`, () => {
    const t = new L2FlowModTemplate(version, {
      cookie: 1n,
      idleTimeout: 5,
      hardTimeout: 0,
      priority: 10,
      flags: 0,
    });
    const ok: L2FlowVars = {
      bufferId: 7,
      inPort: 1,
      ethSrc: 0x020000000001,
      ethDst: 0x020000000002,
      outPort: 2,
    };
    const cases: [Partial<L2FlowVars>, string][] = [
      [{ bufferId: -1 }, 'bufferId'],
      [{ bufferId: 2 ** 32 }, 'bufferId'],
      [{ inPort: portMax + 1 }, 'match.in_port'],
      [{ inPort: 1.5 }, 'match.in_port'],
      [{ outPort: 0xffffffff }, 'instructions[0].actions[0].port'],
      [{ ethSrc: 2 ** 48 }, 'match.eth_src'],
      [{ ethDst: -1 }, 'match.eth_dst'],
    ];
    for (const [patch, field] of cases) {
      assert.throws(
        () => t.encode({ ...ok, ...patch }),
        (e: unknown) => e instanceof OpenFlowEncodeError && e.field === field && e.code === 'OF_BAD_FIELD',
        field,
      );
    }
  });
}

test('L2FlowModTemplate: fixed fields are validated by the codec when the template is built', () => {
  const bad = { cookie: 0n, idleTimeout: 70000, hardTimeout: 0, priority: 10, flags: 0 };
  assert.throws(
    () => new L2FlowModTemplate(OFP_VERSION_1_0, bad),
    (e: unknown) => e instanceof OpenFlowEncodeError && e.field === 'idleTimeout',
  );
});
