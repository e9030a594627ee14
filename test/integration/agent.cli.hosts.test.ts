/**
 * The container-network verbs of the real `sluice` binary against a real agent on a simulated host (its own
 * OVS and dockerd, state in a 1-member etcd): `sluice run -n`, `attach --ip`, `detach`, `info`, a container
 * stopped and started again, and the faults of issue 8 (unknown container, bad CIDR, clashing name, dockerd
 * down, etcd down), each a clear error that leaves the store and OVSDB as they were.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { AgentEndpoint } from '../../src/client/index.js';
import {
  BUSYBOX_IMAGE,
  run,
  SLUICE_CLI,
  startHosts,
  startSimAgent,
  waitFor,
  type RunResult,
  type SimAgent,
  type SimHost,
  type SimHosts,
} from './harness/index.js';

const TOKEN = 'it-agent-cli-token';
let sim: SimHosts;
let h: SimHost;
let agent: SimAgent;

/** The real binary, pointed at the agent by SLUICE_AGENT (the token by SLUICE_AGENT_TOKEN). */
const sluice = (...args: string[]): Promise<RunResult> =>
  run(process.execPath, [SLUICE_CLI, ...args], {
    env: { ...process.env, SLUICE_AGENT: `http://${h.underlayIp}:6675`, SLUICE_AGENT_TOKEN: TOKEN },
    timeoutMs: 60_000,
  });

async function sluiceOk(...args: string[]): Promise<string> {
  const r = await sluice(...args);
  assert.equal(r.code, 0, `sluice ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const sluiceJson = async <T>(...args: string[]): Promise<T> =>
  JSON.parse(await sluiceOk(...args, '--json')) as T;

/** A failing verb: exit 1 and one `error: ...` line (an API error, not a stack trace). */
async function sluiceFails(args: string[], expected: RegExp): Promise<string> {
  const r = await sluice(...args);
  assert.equal(r.code, 1, `sluice ${args.join(' ')} should fail: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /^error: /);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace');
  assert.match(r.stderr, expected);
  return r.stderr;
}

