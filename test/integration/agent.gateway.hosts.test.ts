/**
 * A network's gateway on each host (issue 8, "optional outbound NAT through the gateway"), on two simulated
 * hosts with real agents, OVS and iptables: the anycast gateway answers containers on every host with the same
 * MAC; the host reaches its own containers; `nat: true` takes a container out to the underlay (10.99.0.254,
 * which has no route back to the overlay), `nat: false` does not; routing through the host never joins two
 * networks; the port and rules go with the last endpoint, and strays are removed by a restarted agent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentClient, AgentEndpoint } from '../../src/client/index.js';
import {
  BUSYBOX_IMAGE,
  run,
  startHosts,
  startSimAgent,
  UNDERLAY_GATEWAY,
  waitFor,
  type SimAgent,
  type SimHost,
  type SimHosts,
} from './harness/index.js';

const TOKEN = 'it-agent-gateway-token';
let sim: SimHosts;
const agents: SimAgent[] = [];
let c1: AgentClient;

async function docker(h: SimHost, ...args: string[]): Promise<string> {
  const r = await h.docker(...args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} on ${h.name}: ${r.stderr}`);
  return r.stdout.trim();
}

const sleeper = (h: SimHost, name: string) =>
  docker(h, 'run', '-d', '--net=none', '--name', name, BUSYBOX_IMAGE, 'sleep', '3600');

/** A command in the host's network namespace alone (not dockerd's mount namespace). */
const inHost = (h: SimHost, cmd: string, ...args: string[]) =>
  run('nsenter', [`--net=${h.netns}`, cmd, ...args]);

const containerPings = async (h: SimHost, container: string, ip: string) =>
  (await h.docker('exec', container, 'ping', '-c', '1', '-W', '1', ip)).code === 0;

async function reach(h: SimHost, container: string, ip: string): Promise<void> {
  await waitFor(() => containerPings(h, container, ip), {
    what: `${container} on ${h.name} to ping ${ip}`,
    timeoutMs: 30_000,
    intervalMs: 300,
    detail: () => agents.map((a) => `${a.proc.name}:\n${a.proc.output(15)}`).join('\n'),
  });
}

/** Three pings, none answered (asked after a positive check from the same container, so not a slow start). */
async function unreachable(h: SimHost, container: string, ip: string): Promise<void> {
  const r = await h.docker('exec', container, 'ping', '-c', '3', '-W', '1', ip);
  assert.notEqual(r.code, 0, `${container} on ${h.name} reached ${ip}:\n${r.stdout}`);
}

/** The host's link `name`: its MAC and IPv4 addresses, or undefined. */
async function link(h: SimHost, name: string): Promise<{ mac: string; inet: string[] } | undefined> {
  const r = await inHost(h, 'ip', '-j', 'addr', 'show', 'dev', name);
  if (r.code !== 0) return undefined;
  const [l] = JSON.parse(r.stdout) as { address: string; addr_info: { family: string; local: string; prefixlen: number }[] }[]; // prettier-ignore
  return {
    mac: l.address,
    inet: l.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
  };
}

/** The agent's rules (tagged sluice-gw:) in the host's FORWARD and POSTROUTING chains, as iptables -S prints. */
async function gatewayRules(h: SimHost): Promise<string[]> {
  const out: string[] = [];
  for (const [table, chain] of [
    ['filter', 'FORWARD'],
    ['nat', 'POSTROUTING'],
  ]) {
    const r = await inHost(h, 'iptables', '-w', '-t', table, '-S', chain);
    assert.equal(r.code, 0, r.stderr);
    out.push(
      ...r.stdout
        .split('\n')
        .filter((l) => l.includes('sluice-gw:'))
        .map((l) => `${table} ${l}`),
    );
  }
  return out.sort();
}

const gwPorts = async (h: SimHost) =>
  (await h.vsctl('list-ports', 'sluice0'))
    .split('\n')
    .filter((p) => p.startsWith('slg'))
    .sort();

const portOf = (vni: number) => `slg${vni.toString(16)}`;

before(async () => {
  sim = await startHosts({ count: 2, etcd: { members: 1 } });
  for (const h of sim.hosts) {
    agents.push(
      startSimAgent(h, {
        token: TOKEN,
        etcdEndpoints: sim.etcd!.endpoints,
        etcdPrefix: `/sluice-it-gateway-${process.pid}`,
      }),
    );
  }
  await Promise.all(agents.map((a) => a.ready()));
  c1 = agents[0].client;
});

after(async () => {
  await Promise.all(agents.map((a) => a.proc.stop(3000).catch(() => undefined)));
  await sim?.stop();
});

