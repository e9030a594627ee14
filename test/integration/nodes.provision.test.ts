/**
 * Issue 12's proof: three simulated nodes (namespaces with their own OVS; n3 reached over SSH as a user who
 * needs sudo) described in one JSON file, applied to a controller whose node listeners are on the management
 * network, and provisioned with `sluice node provision` as a user runs it. Each node ends up with its manager
 * and controller connected over SSL, br-int and the data bridge; the controller lists them in their zones with
 * live interface statistics; a second run changes nothing; a node whose OVS is stopped, a data interface OVS
 * cannot open and a wrong SSH password fail clearly and leave the node as it was.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  sluiceCli,
  startNodesController,
  startSimNodes,
  waitFor,
  type NodesController,
  type SimNode,
  type SimNodes,
} from './harness/index.js';

const TOKEN = 'nodes-provision-it-token';
const ZONES: Record<string, string> = { n1: 'tz-a', n2: 'tz-a', n3: 'tz-b' };

let sim: SimNodes;
let nodes: NodesController;
let dir: string;
let file: string;

function descriptionOf(n: SimNode) {
  const ssh = n.ssh;
  return {
    type: 'hypervisor',
    name: n.name,
    management_address: n.address,
    transport_zone: ZONES[n.name],
    data_interface: n.dataInterface,
    ovsdb: n.ovsdb,
    pki_dir: n.pkiDir,
    datapath_type: 'netdev',
    access: ssh
      ? { kind: 'ssh', user: ssh.user, port: ssh.port, known_hosts: ssh.knownHosts, sudo: true }
      : { kind: 'local' },
  };
}

function writeDescriptions(name: string, edit: (d: ReturnType<typeof descriptionOf>) => object = (d) => d) {
  const cluster = {
    controllers: [{ address: sim.gateway, ovsdb_port: nodes.ovsdbPort, openflow_port: nodes.openflowPort }],
  };
  const f = path.join(dir, name);
  fs.writeFileSync(
    f,
    JSON.stringify({ cluster, nodes: sim.nodes.map((n) => edit(descriptionOf(n))) }, null, 2),
  );
  return f;
}

const sluice = (args: string[], input?: string) =>
  sluiceCli(nodes.ctl, [...args, '--token', TOKEN], { input, timeoutMs: 120_000 });

/** `sluice node provision NAME` (n3 over SSH: its password and sudo's on standard input). */
function provision(n: SimNode, extra: string[] = [], password = n.ssh?.password) {
  const stdin = n.ssh ? ['--password-stdin', '--sudo-password-stdin'] : [];
  return sluice(
    ['node', 'provision', n.name, ...stdin, ...extra],
    n.ssh ? `${password}\n${n.ssh.password}\n` : undefined,
  );
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-provision-it-'));
  sim = await startSimNodes({ count: 3, ssh: [3] });
  nodes = await startNodesController(TOKEN, sim.gateway);
  file = writeDescriptions('nodes.json');
  const applied = await sluice(['node', 'apply', file]);
  assert.equal(applied.code, 0, applied.stderr);
});