async function docker(...args: string[]): Promise<string> {
  const r = await h.docker(...args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

const sleeper = (name: string) =>
  docker('run', '-d', '--net=none', '--name', name, BUSYBOX_IMAGE, 'sleep', '3600');

const removeContainers = async (...names: string[]) => {
  if ((await h.docker('ps', '-aq')).code === 0) await h.docker('rm', '-f', ...names);
};

/**
 * What an operation must not leave behind: OVS ports, host veths, endpoints (with addresses), networks. The
 * links are read in the host's netns alone (h.exec enters dockerd's mount namespace: not while it is down).
 */
async function state(): Promise<{
  ports: string[];
  links: string[];
  endpoints: string[];
  networks: string[];
}> {
  const links = (await run('nsenter', [`--net=${h.netns}`, 'ip', '-o', 'link', 'show'])).stdout
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((n) => /^s[vp]/.test(n));
  return {
    ports: (await h.vsctl('list-ports', 'sluice0')).split('\n').filter(Boolean).sort(),
    links: links.sort(),
    endpoints: (await agent.client.endpoints.list())
      .map((e) => `${e.network} ${e.address} ${e.hostIface}`)
      .sort(),
    networks: (await agent.client.networks.list()).map((n) => n.name).sort(),
  };
}

/** Polls `sluice attach` until it works again after SERVICE came back (the agent reconnects on its own). */
const attachOnceBack = (container: string, network: string, service: string) =>
  waitFor(
    async () => {
      const r = await sluice('attach', container, network, '--json');
      return r.code === 0 && (JSON.parse(r.stdout) as AgentEndpoint);
    },
    {
      what: `attach to work once ${service} is back`,
      timeoutMs: 30_000,
      detail: () => agent.proc.output(20),
    },
  );

/**
 * Waits until the host is back to `want`. The endpoint, port and veth go before detach answers; the network's
 * gateway port (slg<vni>) goes when the agent next converges the host, a moment later.
 */
async function settlesTo(want: Awaited<ReturnType<typeof state>>): Promise<void> {
  let last: Awaited<ReturnType<typeof state>> | undefined;
  await waitFor(async () => isDeepStrictEqual((last = await state()), want), {
    what: 'the host to be as before the attach',
    timeoutMs: 15_000,
    detail: () => `now ${JSON.stringify(last)}, want ${JSON.stringify(want)}`,
  });
}

const pings = async (container: string, ip: string) =>
  (await h.docker('exec', container, 'ping', '-c', '1', '-W', '1', ip)).code === 0;

before(async () => {
  sim = await startHosts({ count: 1, etcd: { members: 1 } });
  h = sim.hosts[0];
  agent = startSimAgent(h, {
    token: TOKEN,
    etcdEndpoints: sim.etcd!.endpoints,
    etcdPrefix: `/sluice-it-cli-${process.pid}`,
  });
  await agent.ready();
});

after(async () => {
  await agent?.proc.stop(3000).catch(() => undefined);
  await sim?.stop();
});

test('sluice run -n: the program starts with eth0 up and addressed; sluice info shows it', async () => {
  await sluiceOk('network', 'create', 'runnet', '10.61.0.0/24');
  try {
    // The container's own first commands report its interface: attached before the program ran.
    const r = await sluice('run', '-n', 'runnet', '--docker-host', h.dockerHost, '-d', '--name', 'r1',
      BUSYBOX_IMAGE, 'sh', '-c', 'ip -o -4 addr show dev eth0; cat /sys/class/net/eth0/operstate; exec sleep 3600'); // prettier-ignore
    assert.equal(r.code, 0, r.stderr);
    const logs = await waitFor(
      async () => {
        const out = (await h.docker('logs', 'r1')).stdout;
        return out.split('\n').length > 2 && out;
      },
      { what: 'r1 to print its eth0' },
    );
    const inet = /eth0\s+inet (10\.61\.0\.\d+)\/24/.exec(logs);
    assert.ok(inet, `eth0 had no address when the program started:\n${logs}`);
    assert.match(logs, /^up$/m, `eth0 was not up when the program started:\n${logs}`);

    // A container started by `sluice run` is a Docker plugin endpoint: the agent learns its container from
    // dockerd (Join names only the endpoint), so `sluice info NAME` finds it.
    const id = await docker('inspect', '-f', '{{.Id}}', 'r1');
    const ep = await waitFor(
      async () => {
        const eps = await sluiceJson<AgentEndpoint[]>('info', 'r1');
        return eps.length === 1 && eps[0];
      },
      { what: 'sluice info r1 to show its endpoint', detail: () => agent.proc.output(20) },
    );
    assert.deepEqual(
      [ep.kind, ep.network, ep.address, ep.containerId, ep.containerName],
      ['plugin', 'runnet', inet[1], id, 'r1'],
    );
    assert.deepEqual(await sluiceJson<AgentEndpoint[]>('info', id.slice(0, 12)), [ep]);
    const human = await sluiceOk('info', 'r1');
    assert.match(human, /container\s+network\s+address\s+mac/i);
    assert.match(
      human,
      new RegExp(
        `r1\\s+runnet\\s+${inet[1].replace(/\./g, '\\.')}/24\\s+${ep.mac}\\s+eth0\\s+h1\\s+${ep.hostIface}`,
      ),
    );

    // Docker owns a plugin endpoint: detach is refused and points at docker's own verb; nothing changes.
    const before = await state();
    await sluiceFails(
      ['detach', 'r1', 'runnet'],
      /conflict: .*use `docker network disconnect runnet r1`.*\(field: container\)/,
    );
    assert.deepEqual(await state(), before);
  } finally {
    await removeContainers('r1');
    await sluice('network', 'delete', 'runnet', '--force');
  }
});

test('attach --ip gives that address; detach removes interface, port, veth and address', async () => {
  await sluiceOk('network', 'create', 'attnet', '10.62.0.0/24');
  try {
    await Promise.all([sleeper('a1'), sleeper('a2')]);
    const before = await state();
    const ep = await sluiceJson<AgentEndpoint>('attach', 'a1', 'attnet', '--ip', '10.62.0.77');
    assert.equal(ep.address, '10.62.0.77');
    assert.match(
      await docker('exec', 'a1', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'),
      /inet 10\.62\.0\.77\/24/,
    );
    const attached = await state();
    assert.ok(attached.ports.includes(ep.hostIface), `no port ${ep.hostIface}: ${attached.ports.join(' ')}`);
    assert.ok(attached.links.includes(ep.hostIface), `no veth ${ep.hostIface}: ${attached.links.join(' ')}`);

    const out = await sluiceOk('detach', 'a1', 'attnet');
    assert.match(out, /10\.62\.0\.77\/24/);
    await settlesTo(before);
    const eth0 = await h.docker('exec', 'a1', 'ip', 'link', 'show', 'eth0');
    assert.notEqual(eth0.code, 0, `eth0 still in a1:\n${eth0.stdout}`);
    // The address is free again: another container gets it.
    const again = await sluiceJson<AgentEndpoint>('attach', 'a2', 'attnet', '--ip', '10.62.0.77');
    assert.equal(again.address, '10.62.0.77');
    await sluiceOk('detach', 'a2');
    await settlesTo(before);
  } finally {
    await removeContainers('a1', 'a2');
    await sluice('network', 'delete', 'attnet', '--force');
  }
});

test('docker stop then start: the container comes back with its address and MAC, reachable', async () => {
  await sluiceOk('network', 'create', 'stopnet', '10.63.0.0/24');
  try {
    await Promise.all([sleeper('s1'), sleeper('s2')]);
    const s1 = await sluiceJson<AgentEndpoint>('attach', 's1', 'stopnet');
    await sluiceOk('attach', 's2', 'stopnet');
    await waitFor(() => pings('s2', s1.address), { what: 's2 to reach s1', timeoutMs: 20_000 });

    await docker('stop', '-t', '1', 's1');
    await waitFor(async () => !(await state()).ports.includes(s1.hostIface), {
      what: "s1's port to go when it stopped",
    });
    await docker('start', 's1');
    const eth0 = await waitFor(
      async () => {
        const r = await h.docker('exec', 's1', 'ip', '-o', 'addr', 'show', 'dev', 'eth0');
        return r.code === 0 && r.stdout.includes('inet ') && r.stdout;
      },
      {
        what: 's1 to get eth0 back after docker start',
        timeoutMs: 20_000,
        detail: () => agent.proc.output(20),
      },
    );
    assert.match(eth0, new RegExp(`inet ${s1.address.replace(/\./g, '\\.')}/24`));
    assert.equal(await docker('exec', 's1', 'cat', '/sys/class/net/eth0/address'), s1.mac);
    await waitFor(() => pings('s2', s1.address), { what: 's2 to reach s1 again', timeoutMs: 20_000 });
    const [now] = await sluiceJson<AgentEndpoint[]>('info', 's1');
    assert.deepEqual([now.address, now.mac, now.hostIface], [s1.address, s1.mac, s1.hostIface]);
  } finally {
    await removeContainers('s1', 's2');
    await sluice('network', 'delete', 'stopnet', '--force');
  }
});

test('an unknown container, a bad CIDR and a clashing name: clear errors, nothing changed', async () => {
  await sluiceOk('network', 'create', 'faultnet', '10.64.0.0/24');
  try {
    const before = await state();
    await sluiceFails(['attach', 'no-such-box', 'faultnet'], /not_found: .*no-such-box/);
    await sluiceFails(
      ['network', 'create', 'badnet', '10.64.1.0/33'],
      /validation: .*subnet.*\(field: subnet\)/,
    );
    await sluiceFails(['network', 'create', 'badnet', '10.64.1.300/24'], /validation: .*subnet/);
    await sluiceFails(
      ['network', 'create', 'faultnet', '10.64.2.0/24'],
      /conflict: .*faultnet.*\(field: name\)/,
    );
    assert.deepEqual(await state(), before);
  } finally {
    await sluice('network', 'delete', 'faultnet', '--force');
  }
});

test('dockerd down: attach says dockerd is unreachable, nothing changes; after its restart attach works', async () => {
  await sluiceOk('network', 'create', 'docknet', '10.65.0.0/24');
  try {
    const before = await state();
    await h.stopDockerd();
    try {
      await sluiceFails(
        ['attach', 'd1', 'docknet'],
        /docker_unavailable: cannot reach dockerd at unix:\/\/\S+docker\.sock \(ENOENT\): is dockerd running\?.*\(field: docker\)/,
      );
      assert.deepEqual(await state(), before);
      assert.equal((await agent.client.agent()).id, h.name);
    } finally {
      await h.startDockerd();
    }
    await sleeper('d1');
    const ep = await attachOnceBack('d1', 'docknet', 'dockerd');
    assert.match(ep.address, /^10\.65\.0\./);
  } finally {
    await removeContainers('d1');
    await sluice('network', 'delete', 'docknet', '--force');
  }
});

test('etcd down: create and attach say the store is unreachable, the agent serves; then attach works', async () => {
  await sluiceOk('network', 'create', 'storenet', '10.66.0.0/24');
  try {
    await sleeper('e1');
    const before = await state();
    await sim.etcd!.stopMember(0);
    try {
      await sluiceFails(
        ['network', 'create', 'lost', '10.66.1.0/24'],
        /store_unavailable: etcd http:\/\/\S+: \w+ failed: etcd is unreachable/,
      );
      await sluiceFails(
        ['attach', 'e1', 'storenet'],
        /store_unavailable: etcd http:\/\/\S+: \w+ failed: etcd is unreachable/,
      );
      assert.equal((await agent.client.agent()).id, h.name);
      assert.equal((await agent.client.health()).status, 'ok');
    } finally {
      await sim.etcd!.startMember(0);
    }
    const ep = await attachOnceBack('e1', 'storenet', 'etcd');
    assert.match(ep.address, /^10\.66\.0\./);
    const now = await state();
    assert.deepEqual(now.networks, before.networks, 'the failed create left a network');
    // The network's first local endpoint also brings its anycast gateway port (slg<vni>).
    assert.deepEqual(
      now.ports.filter((p) => !p.startsWith('slg')),
      [...before.ports, ep.hostIface].sort(),
    );
    assert.ok(
      now.ports.some((p) => p.startsWith('slg')),
      `no gateway port: ${now.ports.join(' ')}`,
    );
  } finally {
    await removeContainers('e1');
    await sluice('network', 'delete', 'storenet', '--force');
  }
});
