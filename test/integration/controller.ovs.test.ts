/**
 * The controller against a real Open vSwitch (userspace datapath): handshakes with 1.0 and 1.3, the
 * table-miss entry, stats, and a controller restart that leaves the switch's flows untouched.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  allFlowsRequest,
  Controller,
  SLUICE_PIPELINE,
  appCookie,
  type App,
  type Logger,
  type SwitchSession,
} from '../../src/controller/index.js';
import { OFPP, type OfVersion } from '../../src/openflow/index.js';
import type { Store } from '../../src/store/index.js';
import { addTestBridge, deleteBridge, dumpFlows, ensureOvs, freePort, waitFor } from './harness/index.js';

const lines: string[] = [];
const log: Logger = {
  debug: () => {},
  info: (o, m) => lines.push(`info ${m} ${JSON.stringify(o, bigintJson)}`),
  warn: (o, m) => lines.push(`warn ${m} ${JSON.stringify(o, bigintJson)}`),
  error: (o, m) => lines.push(`error ${m} ${JSON.stringify(o, bigintJson)}`),
};
function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString(16) : v;
}

const BRIDGES = ['sitctl10', 'sitctl13', 'sitctlboth'];
const controllers: Controller[] = [];
let port: number;

before(async () => {
  await ensureOvs();
  port = await freePort();
});

after(async () => {
  for (const c of controllers) await c.stop();
  for (const b of BRIDGES) await deleteBridge(b);
});

/** An app that wants one permanent flow: drop LLDP from the LOCAL port (harmless on a test bridge). */
const staticApp: App = {
  name: 'itstatic',
  cookie: appCookie(0x77),
  desiredFlows: () => [
    {
      tableId: 0,
      priority: 1234,
      match: { in_port: OFPP.LOCAL, eth_type: 0x88cc },
      instructions: [],
    },
  ],
};

async function startController(): Promise<Controller> {
  const c = new Controller({
    listen: [{ host: '127.0.0.1', port }],
    log,
    store: {} as Store,
    echoIntervalMs: 2000,
    echoTimeoutMs: 6000,
    // The test app's flow gets a band of its own in the filter stage.
    pipeline: {
      ...SLUICE_PIPELINE,
      bands: [
        ...SLUICE_PIPELINE.bands,
        {
          app: 'itstatic',
          role: 'test',
          stage: 'filter',
          of13: [1234, 1234],
          of10: [1234, 1234],
          intent: true,
        },
      ],
    },
  });
  c.use(staticApp);
  await c.start();
  controllers.push(c);
  return c;
}

async function switchUp(c: Controller, dpid: bigint, version: OfVersion): Promise<SwitchSession> {
  return waitFor(() => c.switches.get(dpid)?.version === version && c.switches.get(dpid), {
    what: `OVS datapath ${dpid.toString(16)} to connect with version ${version}`,
    timeoutMs: 30_000,
    detail: () => lines.slice(-20).join('\n'),
  });
}

test('OVS connects with 1.3, gets the table-miss entry and app intent, answers stats; restart changes nothing', async () => {
  const dpid = 0x5113n;
  let c = await startController();
  await addTestBridge('sitctl13', {
    protocols: 'OpenFlow13',
    controllers: [`tcp:127.0.0.1:${port}`],
    failMode: 'secure',
    dpid: dpid.toString(16).padStart(16, '0'),
  });
  let sw = await switchUp(c, dpid, 4);
  assert.equal(sw.desc?.mfrDesc, 'Nicira, Inc.');
  assert.ok(sw.ports.has(OFPP.LOCAL), 'LOCAL port described');

  const flows = await waitFor(
    async () => {
      const f = await dumpFlows('sitctl13');
      return f.some((l) => l.includes('priority=1234')) && f;
    },
    { what: 'app flow on the switch' },
  );
  // Each table's miss entry goes on to the next table; the last one's sends packets to the controller.
  const misses = flows.filter((l) => /priority=0\b/.test(l));
  assert.equal(misses.length, 3, `three table-miss entries in ${flows.join('; ')}`);
  assert.equal(misses.filter((l) => /goto_table:[12]/.test(l)).length, 2);
  const miss = misses.find((l) => l.includes('CONTROLLER'));
  assert.ok(miss, `table-miss entry to the controller in ${flows.join('; ')}`);
  assert.match(miss, /cookie=0xffff000000000000/);
  assert.match(miss, /actions=CONTROLLER:65535/);

  const portStats = await sw.stats({ kind: 'port', portNo: OFPP.ANY });
  assert.ok(portStats.ports.some((p) => p.portNo === OFPP.LOCAL));
  const tables = await sw.stats({ kind: 'table' });
  assert.ok(tables.tables.length > 0);
  await sw.barrier();

  // Restart: the new controller finds the intent in place and sends no flow mods.
  await c.stop();
  c = await startController();
  sw = await switchUp(c, dpid, 4);
  await waitFor(() => c.metrics.reconcileRuns >= 2, { what: 'core and app reconcile runs' });
  await sw.barrier();
  assert.equal(c.metrics.flowMods, 0, 'no flow mods after restart');
  const after = await dumpFlows('sitctl13');
  assert.deepEqual(after.sort(), flows.sort());
  await c.stop();
});

test('OVS connects with 1.0; a bridge speaking both negotiates 1.3', async () => {
  const c = await startController();
  await addTestBridge('sitctl10', {
    protocols: 'OpenFlow10',
    controllers: [`tcp:127.0.0.1:${port}`],
    failMode: 'secure',
    dpid: '0000000000005110',
  });
  await addTestBridge('sitctlboth', {
    protocols: 'OpenFlow10,OpenFlow13',
    controllers: [`tcp:127.0.0.1:${port}`],
    failMode: 'secure',
    dpid: '0000000000005111',
  });
  const sw10 = await switchUp(c, 0x5110n, 1);
  assert.ok(sw10.ports.has(OFPP.LOCAL));
  assert.equal(sw10.desc?.mfrDesc, 'Nicira, Inc.');
  const flows10 = await waitFor(
    async () => {
      const f = await dumpFlows('sitctl10', 'OpenFlow10');
      return f.some((l) => l.includes('priority=1234')) && f;
    },
    { what: 'app flow on the 1.0 switch' },
  );
  assert.ok(!flows10.some((l) => l.includes('priority=0')), 'no table-miss flow on 1.0');
  const agg = await sw10.stats(allFlowsRequest('aggregate'));
  assert.equal(agg.flowCount, 1);
  await switchUp(c, 0x5111n, 4);

  // Restart against the 1.0 switch too: its flows are read back and nothing is rewritten.
  await c.stop();
  const c2 = await startController();
  const again = await switchUp(c2, 0x5110n, 1);
  await switchUp(c2, 0x5111n, 4);
  await switchUp(c2, 0x5113n, 4);
  // Each switch: one run for the app, and on the 1.3 ones one before it for the core (table-miss) owner.
  await waitFor(() => c2.metrics.reconcileRuns >= 5, { what: 'reconcile runs on all three switches' });
  await again.barrier();
  assert.equal(c2.metrics.flowMods, 0, 'no flow mods after restart');
  assert.deepEqual((await dumpFlows('sitctl10', 'OpenFlow10')).sort(), flows10.sort());
});
