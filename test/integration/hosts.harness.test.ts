/**
 * The multi-host harness on real parts: three simulated hosts (netns + own OVS + own dockerd) and a 3-member
 * etcd cluster, reachable from each other, and nothing of theirs left after stop().
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openEtcdStore } from '../../src/store/index.js';
import {
  isAlive,
  namedNamespaces,
  rootInterfaces,
  simHostLeftovers,
  startHosts,
  waitFor,
  type SimHosts,
} from './harness/index.js';

let sim: SimHosts;
before(async () => {
  sim = await startHosts({ count: 3, etcd: { members: 3 } });
  console.log(`startHosts (3 hosts, 3 etcd members): ${sim.startupMs} ms`);
});
after(async () => {
  await sim?.stop(); // idempotent: the last test stops it on purpose
});

test('hosts reach each other over the underlay', async () => {
  const [h1, , h3] = sim.hosts;
  assert.equal(h3.underlayIp, '10.99.0.3');
  assert.equal(h1.netns, '/var/run/netns/slh-h1');
  const r = await h1.exec('ping', ['-n', '-c', '1', '-W', '2', h3.underlayIp]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 received/);
  // exec runs in the host's network namespace: its own underlay address, not the root namespace's.
  const addr = await h1.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', h1.underlayIface]);
  assert.match(addr.stdout, /inet 10\.99\.0\.1\/24/);
});

test("each host's dockerd runs a container from the local busybox image", async () => {
  const results = await Promise.all(
    sim.hosts.map((h) => h.docker('run', '--rm', '--net=none', 'local/busybox', 'echo', 'ok')),
  );
  for (const [i, r] of results.entries()) assert.equal(r.stdout.trim(), 'ok', `h${i + 1}: ${r.stderr}`);
  // Each dockerd is its own: a container on h1 is not listed by h2.
  const run = await sim.hosts[0].docker(
    'run',
    '-d',
    '--net=none',
    '--name',
    'only-on-h1',
    'local/busybox',
    'sleep',
    '300',
  );
  assert.equal(run.code, 0, run.stderr);
  assert.match((await sim.hosts[0].docker('ps', '--format', '{{.Names}}')).stdout, /only-on-h1/);
  assert.doesNotMatch((await sim.hosts[1].docker('ps', '-a', '--format', '{{.Names}}')).stdout, /only-on-h1/);
});

test("a host process sees that host's /run/docker/plugins, docker socket and OVS", async () => {
  const h2 = sim.hosts[1];
  fs.writeFileSync(`${h2.pluginsDir}/marker`, 'h2');
  const seen = await h2.exec('cat', ['/run/docker/plugins/marker']);
  assert.equal(seen.stdout, 'h2', seen.stderr);
  assert.equal(
    (await sim.hosts[0].exec('ls', ['/run/docker/plugins'])).stdout.trim(),
    '',
    'h1 has its own dir',
  );
  const proc = h2.spawn('/usr/bin/docker', ['-H', h2.dockerHost, 'events', '--filter', 'type=container']);
  const ran = await h2.docker('run', '--rm', '--net=none', 'local/busybox', 'true');
  assert.equal(ran.code, 0, ran.stderr);
  await waitFor(() => /container .*start/.test(proc.output()), {
    what: 'docker events from a spawned process',
  });
  proc.kill('SIGTERM');
  await proc.exited;
  assert.equal(proc.running, false);
});

test("each host's OVS takes a userspace bridge that ovs-ofctl sees", async () => {
  await Promise.all(
    sim.hosts.map((h) => h.vsctl('add-br', 'b0', '--', 'set', 'bridge', 'b0', 'datapath_type=netdev')),
  );
  for (const h of sim.hosts) {
    assert.deepEqual((await h.vsctl('list-br')).split('\n'), ['b0']);
    assert.match(await h.ofctl('dump-flows', 'b0'), /actions=NORMAL/);
    // The bridge's internal port lives in the host's namespace, not in the root one.
    assert.equal((await h.exec('ip', ['link', 'show', 'b0'])).code, 0);
  }
  assert.ok(!(await rootInterfaces()).includes('b0'));
});

test('etcd: a write through one member is read through another; one member down, it still serves', async () => {
  const etcd = sim.etcd!;
  assert.equal(etcd.endpoints.length, 3);
  assert.ok(etcd.endpoints.every((e) => e.startsWith('http://10.99.0.254:')));
  // Reachable from inside a host.
  const health = await sim.hosts[2].exec('wget', ['-q', '-O', '-', `${etcd.endpoints[1]}/health`]);
  assert.match(health.stdout, /"health":"true"/, health.stderr);

  const a = openEtcdStore({ endpoints: [etcd.endpoints[0]], namespace: '/hosts-test' });
  const b = openEtcdStore({ endpoints: [etcd.endpoints[2]], namespace: '/hosts-test' });
  const c = openEtcdStore({ endpoints: [etcd.endpoints[1]], namespace: '/hosts-test' });
  try {
    await a.put('/k', { v: 1 });
    assert.deepEqual((await b.get('/k'))?.value, { v: 1 });
    await etcd.stopMember(0);
    await waitFor(async () => (await c.put('/k', { v: 2 })) > 0, { what: 'a write with member 0 down' });
    assert.deepEqual((await b.get('/k'))?.value, { v: 2 });
    await etcd.startMember(0);
    await waitFor(async () => ((await a.get('/k'))?.value as { v: number } | undefined)?.v === 2, {
      what: 'member 0 back with the write it missed',
    });
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

test('stop() leaves no process, namespace, interface, cgroup or mount of ours', async () => {
  // A running container whose PID 1 ignores SIGTERM (sleep): stop() must not wait for it, nor leave it.
  const started = await sim.hosts[2].docker('run', '-d', '--net=none', 'local/busybox', 'sleep', '300');
  assert.equal(started.code, 0, started.stderr);
  const container = (await sim.hosts[2].docker('inspect', '-f', '{{.State.Pid}}', started.stdout.trim()))
    .stdout;
  const pids = [...sim.hosts.map((h) => h.dockerdPid), Number(container.trim())];
  const pidfiles = sim.hosts.flatMap((h) =>
    ['ovsdb-server.pid', 'ovs-vswitchd.pid'].map((f) => `${h.dir}/${f}`),
  );
  pids.push(...pidfiles.map((f) => Number(fs.readFileSync(f, 'utf8').trim())));
  assert.ok(
    pids.every((p) => p > 0 && isAlive(p)),
    `all running before: ${pids}`,
  );

  const t0 = Date.now();
  await sim.stop();
  console.log(`stop(): ${Date.now() - t0} ms`);

  assert.deepEqual(
    pids.filter((p) => isAlive(p)),
    [],
    'dockerd, ovsdb-server, ovs-vswitchd and the container are gone',
  );
  assert.deepEqual(
    (await namedNamespaces()).filter((n) => n.startsWith('slh-')),
    [],
  );
  assert.deepEqual(
    (await rootInterfaces()).filter((n) => n.startsWith('slh-')),
    [],
  );
  assert.deepEqual(await simHostLeftovers(), {
    processes: [],
    namespaces: [],
    interfaces: [],
    cgroups: [],
    mounts: [],
    dirs: [],
  });
});