test('gateway, NAT and isolation through the host; cleanup on detach and after kill -9', async () => {
  const [h1, h2] = sim.hosts;
  const out = await c1.networks.create({ name: 'gwout', subnet: '10.70.0.0/24', nat: true });
  const inner = await c1.networks.create({ name: 'gwin', subnet: '10.71.0.0/24' });
  assert.equal(inner.nat, false, 'nat is off unless asked for');
  await Promise.all([sleeper(h1, 'o1'), sleeper(h2, 'o2'), sleeper(h1, 'i1')]);
  const o1: AgentEndpoint = await c1.endpoints.attach('o1', 'gwout');
  await agents[1].client.endpoints.attach('o2', 'gwout');
  const i1: AgentEndpoint = await c1.endpoints.attach('i1', 'gwin');

  // The anycast gateway: each host answers its containers for 10.70.0.1, with one MAC everywhere.
  await reach(h1, 'o1', out.gateway);
  await reach(h2, 'o2', out.gateway);
  await reach(h1, 'i1', inner.gateway);
  const g1 = await link(h1, portOf(out.vni));
  const g2 = await link(h2, portOf(out.vni));
  assert.ok(g1 && g2, 'a gateway port on each host with an endpoint');
  assert.equal(g1.mac, g2.mac);
  assert.match(g1.mac, /^0a:59:00:/);
  assert.deepEqual(g1.inet, ['10.70.0.1/24']);
  assert.deepEqual(await gwPorts(h1), [portOf(out.vni), portOf(inner.vni)].sort());
  assert.deepEqual(await gwPorts(h2), [portOf(out.vni)], 'no gateway where a network has no endpoint');

  // The host reaches its own containers through their gateways.
  for (const ip of [o1.address, i1.address]) {
    const r = await inHost(h1, 'ping', '-c', '1', '-W', '2', ip);
    assert.equal(r.code, 0, `h1 should ping ${ip}: ${r.stdout}${r.stderr}`);
  }

  // Out to the underlay: masqueraded from gwout, not from gwin (the far side has no route back to 10.71/24).
  await reach(h1, 'o1', UNDERLAY_GATEWAY);
  await reach(h2, 'o2', UNDERLAY_GATEWAY);
  await unreachable(h1, 'i1', UNDERLAY_GATEWAY);
  const outPort = portOf(out.vni);
  const inPort = portOf(inner.vni);
  assert.deepEqual(await gatewayRules(h1), [
    `filter -A FORWARD -i ${inPort} -o slg+ -m comment --comment "sluice-gw:${inPort}" -j DROP`,
    `filter -A FORWARD -i ${outPort} -o slg+ -m comment --comment "sluice-gw:${outPort}" -j DROP`,
    `nat -A POSTROUTING -s 10.70.0.0/24 ! -o ${outPort} -m comment --comment "sluice-gw:${outPort}" -j MASQUERADE`,
  ].sort()); // prettier-ignore

  // Routed through h1 from one network's gateway to the other's: dropped both ways.
  await unreachable(h1, 'o1', i1.address);
  await unreachable(h1, 'i1', o1.address);

  // The last endpoint of gwin on h1 goes: its port and rule go with it; gwout's stay.
  await c1.endpoints.detach('i1', 'gwin');
  await waitFor(async () => !(await gwPorts(h1)).includes(inPort), { what: `${inPort} removed from h1` });
  await waitFor(async () => (await link(h1, inPort)) === undefined, { what: `${inPort} link gone` });
  await waitFor(async () => !(await gatewayRules(h1)).some((r) => r.includes(inPort)), {
    what: `${inPort}'s rule removed`,
  });
  assert.equal((await gatewayRules(h1)).length, 2);

  // kill -9, then strays an earlier run could have left: a gateway port and a tagged rule nothing wants.
  agents[0].proc.kill('SIGKILL');
  await agents[0].proc.exited;
  await h1.vsctl('add-port', 'sluice0', 'slgfff', '--', 'set', 'Interface', 'slgfff', 'type=internal');
  const stray = ['-w', '-t', 'nat', '-I', 'POSTROUTING', '-s', '10.72.0.0/24', '!', '-o', 'slgfff', '-m', 'comment', '--comment', 'sluice-gw:slgfff', '-j', 'MASQUERADE']; // prettier-ignore
  assert.equal((await inHost(h1, 'iptables', ...stray)).code, 0);
  // The bridge keeps its flows and the kernel its rules while the agent is away.
  assert.equal(await containerPings(h1, 'o1', UNDERLAY_GATEWAY), true);
  await agents[0].proc.restart();
  await agents[0].ready();
  await waitFor(async () => !(await gwPorts(h1)).includes('slgfff'), { what: 'stray port removed' });
  await waitFor(async () => !(await gatewayRules(h1)).some((r) => r.includes('slgfff')), {
    what: 'stray rule removed',
  });
  assert.deepEqual(await gwPorts(h1), [outPort]);
  assert.equal((await gatewayRules(h1)).length, 2);
  await reach(h1, 'o1', UNDERLAY_GATEWAY);
  await reach(h1, 'o1', out.gateway);
});
