/**
 * `sluice-cni` as a runtime drives it (CNI_* env, network config on stdin) against a real `sluice agent` on
 * one simulated host (embedded store): ADD plumbs a plain network namespace, CHECK passes, DEL removes the
 * endpoint and its veth and is idempotent; VERSION and bad configs answer per the spec.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { AgentClient } from '../../src/client/node.js';
import { CNI_ERR } from '../../src/agent/cni.js';
import {
  REPO_ROOT,
  SLUICE_CLI,
  startHosts,
  waitFor,
  type HostProcess,
  type SimHost,
  type SimHosts,
} from './harness/index.js';

const TOKEN = 'it-cni-token';
const CNI_BIN = path.join(REPO_ROOT, 'dist/src/agent/cnimain.js');
const NS = 'slhcni1';
const NETNS = `/var/run/netns/${NS}`;
let sim: SimHosts;
let host: SimHost;
let agent: HostProcess;
let client: AgentClient;
let agentUrl: string;

before(async () => {
  sim = await startHosts({ count: 1 });
  host = sim.hosts[0];
  agentUrl = `http://${host.underlayIp}:6675`;
  agent = host.spawn(
    process.execPath,
    [SLUICE_CLI, 'agent', '--store', 'embedded', '--data-dir', path.join(host.dir, 'agent-store'),
      '--host-id', host.name, '--underlay-iface', host.underlayIface, '--ovsdb', host.ovsdb,
      '--docker', host.dockerHost, '--listen', host.underlayIp, '--api-token', TOKEN, '--log-format', 'json'],
    { name: 'agent-cni' },
  ); // prettier-ignore
  client = new AgentClient({ baseUrl: agentUrl, token: TOKEN });
  await waitFor(async () => (await client.health()).status === 'ok', {
    what: 'the agent to answer',
    timeoutMs: 30_000,
    detail: () => agent.output(30),
  });
  const made = await host.exec('ip', ['netns', 'add', NS]);
  assert.equal(made.code, 0, made.stderr);
});

after(async () => {
  await host?.exec('ip', ['netns', 'del', NS]);
  await agent?.stop(3000).catch(() => undefined);
  await sim?.stop();
});

/** One plugin invocation inside the host, as a runtime makes it. */
async function cni(
  command: string,
  config: Record<string, unknown> | undefined,
  env: Record<string, string> = {},
): Promise<{ code: number; out: any; stderr: string }> {
  const r = await host.exec(process.execPath, [CNI_BIN], {
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: 'cni-ctr1',
      CNI_NETNS: NETNS,
      CNI_IFNAME: 'eth0',
      CNI_PATH: path.dirname(CNI_BIN),
      ...env,
    },
    input: config === undefined ? '' : JSON.stringify(config),
    timeoutMs: 30_000,
  });
  return { code: r.code, out: r.stdout.trim() === '' ? undefined : JSON.parse(r.stdout), stderr: r.stderr };
}

const conf = (extra: Record<string, unknown> = {}) => ({
  cniVersion: '1.0.0',
  name: 'cninet',
  type: 'sluice',
  network: 'cnblue',
  agent: agentUrl,
  token: TOKEN,
  ...extra,
});

test('ADD, CHECK, DEL (twice) on a plain netns through the running agent', async () => {
  await client.networks.create({ name: 'cnblue', subnet: '10.57.0.0/24' });

  const add = await cni('ADD', conf());
  assert.equal(add.code, 0, JSON.stringify(add.out) + add.stderr);
  assert.equal(add.out.cniVersion, '1.0.0');
  assert.deepEqual(
    add.out.interfaces.map((i: any) => [i.name, i.sandbox]),
    [['eth0', NETNS]],
  );
  const ip = add.out.ips[0];
  assert.match(ip.address, /^10\.57\.0\.\d+\/24$/);
  assert.equal(ip.gateway, '10.57.0.1');
  assert.equal(ip.interface, 0);

  const inNs = await host.exec('ip', ['-n', NS, '-o', 'addr', 'show', 'dev', 'eth0']);
  assert.equal(inNs.code, 0, inNs.stderr);
  assert.ok(inNs.stdout.includes(`inet ${ip.address}`), inNs.stdout);
  const link = await host.exec('ip', ['-n', NS, '-o', 'link', 'show', 'dev', 'eth0']);
  assert.match(link.stdout, /mtu 1450/);
  assert.ok(link.stdout.includes(add.out.interfaces[0].mac), link.stdout);

  const check = await cni('CHECK', conf({ prevResult: add.out }));
  assert.equal(check.code, 0, JSON.stringify(check.out) + check.stderr);

  const eps = await client.endpoints.list({ network: 'cnblue' });
  assert.equal(eps.length, 1);
  const [ep] = eps;
  assert.equal(ep.containerId, 'cni-ctr1');
  assert.equal(ep.kind, 'cni');
  assert.equal(ep.cidr, ip.address);
  assert.equal((await host.exec('ip', ['link', 'show', ep.hostIface])).code, 0, 'no host-side veth');

  const del = await cni('DEL', conf());
  assert.equal(del.code, 0, JSON.stringify(del.out) + del.stderr);
  assert.deepEqual(await client.endpoints.list({ network: 'cnblue' }), []);
  assert.notEqual((await host.exec('ip', ['link', 'show', ep.hostIface])).code, 0, 'host-side veth left');
  assert.doesNotMatch((await host.exec('ip', ['-n', NS, '-o', 'link'])).stdout, /eth0/);

  const again = await cni('DEL', conf());
  assert.equal(again.code, 0, JSON.stringify(again.out) + again.stderr);
});

test('VERSION lists 1.0.0', async () => {
  const v = await cni('VERSION', { cniVersion: '1.0.0' });
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.out.cniVersion, '1.0.0');
  assert.ok(v.out.supportedVersions.includes('1.0.0'), JSON.stringify(v.out));
});

test('a bad config exits non-zero with a CNI error naming what is wrong', async () => {
  const { network: _n, name: _m, ...noNetwork } = conf();
  const missing = await cni('ADD', noNetwork);
  assert.notEqual(missing.code, 0);
  assert.equal(missing.out.code, CNI_ERR.INVALID_CONFIG);
  assert.match(missing.out.msg, /name/);

  const unknown = await cni('ADD', conf({ network: 'nosuchnet' }));
  assert.notEqual(unknown.code, 0);
  assert.equal(unknown.out.cniVersion, '1.0.0');
  assert.equal(unknown.out.code, CNI_ERR.INVALID_CONFIG);
  assert.match(unknown.out.msg, /nosuchnet/);
  assert.deepEqual(await client.endpoints.list({ network: 'cnblue' }), []);
});
