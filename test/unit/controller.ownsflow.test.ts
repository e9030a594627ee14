/** App.ownsFlow: ownership by the app's judgement (users' cookies), through the real controller and codec. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, appCookie, flowModAdd, type App, type Logger } from '../../src/controller/index.js';
import { OFPFC, OFP_VERSION_1_3, type FlowStatsEntry } from '../../src/openflow/index.js';
import type { Store } from '../../src/store/index.js';
import { FakeSwitch } from './controller.fake-switch.js';
import { waitFor } from '../support/wait.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const running: Controller[] = [];
const fakes: FakeSwitch[] = [];
after(async () => {
  for (const f of fakes) f.close();
  for (const c of running) await c.stop();
});

const APP = appCookie(10);
const USER_COOKIE = 0x1234n;
const userFlow = { tableId: 0, priority: 50, match: { in_port: 1 }, instructions: [], cookie: USER_COOKIE };

function flow(over: Partial<FlowStatsEntry>): FlowStatsEntry {
  return {
    tableId: 0,
    durationSec: 0,
    durationNsec: 0,
    priority: 50,
    idleTimeout: 0,
    hardTimeout: 0,
    flags: 0,
    cookie: USER_COOKIE,
    packetCount: 5n,
    byteCount: 500n,
    match: { in_port: 1 },
    instructions: [],
    ...over,
  };
}

async function boot(app: App, flows: FlowStatsEntry[], versions = [4]) {
  const c = new Controller({
    listen: [{ host: '127.0.0.1', port: 0 }],
    log: quiet,
    store: {} as Store,
    reconcileDebounceMs: 10,
  });
  c.use(app);
  await c.start();
  running.push(c);
  const f = new FakeSwitch({ dpid: 0x70n, flows, versions });
  fakes.push(f);
  await f.connect(c.addresses[0].port);
  await waitFor(() => c.switches.has(0x70n), { what: 'connected', intervalMs: 5 });
  return { c, f };
}

test('flowModAdd keeps a cookie outside the owner space only when told the app owns by ownsFlow', () => {
  assert.throws(() => flowModAdd(userFlow, APP, OFP_VERSION_1_3), /outside the owner's cookie space/);
  const m = flowModAdd(userFlow, APP, OFP_VERSION_1_3, { anyCookie: true });
  assert.equal((m as { cookie: bigint }).cookie, USER_COOKIE);
});

for (const versions of [[1], [4]]) {
  test(`a user-cookie flow is pushed once, never re-added, and stale owned flows go (OpenFlow ${versions[0] === 1 ? '1.0' : '1.3'})`, async () => {
    const stale = flow({ cookie: APP | 7n, priority: 60, match: { in_port: 2 } });
    const foreign = flow({ cookie: appCookie(3), priority: 60, match: { in_port: 3 } });
    const app: App = {
      name: 'staticflows',
      cookie: APP,
      desiredFlows: () => [userFlow],
      ownsFlow: (_sw, f) =>
        (f.cookie & (0xffffn << 48n)) === APP || (f.cookie === USER_COOKIE && f.priority === 50),
    };
    const { c, f } = await boot(app, [stale, foreign], versions);
    await waitFor(() => f.flows.some((x) => x.cookie === USER_COOKIE), {
      what: 'user-cookie flow added',
      intervalMs: 5,
    });
    await waitFor(() => !f.flows.includes(stale), { what: 'stale flow of the app removed', intervalMs: 5 });
    assert.ok(f.flows.includes(foreign), 'other apps’ flows untouched');
    const adds = () =>
      f.of('flow_mod').filter((m) => m.command === OFPFC.ADD && m.cookie === USER_COOKIE).length;
    assert.equal(adds(), 1);
    // Reconciling again finds it in place: no second ADD (which would reset its counters).
    const runs = c.metrics.reconcileRuns;
    c.requestReconcile('staticflows');
    await waitFor(() => c.metrics.reconcileRuns > runs, { what: 'second reconcile', intervalMs: 5 });
    assert.equal(adds(), 1);
  });
}
