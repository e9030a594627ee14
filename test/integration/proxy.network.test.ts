/**
 * The built-in network adapter through `sluice proxy` on a real dockerd and `sluice agent` (simulated host,
 * embedded store): the plain docker CLI, pointed at the proxy, runs containers with SOCKETPLANE_CIDR or
 * SLUICE_NETWORK in their environment; they start on that Sluice network (through the agent's Docker plugin),
 * ping each other, survive a restart, and `docker rm` frees their addresses. Bad variables fail the create
 * with the adapter named.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  BUSYBOX_IMAGE,
  DOCKER,
  run,
  SLUICE_CLI,
  startHosts,
  startSimAgent,
  waitFor,
  type HostProcess,
  type SimAgent,
  type SimHost,
  type SimHosts,
} from './harness/index.js';

const TOKEN = 'proxy-network-it';
const CIDR = '10.88.0.0/24';
const CIDR_NET = 'cidr-10.88.0.0-24';

let sim: SimHosts;
let h: SimHost;
let agent: SimAgent;
let proxy: HostProcess;
let proxySocket: string;

/** The docker CLI through the proxy. */
const viaProxy = (...args: string[]) =>
  run(DOCKER, args, { env: { ...process.env, DOCKER_HOST: `unix://${proxySocket}` }, timeoutMs: 60_000 });

async function viaProxyOk(...args: string[]): Promise<string> {
  const r = await viaProxy(...args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\nproxy:\n${proxy.output(20)}`);
  return r.stdout.trim();
}

/** The container's eth0 address, read inside it (what the program sees). */
async function addressOf(container: string): Promise<string> {
  const out = await viaProxyOk('exec', container, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0');
  const m = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(out);
  assert.ok(m, `no IPv4 address on eth0 of ${container}: ${out}`);
  return m[1];
}

const endpointAddresses = async () =>
  (await agent.client.endpoints.list({ network: CIDR_NET })).map((e) => e.address).sort();

before(async () => {
  sim = await startHosts({ count: 1 });
  h = sim.hosts[0];
  agent = startSimAgent(h, { token: TOKEN });
  await agent.ready();
  proxySocket = path.join(h.dir, 'proxy.sock');
  const adapters = path.join(h.dir, 'adapters.yml');
  fs.writeFileSync(
    adapters,
    [
      'version: 1',
      'endpoints:',
      '  "POST /*/containers/create":',
      '    pre: [network]',
      'adapters:',
      '  network: builtin:network',
      '',
    ].join('\n'),
  );
  proxy = h.spawn(
    process.execPath,
    [SLUICE_CLI, 'proxy', '--listen', `unix://${proxySocket}`, '--docker', h.dockerHost, '--adapters', adapters,
      '--agent', `http://${h.underlayIp}:6675`, '--agent-token', TOKEN, '--log-format', 'json'], // prettier-ignore
    { name: 'proxy' },
  );
  await waitFor(async () => (await viaProxy('version', '--format', '{{.Server.Version}}')).code === 0, {
    what: 'the proxy to answer',
    timeoutMs: 20_000,
    detail: () => proxy.output(20),
  });
});

after(async () => {
  await proxy?.stop();
  await agent?.proc.stop();
  await sim?.stop();
});

