/**
 * Controller roles in a cluster, against a fake switch that keeps roles and generation ids as OVS does: a
 * cluster's sessions start as slaves and change nothing; master needs the switch's agreement and then brings
 * the switch in line; slave takes effect at once; a stale generation id leaves the controller a slave.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Controller,
  NotMasterError,
  type ClusterContext,
  type Logger,
  type SwitchSession,
} from '../../src/controller/index.js';
import { OFP_VERSION_1_0 } from '../../src/openflow/index.js';
import type { Store } from '../../src/store/index.js';
import { FakeSwitch } from './controller.fake-switch.js';
import { waitFor } from '../support/wait.js';

const warnings: string[] = [];
const log: Logger = {
  debug: () => {},
  info: () => {},
  warn: (_o, msg) => warnings.push(msg ?? ''),
  error: () => {},
};

const cluster: ClusterContext = {
  clusterId: 'c',
  memberId: 'm0',
  isLeader: () => false,
  isMaster: () => false,
  lease: () => undefined,
  onRegistered: () => () => {},
  onLeadership: () => () => {},
};

const running: Controller[] = [];
const switches: FakeSwitch[] = [];
after(async () => {
  for (const s of switches) s.close();
  for (const c of running) await c.stop();
});

async function setup(opts: { versions?: number[] } = {}): Promise<{
  c: Controller;
  sw: FakeSwitch;
  s: SwitchSession;
}> {
  const c = new Controller({
    listen: [{ host: '127.0.0.1', port: 0 }],
    log,
    store: {} as Store,
    requestTimeoutMs: 1000,
    reconcileDebounceMs: 10,
    cluster,
  });
  await c.start();
  running.push(c);
  const sw = new FakeSwitch({ dpid: 7n, ...(opts.versions ? { versions: opts.versions } : {}) });
  switches.push(sw);
  await sw.connect(c.addresses[0].port);
  await waitFor(() => c.switches.has(7n), { what: 'switch announced', intervalMs: 5 });
  return { c, sw, s: c.switches.get(7n)! };
}

const tableMiss = { type: 'flow_mod', command: 0, priority: 0, match: {}, instructions: [] } as never;

test("a cluster's session starts as a slave: told so, and nothing that changes the switch leaves", async () => {
  const { c, sw, s } = await setup();
  assert.equal(s.role, 'slave');
  assert.equal(sw.role, 'slave', 'the switch was told');
  assert.equal(sw.of('flow_mod').length, 0, 'no table-miss flow from a slave');
  s.send({ type: 'packet_out', bufferId: 0xffffffff, inPort: 1, actions: [], data: Buffer.alloc(60) });
  await assert.rejects(s.request(tableMiss), NotMasterError);
  await s.barrier();
  assert.equal(sw.of('packet_out').length, 0);
  assert.ok(c.metrics.slaveDrops >= 2);
});

test('master once the switch agrees, then the switch is brought in line; slave at once', async () => {
  const { c, sw, s } = await setup();
  assert.equal(await c.setRole(7n, 'master', 10n), true);
  assert.equal(s.role, 'master');
  assert.deepEqual([sw.role, sw.generation], ['master', 10n]);
  await waitFor(() => sw.flows.length > 0, { what: "the core's table-miss flows", intervalMs: 5 });
  const slave = c.setRole(7n, 'slave');
  assert.equal(s.role, 'slave', 'before the switch is even asked');
  assert.equal(await slave, true);
  assert.deepEqual([sw.role, sw.generation], ['slave', 10n], 'a slave repeats the newest generation id');
});

test('a stale generation id: the switch refuses and the controller stays a slave', async () => {
  const { c, sw, s } = await setup();
  assert.equal(await c.setRole(7n, 'master', 20n), true);
  await c.setRole(7n, 'slave');
  assert.equal(await c.setRole(7n, 'master', 15n), false);
  assert.equal(s.role, 'slave');
  assert.equal(sw.role, 'slave');
  assert.ok(
    warnings.some((w) => /newer generation id/.test(w)),
    warnings.join('\n'),
  );
});

test('OpenFlow 1.0: the Nicira role extension (no generation id)', async () => {
  const { c, sw, s } = await setup({ versions: [OFP_VERSION_1_0] });
  assert.equal(s.version, OFP_VERSION_1_0);
  assert.equal(sw.role, 'slave');
  assert.equal(await c.setRole(7n, 'master'), true);
  assert.equal(sw.role, 'master');
  assert.equal(await c.setRole(8n, 'master'), false, 'an unknown switch');
});
