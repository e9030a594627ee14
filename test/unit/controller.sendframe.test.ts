import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, type Logger } from '../../src/controller/index.js';
import { L2FlowModTemplate, l2FlowMod, type L2FlowVars } from '../../src/openflow/index.js';
import type { Store } from '../../src/store/index.js';
import { FakeSwitch } from './controller.fake-switch.js';
import { waitFor } from '../support/wait.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const running: Controller[] = [];
const switches: FakeSwitch[] = [];
after(async () => {
  for (const s of switches) s.close();
  for (const c of running) await c.stop();
});

const fixed = { cookie: 0x3n << 48n, idleTimeout: 5, hardTimeout: 0, priority: 10, flags: 0 };
const vars: L2FlowVars = {
  bufferId: 42,
  inPort: 1,
  ethSrc: 0x020000000001,
  ethDst: 0x020000000002,
  outPort: 2,
};

for (const version of [1, 4] as const) {
  test(`sendFrame (OF 0x0${version}): the switch reads the precompiled message with the session's xid`, async () => {
    const c = new Controller({ listen: [{ host: '127.0.0.1', port: 0 }], log: quiet, store: {} as Store });
    await c.start();
    running.push(c);
    const sw = new FakeSwitch({ dpid: 0x50n + BigInt(version), versions: [version] });
    switches.push(sw);
    await sw.connect(c.addresses[0].port);
    await waitFor(() => c.switches.has(sw.opts.dpid), { what: 'switch connected', intervalMs: 5 });
    const session = c.switches.get(sw.opts.dpid)!;
    const flowModsBefore = c.metrics.flowMods;
    const xid = session.sendFrame(new L2FlowModTemplate(version, fixed).encode(vars));
    await waitFor(() => sw.of('flow_mod').some((m) => m.xid === xid), {
      what: 'flow_mod received',
      intervalMs: 5,
    });
    const got = sw.of('flow_mod').find((m) => m.xid === xid)!;
    assert.deepStrictEqual(got, { ...l2FlowMod(fixed, vars), version, xid });
    assert.equal(c.metrics.flowMods, flowModsBefore + 1);

    const other = version === 1 ? 4 : 1;
    assert.throws(
      () => session.sendFrame(new L2FlowModTemplate(other, fixed).encode(vars)),
      /^RangeError: frame: not one OpenFlow message of version/,
    );
    const cut = new L2FlowModTemplate(version, fixed).encode(vars).subarray(0, 20);
    assert.throws(() => session.sendFrame(cut), /^RangeError: frame: /);
  });
}