test('SOCKETPLANE_CIDR: the network is made, two containers on it ping each other, rm frees the address', async () => {
  try {
    await viaProxyOk(
      'run',
      '-d',
      '--name',
      'sp1',
      '-e',
      `SOCKETPLANE_CIDR=${CIDR}`,
      BUSYBOX_IMAGE,
      'sleep',
      '300',
    );
    await viaProxyOk(
      'run',
      '-d',
      '--name',
      'sp2',
      '-e',
      `SOCKETPLANE_CIDR=${CIDR}`,
      BUSYBOX_IMAGE,
      'sleep',
      '300',
    );
    const net = await agent.client.networks.get(CIDR_NET);
    assert.equal(net.subnet, CIDR);
    const [a1, a2] = [await addressOf('sp1'), await addressOf('sp2')];
    assert.match(a1, /^10\.88\.0\./);
    assert.match(a2, /^10\.88\.0\./);
    assert.notEqual(a1, a2);
    assert.deepEqual(await endpointAddresses(), [a1, a2].sort());
    await waitFor(async () => (await viaProxy('exec', 'sp2', 'ping', '-c', '1', '-W', '1', a1)).code === 0, {
      what: `sp2 to ping sp1 at ${a1}`,
      timeoutMs: 20_000,
    });

    // restart keeps working: Docker re-joins it through the plugin.
    await viaProxyOk('restart', '-t', '1', 'sp2');
    const again = await addressOf('sp2');
    assert.match(again, /^10\.88\.0\./);
    await waitFor(async () => (await viaProxy('exec', 'sp2', 'ping', '-c', '1', '-W', '1', a1)).code === 0, {
      what: 'sp2 to ping sp1 after its restart',
      timeoutMs: 20_000,
    });

    await viaProxyOk('rm', '-f', 'sp1');
    await waitFor(async () => !(await endpointAddresses()).includes(a1), {
      what: `${a1} to be released after docker rm`,
      timeoutMs: 20_000,
    });
    // The freed address can be taken again.
    await viaProxyOk('run', '-d', '--name', 'sp3', '--ip', a1, '-e', `SOCKETPLANE_CIDR=${CIDR}`, BUSYBOX_IMAGE, 'sleep', '300'); // prettier-ignore
    assert.equal(await addressOf('sp3'), a1);
  } finally {
    await viaProxy('rm', '-f', 'sp1', 'sp2', 'sp3');
  }
});

test('SLUICE_NETWORK joins a named network; a container without either variable is left alone', async () => {
  await agent.client.networks.create({ name: 'blue', subnet: '10.89.0.0/24' });
  try {
    await viaProxyOk(
      'run',
      '-d',
      '--name',
      'sn1',
      '-e',
      'SLUICE_NETWORK=blue',
      BUSYBOX_IMAGE,
      'sleep',
      '300',
    );
    assert.match(await addressOf('sn1'), /^10\.89\.0\./);
    await viaProxyOk('run', '-d', '--name', 'plain', '--net=none', BUSYBOX_IMAGE, 'sleep', '300');
    const mode = await viaProxyOk('inspect', '-f', '{{.HostConfig.NetworkMode}}', 'plain');
    assert.equal(mode, 'none');
  } finally {
    await viaProxy('rm', '-f', 'sn1', 'plain');
    await agent.client.networks.delete('blue', { force: true });
  }
});

test('bad variables and clashes fail the create naming the adapter and the reason; nothing is created', async () => {
  const before = (await viaProxyOk('ps', '-aq')).split('\n').filter(Boolean).length;
  const cases: [string[], RegExp][] = [
    [['-e', 'SOCKETPLANE_CIDR=10.88.0.1/24'], /network.*SOCKETPLANE_CIDR.*host bits.*10\.88\.0\.0\/24/],
    [['-e', 'SOCKETPLANE_CIDR=banana'], /network.*SOCKETPLANE_CIDR.*CIDR/],
    [['-e', 'SLUICE_NETWORK=a', '-e', `SOCKETPLANE_CIDR=${CIDR}`], /network.*both set/],
    [['--net=none', '-e', 'SLUICE_NETWORK=red'], /network.*NetworkMode.*drop --network/],
  ];
  for (const [args, want] of cases) {
    const r = await viaProxy('run', '-d', ...args, BUSYBOX_IMAGE, 'true');
    assert.notEqual(r.code, 0, `docker run ${args.join(' ')} should fail`);
    assert.match(r.stderr, want);
  }
  assert.equal((await viaProxyOk('ps', '-aq')).split('\n').filter(Boolean).length, before);
  // The proxy still serves.
  assert.match(await viaProxyOk('version', '--format', '{{.Server.Version}}'), /^\d+\./);
});
