/**
 * Proves the simulated-nodes harness before issue 12's tests rely on it: three namespaces with their own OVS,
 * one with an sshd reached by a password login that needs sudo; stopping a node's OVS; a clean teardown.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import {
  canConnect,
  simNodeLeftovers,
  startSimNodes,
  SSH_USER,
  waitFor,
  type SimNodes,
} from './harness/index.js';

let sim: SimNodes | undefined;

before(async () => {
  sim = await startSimNodes({ count: 3, ssh: [3] });
});
after(async () => {
  await sim?.stop();
});

test('each node has its own OVS, management address and data interface', async () => {
  const { nodes } = sim!;
  assert.equal(nodes.length, 3);
  const ids = new Set<string>();
  for (const node of nodes) {
    await node.vsctl('add-br', 'br-test', '--', 'set', 'bridge', 'br-test', 'datapath_type=netdev');
    assert.match(await node.vsctl('show'), /Bridge br-test/, `${node.name}: ovs-vsctl show`);
    ids.add(await node.vsctl('get', 'Open_vSwitch', '.', '_uuid'));
    const ping = await node.exec('ping', ['-c', '1', '-W', '2', sim!.gateway]);
    assert.equal(ping.code, 0, `${node.name} reaches the controller side: ${ping.stdout}${ping.stderr}`);
    const link = await node.exec('ip', ['-o', 'link', 'show', node.dataInterface]);
    assert.equal(link.code, 0, `${node.name} has ${node.dataInterface}: ${link.stderr}`);
  }
  assert.equal(ids.size, 3, 'three separate databases');
  // The data interface as an OVS port counts what arrives on it.
  const [n1] = nodes;
  await n1.vsctl('add-port', 'br-test', n1.dataInterface);
  const before = (await n1.interfaceStatistics()).rx_packets ?? 0;
  await n1.sendData(20);
  const grown = await waitFor(
    async () => {
      const rx = (await n1.interfaceStatistics()).rx_packets ?? 0;
      return rx >= before + 20 && rx;
    },
    {
      what: `${n1.name}'s eth1 rx_packets to grow by 20 (OVS refreshes statistics every 5 s)`,
      timeoutMs: 20_000,
      intervalMs: 500,
      detail: async () => JSON.stringify(await n1.interfaceStatistics()),
    },
  );
  assert.ok(grown >= before + 20);
  for (const node of nodes) await node.vsctl('del-br', 'br-test');
});

test("a node's manager setting dials the controller side over the management network", async () => {
  const n2 = sim!.nodes[1];
  const accepted: string[] = [];
  const server = net.createServer((sock) => accepted.push(sock.remoteAddress ?? '?'));
  await new Promise<void>((resolve) => server.listen(0, sim!.gateway, resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    await n2.vsctl('set-manager', `tcp:${sim!.gateway}:${port}`);
    const conn = await waitFor(
      async () => {
        const c = await n2.connections();
        return c.managers[0]?.connected && c;
      },
      {
        what: `${n2.name}'s manager connection to ${sim!.gateway}:${port}`,
        timeoutMs: 15_000,
        intervalMs: 250,
        detail: async () => JSON.stringify(await n2.connections()),
      },
    );
    assert.deepEqual(conn, {
      managers: [{ target: `tcp:${sim!.gateway}:${port}`, connected: true }],
      controllers: [],
    });
    assert.ok(accepted.includes(n2.address), `connected from ${n2.address}: ${accepted.join(', ')}`);
  } finally {
    await n2.vsctl('del-manager');
    server.close();
  }
});

test('ssh with a password and sudo with it reaches only the ssh node', async () => {
  const [n1, , n3] = sim!.nodes;
  assert.equal(n1.ssh, undefined, 'n1 has no sshd');
  assert.equal(await canConnect(22, n1.address), false, 'nothing listens on n1:22');
  const ssh = n3.ssh!;
  assert.equal(ssh.user, SSH_USER);
  const who = await ssh.run('id -un');
  assert.equal(who.code, 0, `ssh: ${who.stderr}\nsshd: ${ssh.logTail()}`);
  assert.equal(who.stdout.trim(), SSH_USER);
  // Not root, and sudo wants the password: without it (-n) it refuses.
  const noPassword = await ssh.run(`sudo -n ovs-vsctl --db=${n3.ovsdb} show`);
  assert.notEqual(noPassword.code, 0);
  assert.match(noPassword.stderr, /password is required/);
  const show = await ssh.run(`sudo -S -p '' ovs-vsctl --db=${n3.ovsdb} show`, {
    input: `${ssh.password}\n`,
  });
  assert.equal(show.code, 0, `sudo ovs-vsctl show: ${show.stderr}`);
  assert.match(show.stdout, new RegExp(await n3.vsctl('get', 'Open_vSwitch', '.', '_uuid')));
  const wrong = await ssh.run('true', { password: 'not-the-password' });
  assert.notEqual(wrong.code, 0, 'a wrong password is refused');
  assert.ok(fs.existsSync(ssh.keyFile) && fs.existsSync(ssh.knownHosts), 'key pair and known_hosts');
});

test('a node whose OVS is stopped does not answer, and is the same once started again', async () => {
  const n2 = sim!.nodes[1];
  await n2.vsctl('add-br', 'br-keep', '--', 'set', 'bridge', 'br-keep', 'datapath_type=netdev');
  const stateBefore = await n2.snapshot();
  await n2.stopOvs();
  assert.equal(n2.ovsRunning, false);
  await assert.rejects(n2.vsctl('show'), /db\.sock/);
  const stopped = await n2.snapshot();
  assert.equal(await n2.snapshot(), stopped, 'nothing changes a stopped node');
  await n2.startOvs();
  assert.equal(await n2.snapshot(), stateBefore, 'the same database after the restart');
  assert.match(await n2.vsctl('show'), /Bridge br-keep/);
});

test('stop() leaves nothing behind', async () => {
  await sim!.stop();
  sim = undefined;
  assert.deepEqual(await simNodeLeftovers(), {
    processes: [],
    namespaces: [],
    interfaces: [],
    accounts: [],
    dirs: [],
  });
});
