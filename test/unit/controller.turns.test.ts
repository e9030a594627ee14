import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, TurnScheduler, type Logger } from '../../src/controller/index.js';
import type { Store } from '../../src/store/index.js';
import { FakeSwitch } from './controller.fake-switch.js';
import { waitFor } from '../support/wait.js';

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** A scheduler whose turns run only when the test says so. */
function manualTurns(): { turns: TurnScheduler; pending: Array<() => void>; runTurn(): void } {
  const pending: Array<() => void> = [];
  return {
    turns: new TurnScheduler((run) => pending.push(run)),
    pending,
    runTurn: () => pending.shift()!(),
  };
}

test('one turn handles every queued input in order, then the burst of flushes', () => {
  const { turns, pending, runTurn } = manualTurns();
  const order: string[] = [];
  const input = (name: string) => ({
    handleInput: () => {
      order.push(`in ${name}`);
      assert.equal(turns.inTurn, true);
      turns.queueFlush(() => order.push(`flush ${name}`));
    },
  });
  turns.queueInput(input('a'));
  turns.queueInput(input('b'));
  assert.equal(pending.length, 1, 'one turn for both');
  runTurn();
  assert.deepEqual(order, ['in a', 'in b', 'flush a', 'flush b']);
  assert.equal(turns.inTurn, false);
  assert.equal(pending.length, 0);
});

test('an input that throws does not strand the others: they get the next turn', () => {
  const { turns, pending, runTurn } = manualTurns();
  const handled: string[] = [];
  turns.queueInput({
    handleInput: () => {
      throw new Error('boom');
    },
  });
  turns.queueInput({ handleInput: () => handled.push('b') });
  assert.throws(runTurn, /boom/);
  assert.equal(pending.length, 1, 'the rest is scheduled again');
  runTurn();
  assert.deepEqual(handled, ['b']);
});

const running: Controller[] = [];
const fakes: FakeSwitch[] = [];
after(async () => {
  for (const f of fakes) f.close();
  for (const c of running) await c.stop();
});

test("a controller handles switch input on its own scheduler's turns", async () => {
  const manual = manualTurns();
  const c = new Controller({
    listen: [{ host: '127.0.0.1', port: 0 }],
    log: quiet,
    store: {} as Store,
    turns: manual.turns,
  });
  await c.start();
  running.push(c);
  const f = new FakeSwitch({ dpid: 0x77n });
  fakes.push(f);
  await f.connect(c.addresses[0].port);
  await waitFor(() => manual.pending.length === 1, { what: 'the HELLO queued for a turn', intervalMs: 5 });
  assert.equal(f.of('features_request').length, 0, 'nothing handled before the turn');
  manual.runTurn();
  await waitFor(() => f.of('features_request').length === 1, { what: 'FEATURES_REQUEST', intervalMs: 5 });
  // The rest of the handshake goes through the same scheduler, one turn at a time.
  while (!c.switches.has(0x77n)) {
    await waitFor(() => manual.pending.length > 0 || c.switches.has(0x77n), {
      what: 'the next turn or the switch up',
      intervalMs: 5,
    });
    if (manual.pending.length) manual.runTurn();
  }
  assert.equal(c.switches.get(0x77n)?.connected, true);
});