after(async () => {
  await nodes?.ctl.stop();
  await sim?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('three nodes, one over SSH with sudo, provisioned from one file: connected over SSL, in their zones', async () => {
  const { api } = nodes;
  for (const n of sim.nodes) {
    const r = await provision(n);
    assert.equal(r.code, 0, `${n.name}:\n${r.stdout}\n${r.stderr}`);
    // Progress step by step, as the seed's transcript had it, then what the run did.
    assert.match(r.stdout, /^Provisioning \S+ \(hypervisor, zone tz-.\) on /m);
    assert.match(r.stdout, /\[1\/\d+\] Open vSwitch is installed and running \.\.\. (ok|changed)/);
    assert.match(r.stdout, new RegExp(`${n.name}: (provisioned|nothing to change)`));
  }
  for (const n of sim.nodes) {
    const seen = await waitFor(
      async () => {
        const c = await n.connections();
        const up = (l: { target: string; connected: boolean }[]) =>
          l.length > 0 && l.every((x) => x.connected && x.target.startsWith(`ssl:${sim.gateway}:`));
        return up(c.managers) && up(c.controllers) && c;
      },
      {
        what: `${n.name}: manager and controller connected over SSL`,
        timeoutMs: 30_000,
        intervalMs: 250,
        detail: async () => `${await n.vsctl('show')}\ncontroller log:\n${nodes.ctl.logTail(20)}`,
      },
    );
    assert.deepEqual(
      seen.managers.map((m) => m.target),
      [`ssl:${sim.gateway}:${nodes.ovsdbPort}`],
    );
    const show = await n.vsctl('show');
    assert.match(show, /Bridge br-int/, `${n.name}: ${show}`);
    assert.match(show, /Bridge br-eth1\n(.|\n)*Port eth1/, `${n.name}: ${show}`);
  }
  // The controller sees them all, in their zones.
  const zones = await waitFor(
    async () => {
      const r = await api<{ name: string; nodes: string[]; connected: number }[]>(
        'GET',
        '/api/v1/transport-zones',
      );
      const z = Object.fromEntries(r.body.map((x) => [x.name, x]));
      return z['tz-a']?.connected === 2 && z['tz-b']?.connected === 1 && z;
    },
    { what: 'both zones with every node connected', timeoutMs: 30_000, intervalMs: 250 },
  );
  assert.deepEqual([...zones['tz-a'].nodes].sort(), ['n1', 'n2']);
  assert.deepEqual(zones['tz-b'].nodes, ['n3']);
  // Live interface statistics: what arrives on n1's data interface shows in the controller's counters.
  const n1 = sim.nodes[0];
  const stats = async () =>
    (
      await api<{ statistics: Record<string, number> }>(
        'GET',
        `/api/v1/transport-nodes/n1/interfaces/${n1.dataInterface}/stats`,
      )
    ).body.statistics?.rx_packets;
  const before = await waitFor(async () => (await stats()) ?? false, {
    what: 'statistics of n1:eth1',
    timeoutMs: 20_000,
    intervalMs: 250,
  });
  await n1.sendData(30);
  await waitFor(async () => ((await stats()) ?? 0) >= before + 30, {
    what: "n1:eth1 rx_packets to grow by 30 in the controller's view (OVS refreshes every 5 s)",
    timeoutMs: 30_000,
    intervalMs: 500,
  });

  // A second run changes nothing, locally and over SSH, and says so.
  for (const n of [sim.nodes[0], sim.nodes[2]]) {
    const snap = await n.snapshot();
    const again = await provision(n);
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      new RegExp(`${n.name}: nothing to change \\(all \\d+ steps already as described\\)`),
    );
    assert.doesNotMatch(again.stdout, /\.\.\. changed/);
    assert.equal(await n.snapshot(), snap, `${n.name} is unchanged`);
  }
});

test('a node whose OVS is stopped fails at that step and is left as it was', async () => {
  const n2 = sim.nodes[1];
  await n2.stopOvs();
  try {
    const snap = await n2.snapshot();
    const r = await provision(n2);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /\[1\/\d+\] Open vSwitch is installed and running \.\.\. FAILED/);
    assert.match(r.stdout, /ovsdb-server does not answer at unix:.*db\.sock: start Open vSwitch/);
    assert.match(r.stderr, /n2: step 1\/\d+ \(ovs\) failed; nothing had been changed/);
    assert.equal(await n2.snapshot(), snap, 'n2 is unchanged');
  } finally {
    await n2.startOvs();
  }
});

test('a data interface OVS cannot open fails that step, and the run is undone', async () => {
  const n2 = sim.nodes[1];
  const wrong = writeDescriptions('eth9.json', (d) =>
    d.name === 'n2' ? { ...d, data_interface: 'eth9' } : d,
  );
  const snap = await n2.snapshot();
  const r = await provision(n2, ['--file', wrong]);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /Data bridge with the data interface \.\.\. FAILED/);
  assert.match(
    r.stdout,
    /data_interface: Open vSwitch on node n2 .* cannot use eth9: could not open network device eth9/,
  );
  assert.match(r.stderr, /n2: step \d+\/\d+ \(data-bridge\) failed/);
  assert.equal(await n2.snapshot(), snap, 'n2 is as it was');
});

test('a wrong SSH password is a clear error and changes nothing', async () => {
  const n3 = sim.nodes[2];
  const snap = await n3.snapshot();
  const r = await provision(n3, [], 'not-the-password');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /sln-prov@10\.76\.0\.13.*(password|authentication)/i, r.stderr);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  assert.equal(await n3.snapshot(), snap);
});

test('node history shows each applied revision', async () => {
  const edited = writeDescriptions('edited.json', (d) =>
    d.name === 'n1' ? { ...d, description: 'rack 4' } : d,
  );
  const applied = await sluice(['node', 'apply', edited]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /n1: updated \(revision \d+\)/);
  const r = await sluice(['node', 'history', 'n1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const revisions = JSON.parse(r.stdout) as {
    revision: number;
    change: string;
    description?: { description?: string };
  }[];
  assert.deepEqual(
    revisions.map((x) => x.revision),
    revisions.map((_, i) => i + 1),
  );
  assert.equal(revisions[0].change, 'created');
  const last = revisions.at(-1)!;
  assert.equal(last.change, 'updated');
  assert.equal(last.description?.description, 'rack 4');
  const human = await sluice(['node', 'history', 'n1']);
  assert.match(human.stdout, /^REVISION +CHANGE/m);
  assert.match(human.stdout, new RegExp(`^${last.revision} +updated`, 'm'));
});
