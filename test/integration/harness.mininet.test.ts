/**
 * Proves the integration harness on real OVS (userspace datapath) and Mininet, with ovs-testcontroller (Open
 * vSwitch's C L2 learning switch) as the controller, so the harness is trusted before Sluice's own tests use it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ensureOvs,
  isAlive,
  leftovers,
  listBridges,
  ownedBridges,
  MininetNet,
  ovsTestControllerCommand,
  startController,
  waitFor,
  type RunningController,
} from './harness/index.js';

const pidsSeen: number[] = [];
const driverPids: number[] = [];

for (const protocols of ['OpenFlow10', 'OpenFlow13'] as const) {
  describe(`harness: linear,3 with ovs-testcontroller over ${protocols}`, () => {
    let ctl: RunningController;
    let net: MininetNet;

    before(async () => {
      await ensureOvs();
      ctl = await startController({ command: ovsTestControllerCommand() });
      net = await MininetNet.start({ topo: 'linear,3', protocols, controllerPort: ctl.openflowPort });
      pidsSeen.push(...net.pids, ctl.proc.pid!, net.proc.pid!);
      driverPids.push(net.proc.pid!);
    });
    after(async () => {
      await net?.stop();
      await ctl?.stop();
    });

    test('the network is what linear,3 describes, on userspace bridges at the requested version', async () => {
      assert.deepEqual(
        net.hosts.map((h) => [h.name, h.ip, h.mac]),
        [
          ['h1', '10.0.0.1', '00:00:00:00:00:01'],
          ['h2', '10.0.0.2', '00:00:00:00:00:02'],
          ['h3', '10.0.0.3', '00:00:00:00:00:03'],
        ],
      );
      assert.deepEqual(
        net.switches.map((s) => s.dpid),
        ['0000000000000001', '0000000000000002', '0000000000000003'],
      );
      const bridges = await listBridges();
      for (const s of ['s1', 's2', 's3']) assert.ok(bridges.includes(s), `bridge ${s} exists`);
      const offload = await net.exec('h1', ['ethtool', '-k', 'h1-eth0']);
      assert.match(offload.stdout, /tx-checksumming: off/, 'tx offload is off on host interfaces');
    });

    test('pingall reaches 0% loss', async () => {
      const r = await net.pingallUntil(0, 20_000);
      assert.equal(r.lossPct, 0);
      assert.equal(r.pairs.length, 6);
      assert.ok(r.pairs.every((p) => p.ok));
    });

    test('a link down cuts h1 off and up restores it', async () => {
      await net.link('s1', 's2', 'down');
      const cut = await net.ping('h1', 'h2', { count: 1 });
      assert.equal(cut.received, 0, 'no reply across a down link');
      const partial = await net.pingall();
      const h2h3 = partial.pairs.filter((p) => ['h2', 'h3'].includes(p.src) && ['h2', 'h3'].includes(p.dst));
      assert.ok(
        h2h3.every((p) => p.ok),
        'h2 and h3 still reach each other',
      );
      assert.ok(partial.pairs.filter((p) => p.src === 'h1' || p.dst === 'h1').every((p) => !p.ok));
      await net.link('s1', 's2', 'up');
      assert.equal((await net.pingallUntil(0, 20_000)).lossPct, 0);
    });

    test('a switch restart breaks the path until the switch is back and reconnected', async () => {
      await net.stopSwitch('s2');
      assert.ok(!(await listBridges()).includes('s2'), 'bridge s2 deleted');
      assert.equal((await net.ping('h1', 'h3')).received, 0);
      await net.startSwitch('s2');
      assert.equal((await net.pingallUntil(0, 30_000)).lossPct, 0);
    });

    test('a controller kill -9 and restart on the same port: the network still works', async () => {
      await ctl.kill();
      assert.equal(ctl.proc.running, false);
      await ctl.restart();
      assert.equal(ctl.proc.running, true);
      assert.equal((await net.pingallUntil(0, 30_000)).lossPct, 0);
    });

    test('TCP works through the userspace datapath (iperf3, 1 s)', async () => {
      const server = await net.bg('h3', ['iperf3', '-s', '-1']);
      await waitFor(
        async () => (await net.exec('h3', ['ss', '-Hltn', 'sport = :5201'])).stdout.includes('5201'),
        {
          what: 'iperf3 server listening in h3',
        },
      );
      const client = await net.exec('h1', ['iperf3', '-c', net.host('h3').ip, '-t', '1', '-J'], {
        timeoutMs: 20_000,
      });
      assert.equal(client.code, 0, client.stderr || client.stdout);
      const report = JSON.parse(client.stdout) as { end: { sum_received: { bits_per_second: number } } };
      assert.ok(report.end.sum_received.bits_per_second > 1e6, 'more than 1 Mbit/s');
      const done = await server.kill();
      assert.match(done.stdout, /receiver|Server listening/);
    });
  });
}

test('afterwards no bridge, interface, namespace or process of the harness is left', async () => {
  assert.ok(pidsSeen.length > 0 && driverPids.length === 2, 'the suites above ran');
  assert.deepEqual(
    pidsSeen.filter((p) => isAlive(p)),
    [],
    'every process gone',
  );
  // By owner, not by name: on a shared machine another network may already use the names s1..s3.
  assert.deepEqual(
    (await ownedBridges()).filter((b) => driverPids.includes(b.owner)),
    [],
    'every bridge gone',
  );
  assert.deepEqual(await leftovers(), {
    mininets: [],
    processes: [],
    bridges: [],
    namespaces: [],
    interfaces: [],
    accounts: [],
  });
});
