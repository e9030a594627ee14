import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, type SwitchSession } from '../../src/controller/index.js';
import type { Store } from '../../src/store/index.js';
import { FakeSwitch } from './controller.fake-switch.js';
import { waitFor } from '../support/wait.js';
import { FakeClock } from '../../src/util/index.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const running: Controller[] = [];
const fakes: FakeSwitch[] = [];
after(async () => {
  for (const f of fakes) f.close();
  for (const c of running) await c.stop();
});

async function setup(dpid: bigint, clock: FakeClock) {
  const c = new Controller({
    listen: [{ host: '127.0.0.1', port: 0 }],
    log: quiet,
    store: {} as Store,
    echoIntervalMs: 1000,
    echoTimeoutMs: 60_000,
    clock,
  });
  await c.start();
  running.push(c);
  const fake = new FakeSwitch({ dpid });
  fakes.push(fake);
  await fake.connect(c.addresses[0].port);
  await waitFor(() => c.switches.has(dpid), { what: `switch ${dpid} connected`, intervalMs: 5 });
  return { c, fake, sw: c.switches.get(dpid)! as SwitchSession };
}

test('echo round trip: measured from the keepalive echo with the injected clock', async () => {
  const clock = new FakeClock();
  const { sw } = await setup(0x71n, clock);
  assert.equal(sw.echoRttMs, undefined, 'nothing measured before an echo');
  clock.advance(1000); // idle for echoIntervalMs: the sweep then sends the keepalive echo
  clock.advance(7); // the reply cannot arrive before this synchronous step
  await waitFor(() => sw.echoRttMs !== undefined, { what: 'echo answered', intervalMs: 5 });
  assert.equal(sw.echoRttMs, 7);
});

test("echo round trip: an app's echo request counts; a reply to an echo we did not send does not", async () => {
  const clock = new FakeClock(5_000);
  const { fake, sw } = await setup(0x72n, clock);
  fake.send({ type: 'echo_reply', data: Buffer.alloc(0), xid: 0x7777 });
  const pending = sw.request({ type: 'echo_request', data: Buffer.alloc(0) });
  clock.advance(3);
  await pending;
  assert.equal(sw.echoRttMs, 3);
  // A later unsolicited reply with any xid changes nothing.
  clock.advance(100);
  fake.send({ type: 'echo_reply', data: Buffer.alloc(0), xid: 0x7777 });
  await sw.barrier();
  assert.equal(sw.echoRttMs, 3);
});
