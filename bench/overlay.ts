/**
 * Bench section `overlay` (issue 8): container networks across simulated hosts (each a network namespace with
 * its own OVS, dockerd and `sluice agent`, state in etcd), all measured in one run:
 * - TCP throughput (iperf3) container to container across two hosts (VXLAN), beside two containers on one
 *   host (the same userspace datapath without a tunnel) and a Flannel-style peer (kernel VXLAN device and a
 *   Linux bridge per host, between two plain namespaces on the same two hosts);
 * - time from `sluice run -n NET` to the first answered ping, beside `docker run` on Docker's own bridge;
 * - 50 concurrent attaches on each host through the agent API: latency p50/p99 and total time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AgentClient } from '../src/client/node.js';
import {
  BUSYBOX_IMAGE,
  DOCKER,
  DOCKERD,
  run,
  SLUICE_CLI,
  startHosts,
  startSimAgent,
  waitFor,
  type SimAgent,
  type SimHost,
  type SimHosts,
} from '../test/integration/harness/index.js';
import { startProcess, stopProcess, type Started } from './harness.js';
import {
  firstReplyMs,
  markdownTable,
  mean,
  parseIperf3,
  ratioText,
  summarize,
  type IperfResult,
} from './overlaystats.js';
import type { BenchContext, BenchSection } from './run.js';

const HOSTS = 3;
const TOKEN = 'bench-overlay-token';
const IPERF_SECONDS = 8;
/** Rounds of the three throughput runs, interleaved, so a machine whose load drifts treats them alike. */
const IPERF_ROUNDS = 2;
const PING_REPS = 5;
const ATTACHES_PER_HOST = 50;
const THROUGHPUT_TARGET = 0.9;
const PING_TARGET = 1.5;
const NET = { name: 'bench', subnet: '10.70.0.0/24' };
const BURST = { name: 'burst', subnet: '10.71.0.0/22' };
const DOCKER_BRIDGE = { name: 'benchbr', subnet: '10.72.0.0/24' };
/** The Flannel-style peer: its VNI is far from the agent's (allocated from 1 up), its namespaces ours. */
const FLANNEL = { vni: 4242, prefix: '10.73.0.', mtu: 1450, netns: (i: number) => `slh-fl${i}` };

// ---------------------------------------------------------------------------------------------------------
// Small I/O helpers

async function docker(h: SimHost, ...args: string[]): Promise<string> {
  const r = await h.docker(...args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} on ${h.name}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

const netnsOf = async (h: SimHost, container: string) =>
  `/proc/${await docker(h, 'inspect', '-f', '{{.State.Pid}}', container)}/ns/net`;

/** A command in a network namespace (by path), from the root mount namespace; throws on failure. */
async function inNetns(netns: string, cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  const r = await run('nsenter', [`--net=${netns}`, cmd, ...args], { timeoutMs });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${netns}: ${r.stderr.trim() || r.stdout}`);
  return r.stdout;
}

/** `ip ...` in a simulated host's network namespace; throws on failure. */
const ipIn = (h: SimHost, ...args: string[]) => inNetns(h.netns, 'ip', args);

async function reach(fromNetns: string, ip: string): Promise<void> {
  await waitFor(
    async () => (await run('nsenter', [`--net=${fromNetns}`, 'ping', '-c1', '-W1', ip])).code === 0,
    {
      what: `${ip} to answer a ping from ${fromNetns}`,
      timeoutMs: 30_000,
      intervalMs: 200,
    },
  );
}

async function versionOf(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args, { timeoutMs: 10_000 });
  return r.code === 0 ? r.stdout.split('\n')[0].trim() : `unknown (${cmd} exited ${r.code})`;
}

// ---------------------------------------------------------------------------------------------------------
// Throughput

interface IperfEnd {
  /** Network namespace path of the client and of the server. */
  client: string;
  server: string;
  serverIp: string;
}

/** One iperf3 TCP run (host's /usr/bin/iperf3 inside both namespaces: the busybox image has none). */
async function iperf(ctx: BenchContext, e: IperfEnd, label: string): Promise<IperfResult> {
  const log = path.join(ctx.workDir, `iperf3-server-${label.replace(/\W+/g, '-')}.log`);
  const server = startProcess('iperf3-server', 'nsenter', [`--net=${e.server}`, 'iperf3', '-s', '-1'], {
    logFile: log,
  });
  try {
    await waitFor(
      async () => {
        if (server.exited) throw new Error(`iperf3 server exited: ${fs.readFileSync(log, 'utf8')}`);
        return (await inNetns(e.server, 'ss', ['-Hltn', 'sport = :5201'])).includes('5201');
      },
      { what: `the iperf3 server of ${label}`, timeoutMs: 10_000, intervalMs: 50 },
    );
    const r = await run(
      'nsenter',
      [
        `--net=${e.client}`,
        'iperf3',
        '-c',
        e.serverIp,
        '-t',
        String(IPERF_SECONDS),
        '-J',
        '--connect-timeout',
        '5000',
      ],
      { timeoutMs: (IPERF_SECONDS + 30) * 1000 },
    );
    const result = parseIperf3(r.stdout || r.stderr);
    ctx.log(`  ${label}: ${result.gbps.toFixed(2)} Gbit/s (${result.retransmits ?? '?'} retransmits)`);
    return result;
  } finally {
    await stopProcess(server);
  }
}

/**
 * The Flannel-style peer on hosts a and b: per host a kernel VXLAN device (nolearning, static FDB entries)
 * and a Linux bridge in the host's namespace, a veth to a plain namespace slh-flN with 10.73.0.N.
 * Its namespaces carry the simulated hosts' prefix, so the harness's cleanup removes them too.
 */
async function buildFlannel(a: SimHost, b: SimHost): Promise<{ netns: string[]; ips: string[] }> {
  const macs: string[] = [];
  for (const h of [a, b]) {
    const ns = FLANNEL.netns(h.index);
    await run('ip', ['netns', 'del', ns]);
    await run('ip', ['netns', 'add', ns]).then((r) => {
      if (r.code !== 0) throw new Error(`ip netns add ${ns}: ${r.stderr}`);
    });
    // prettier-ignore
    await ipIn(h, 'link', 'add', 'flvx0', 'type', 'vxlan', 'id', String(FLANNEL.vni), 'local', h.underlayIp,
      'dev', h.underlayIface, 'dstport', '4789', 'nolearning');
    await ipIn(h, 'link', 'add', 'flbr0', 'type', 'bridge');
    await ipIn(h, 'link', 'set', 'flvx0', 'master', 'flbr0', 'mtu', String(FLANNEL.mtu), 'up');
    await ipIn(h, 'link', 'add', 'flveth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    await ipIn(h, 'link', 'set', 'flveth0', 'master', 'flbr0', 'mtu', String(FLANNEL.mtu), 'up');
    await ipIn(h, 'link', 'set', 'flbr0', 'up');
    const inNs = (...args: string[]) => inNetns(`/var/run/netns/${ns}`, 'ip', args);
    await inNs('addr', 'add', `${FLANNEL.prefix}${h.index}/24`, 'dev', 'eth0');
    await inNs('link', 'set', 'eth0', 'mtu', String(FLANNEL.mtu), 'up');
    await inNs('link', 'set', 'lo', 'up');
    const link = JSON.parse(await inNs('-j', 'link', 'show', 'eth0')) as { address: string }[];
    macs.push(link[0].address);
  }
  // Flannel's way: the peer's MAC to its VTEP, plus an all-zero entry so ARP broadcasts reach it.
  for (const [h, peer, peerMac] of [
    [a, b, macs[1]],
    [b, a, macs[0]],
  ] as const) {
    for (const mac of ['00:00:00:00:00:00', peerMac])
      await inNetns(h.netns, 'bridge', ['fdb', 'append', mac, 'dev', 'flvx0', 'dst', peer.underlayIp]);
  }
  return {
    netns: [a, b].map((h) => `/var/run/netns/${FLANNEL.netns(h.index)}`),
    ips: [a, b].map((h) => `${FLANNEL.prefix}${h.index}`),
  };
}

async function removeFlannel(hosts: SimHost[]): Promise<void> {
  for (const h of hosts) {
    await run('ip', ['netns', 'del', FLANNEL.netns(h.index)]);
    for (const dev of ['flvx0', 'flbr0', 'flveth0'])
      await run('nsenter', [`--net=${h.netns}`, 'ip', 'link', 'del', dev]);
  }
}

interface ThroughputRow {
  label: string;
  datapath: string;
  runs: IperfResult[];
}

async function measureThroughput(ctx: BenchContext, sim: SimHosts, agents: SimAgent[]): Promise<string> {
  const [h1, h2] = sim.hosts;
  const [c1, c2] = agents.map((a) => a.client);
  await Promise.all([
    docker(h1, 'run', '-d', '--net=none', '--name', 'tp-a', BUSYBOX_IMAGE, 'sleep', '86400'),
    docker(h1, 'run', '-d', '--net=none', '--name', 'tp-b', BUSYBOX_IMAGE, 'sleep', '86400'),
    docker(h2, 'run', '-d', '--net=none', '--name', 'tp-c', BUSYBOX_IMAGE, 'sleep', '86400'),
  ]);
  await c1.endpoints.attach('tp-a', NET.name);
  const b = await c1.endpoints.attach('tp-b', NET.name);
  const c = await c2.endpoints.attach('tp-c', NET.name);
  const [nsA, nsB, nsC] = [await netnsOf(h1, 'tp-a'), await netnsOf(h1, 'tp-b'), await netnsOf(h2, 'tp-c')];
  await reach(nsA, b.address);
  await reach(nsA, c.address);
  const fl = await buildFlannel(h1, h2);
  await reach(fl.netns[0], fl.ips[1]);

  const rows: [ThroughputRow, IperfEnd][] = [
    [
      { label: 'same host (h1 → h1), Sluice network', datapath: 'OVS userspace (netdev), no tunnel', runs: [] },
      { client: nsA, server: nsB, serverIp: b.address },
    ],
    [
      { label: 'across hosts (h1 → h2), Sluice network', datapath: 'OVS userspace (netdev) + kernel VXLAN port', runs: [] },
      { client: nsA, server: nsC, serverIp: c.address },
    ],
    [
      { label: 'across hosts (h1 → h2), Flannel-style', datapath: 'kernel VXLAN + Linux bridge', runs: [] },
      { client: fl.netns[0], server: fl.netns[1], serverIp: fl.ips[1] },
    ],
  ]; // prettier-ignore
  for (let round = 1; round <= IPERF_ROUNDS; round++) {
    ctx.log(`overlay: iperf3 round ${round}/${IPERF_ROUNDS}, ${IPERF_SECONDS} s each`);
    for (const [row, ends] of rows) row.runs.push(await iperf(ctx, ends, row.label));
  }
  const gbps = (r: ThroughputRow) => mean(r.runs.map((x) => x.gbps));
  const [same, cross, flannel] = rows.map(([r]) => r);
  const ratio = gbps(cross) / gbps(same);
  ctx.target({
    name: `overlay: cross-host TCP ≥ ${THROUGHPUT_TARGET}x same-host`,
    met: Number.isFinite(ratio) ? ratio >= THROUGHPUT_TARGET : undefined,
    detail: `${gbps(cross).toFixed(2)} vs ${gbps(same).toFixed(2)} Gbit/s (${ratioText(gbps(cross), gbps(same))})`,
  });
  ctx.log(
    `overlay: cross/same ${ratioText(gbps(cross), gbps(same))}, cross/Flannel-style ${ratioText(gbps(cross), gbps(flannel))}`,
  );
  const table = markdownTable(
    [
      'path',
      'datapath',
      ...rows[0][0].runs.map((_, i) => `round ${i + 1}, Gbit/s`),
      'mean, Gbit/s',
      'retransmits',
    ],
    rows.map(([r]) => [
      r.label,
      r.datapath,
      ...r.runs.map((x) => x.gbps.toFixed(2)),
      gbps(r).toFixed(2),
      r.runs.map((x) => x.retransmits ?? '?').join(' / '),
    ]),
  );
  const ratios = markdownTable(
    ['ratio', 'value', 'target'],
    [
      ['across hosts / same host (Sluice)', ratioText(gbps(cross), gbps(same)), `≥ ${THROUGHPUT_TARGET}x`],
      ['across hosts: Sluice (OVS netdev) / Flannel-style (kernel bridge)', ratioText(gbps(cross), gbps(flannel)), 'reference'],
    ],
  ); // prettier-ignore
  return (
    `### TCP throughput, container to container (iperf3, ${IPERF_SECONDS} s per run, ${IPERF_ROUNDS} rounds interleaved)\n\n` +
    `${table}\n\n${ratios}\n\n` +
    'The Sluice paths go through the host bridge in the OVS userspace datapath (`datapath_type=netdev`: no ' +
    'openvswitch kernel module loads here), which copies every packet through ovs-vswitchd; the tunnel is a ' +
    'kernel VXLAN device that is a port of that bridge (MTU 1450 in the containers, tx offload off as the ' +
    'userspace datapath needs). The Flannel-style peer switches in the kernel (Linux bridge, VXLAN device with ' +
    'static FDB entries, default offloads, MTU 1450) between plain namespaces on the same two hosts and the ' +
    'same underlay: the gap to it is the userspace datapath, which a kernel OVS datapath would close for most part.'
  );
}

// ---------------------------------------------------------------------------------------------------------
// Time to first ping

/** A `ping -D` every 20 ms from `netns` to `ip`, its output in a log file; ready once it printed its header. */
async function startPinger(
  ctx: BenchContext,
  netns: string,
  ip: string,
  label: string,
): Promise<Started & { log: string }> {
  // ARP retries every 20 ms (not 1 s) so the first answer is seen when it can be, on both sides alike.
  await inNetns(netns, 'sysctl', ['-qw', 'net.ipv4.neigh.eth0.retrans_time_ms=20']);
  const log = path.join(ctx.workDir, `ping-${label}.log`);
  const p = startProcess(
    `ping-${label}`,
    'nsenter',
    [`--net=${netns}`, 'ping', '-D', '-n', '-i', '0.02', ip],
    {
      logFile: log,
    },
  );
  await waitFor(() => fs.readFileSync(log, 'utf8').startsWith('PING'), {
    what: `ping ${label} to start`,
    timeoutMs: 10_000,
    intervalMs: 10,
    detail: () => fs.readFileSync(log, 'utf8'),
  });
  return Object.assign(p, { log });
}

/** Milliseconds from `t0` to the pinger's first answer (waits for it). */
async function firstReply(p: Started & { log: string }, t0: number, what: string): Promise<number> {
  const ms = await waitFor(() => firstReplyMs(fs.readFileSync(p.log, 'utf8'), t0), {
    what,
    timeoutMs: 60_000,
    intervalMs: 10,
  });
  return Math.round(ms);
}

async function timed(what: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const t0 = Date.now();
  const r = await run(cmd, args, { timeoutMs: 60_000, ...(env ? { env } : {}) });
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}: ${r.stderr.trim()}`);
  return Date.now() - t0;
}

interface PingSample {
  cliMs: number;
  sameHostMs: number;
  otherHostMs?: number;
}

async function measureFirstPing(ctx: BenchContext, sim: SimHosts, agents: SimAgent[]): Promise<string> {
  const [h1, h2] = sim.hosts;
  // Pingers: on the Sluice network one on h1 and one on h2; on Docker's bridge driver one on h1 (dockerd
  // runs with --bridge=none here, so the bridge is a user-defined one: the same driver as docker0).
  await docker(h1, 'network', 'create', '-d', 'bridge', '--subnet', DOCKER_BRIDGE.subnet, DOCKER_BRIDGE.name);
  await Promise.all([
    docker(h1, 'run', '-d', '--net=none', '--name', 'ping-s1', BUSYBOX_IMAGE, 'sleep', '86400'),
    docker(h2, 'run', '-d', '--net=none', '--name', 'ping-s2', BUSYBOX_IMAGE, 'sleep', '86400'),
    docker(
      h1,
      'run',
      '-d',
      '--network',
      DOCKER_BRIDGE.name,
      '--name',
      'ping-d1',
      BUSYBOX_IMAGE,
      'sleep',
      '86400',
    ),
  ]);
  await agents[0].client.endpoints.attach('ping-s1', NET.name);
  await agents[1].client.endpoints.attach('ping-s2', NET.name);
  // The Docker network for the Sluice network is made once per host, on first use: not part of each run.
  await agents[0].client.dockerNetwork(NET.name);
  const [nsS1, nsS2, nsD1] = [
    await netnsOf(h1, 'ping-s1'),
    await netnsOf(h2, 'ping-s2'),
    await netnsOf(h1, 'ping-d1'),
  ];
  const agentUrl = `http://${h1.underlayIp}:6675`;
  const sluiceRun = (ip: string, name: string) => [
    SLUICE_CLI, 'run', '-n', NET.name, '--ip', ip, '--agent', agentUrl, '--token', TOKEN,
    '--docker-host', h1.dockerHost, '-d', '--name', name, BUSYBOX_IMAGE, 'sleep', '86400',
  ]; // prettier-ignore
  const sluice: PingSample[] = [];
  const plain: PingSample[] = [];
  const pingers: Started[] = [];
  try {
    for (let i = 0; i < PING_REPS; i++) {
      const order = i % 2 === 0 ? ['sluice', 'docker'] : ['docker', 'sluice'];
      for (const kind of order) {
        if (kind === 'sluice') {
          const ip = `${NET.subnet.slice(0, -4)}${100 + i}`;
          const p1 = await startPinger(ctx, nsS1, ip, `s1-${i}`);
          const p2 = await startPinger(ctx, nsS2, ip, `s2-${i}`);
          pingers.push(p1, p2);
          const t0 = Date.now();
          const cliMs = await timed('sluice run', process.execPath, sluiceRun(ip, `sr${i}`));
          const sameHostMs = await firstReply(p1, t0, `a ping from h1 to ${ip}`);
          const otherHostMs = await firstReply(p2, t0, `a ping from h2 to ${ip}`);
          sluice.push({ cliMs, sameHostMs, otherHostMs });
          for (const p of [p1, p2]) await stopProcess(p);
        } else {
          const ip = `${DOCKER_BRIDGE.subnet.slice(0, -4)}${100 + i}`;
          const p = await startPinger(ctx, nsD1, ip, `d1-${i}`);
          pingers.push(p);
          const t0 = Date.now();
          // prettier-ignore
          const cliMs = await timed('docker run', DOCKER, ['-H', h1.dockerHost, 'run', '-d', '--network',
            DOCKER_BRIDGE.name, '--ip', ip, '--name', `dr${i}`, BUSYBOX_IMAGE, 'sleep', '86400']);
          plain.push({ cliMs, sameHostMs: await firstReply(p, t0, `a ping on Docker's bridge to ${ip}`) });
          await stopProcess(p);
        }
      }
      const s = sluice.at(-1)!;
      const d = plain.at(-1)!;
      ctx.log(
        `overlay: first ping ${i + 1}/${PING_REPS}: sluice run ${s.sameHostMs} ms (from h2 ${s.otherHostMs} ms), ` +
          `docker run ${d.sameHostMs} ms`,
      );
    }
  } finally {
    for (const p of pingers) await stopProcess(p);
  }
  const med = (xs: number[]) => summarize(xs).p50;
  const cell = (xs: number[]) => [...xs.map(String), String(med(xs))];
  const sMed = med(sluice.map((s) => s.sameHostMs));
  const dMed = med(plain.map((s) => s.sameHostMs));
  const ratio = sMed / dMed;
  ctx.target({
    name: `overlay: time to first ping, sluice run within ${PING_TARGET}x of docker run (Docker's bridge)`,
    met: Number.isFinite(ratio) ? ratio <= PING_TARGET : undefined,
    detail: `median ${sMed} ms vs ${dMed} ms (${ratioText(sMed, dMed)})`,
  });
  const table = markdownTable(
    ['run', ...sluice.map((_, i) => `#${i + 1}, ms`), 'median, ms'],
    [
      ['`sluice run -n` → first ping answered, pinger on the same host', ...cell(sluice.map((s) => s.sameHostMs))],
      ['`sluice run -n` → first ping answered, pinger on another host', ...cell(sluice.map((s) => s.otherHostMs!))],
      ['`sluice run -n` command returned', ...cell(sluice.map((s) => s.cliMs))],
      ['`docker run` on Docker\'s bridge → first ping answered, pinger on the same host', ...cell(plain.map((s) => s.sameHostMs))],
      ['`docker run` command returned', ...cell(plain.map((s) => s.cliMs))],
    ],
  ); // prettier-ignore
  return (
    `### Time to first ping (${PING_REPS} runs each, interleaved)\n\n${table}\n\n` +
    `sluice run / docker run, median time to first ping: ${ratioText(sMed, dMed)} (target: within ${PING_TARGET}x).\n\n` +
    'From the start of the command (`node dist/src/cli/main.js run -n bench --ip A -d ...` through the Docker ' +
    'plugin of the agent on h1, or `docker run -d --network benchbr --ip A ...` on a bridge-driver network of ' +
    'the same dockerd) until a `ping -D -i 0.02` that was already running in another container first sees an ' +
    'answer; each run a fresh container and address, the pingers with ARP retries every 20 ms.'
  );
}

// ---------------------------------------------------------------------------------------------------------
// Attach rate

async function measureAttaches(ctx: BenchContext, sim: SimHosts, agents: SimAgent[]): Promise<string> {
  await agents[0].client.networks.create(BURST);
  const made = sim.hosts.flatMap((h, k) =>
    Array.from({ length: ATTACHES_PER_HOST }, (_, n) => ({ h, k, ns: `slh-at${h.index}-${n}` })),
  );
  // Each burst queues on its agent: give every request the time the whole burst may take.
  const patient = agents.map(
    (a) => new AgentClient({ baseUrl: `http://${a.host.underlayIp}:6675`, token: TOKEN, timeoutMs: 300_000 }),
  );
  try {
    await Promise.all(
      sim.hosts.map(async (h) => {
        for (const m of made.filter((x) => x.h === h)) {
          const r = await h.exec('ip', ['netns', 'add', m.ns]);
          if (r.code !== 0) throw new Error(`ip netns add ${m.ns} on ${h.name}: ${r.stderr}`);
        }
      }),
    );
    ctx.log(
      `overlay: ${made.length} concurrent attaches (${ATTACHES_PER_HOST} on each of ${sim.hosts.length} hosts)`,
    );
    const latencies = sim.hosts.map((): number[] => []);
    const t0 = performance.now();
    const eps = await Promise.all(
      made.map(async ({ k, ns }) => {
        const t = performance.now();
        const ep = await patient[k].endpoints.attachNetns(`/var/run/netns/${ns}`, `bench-${ns}`, BURST.name);
        latencies[k].push(performance.now() - t);
        return ep;
      }),
    );
    const attachSec = (performance.now() - t0) / 1000;
    const distinct = new Set(eps.map((e) => e.address)).size;
    const t1 = performance.now();
    await Promise.all(made.map(({ k, ns }) => patient[k].endpoints.detachNetns(`bench-${ns}`, BURST.name)));
    const detachSec = (performance.now() - t1) / 1000;
    ctx.log(
      `overlay: attaches took ${attachSec.toFixed(1)} s, detaches ${detachSec.toFixed(1)} s; ${distinct} distinct addresses`,
    );
    if (distinct !== made.length)
      ctx.fail(`overlay: ${made.length} attaches got only ${distinct} distinct addresses`);
    const ms = (x: number) => (x / 1000).toFixed(2);
    const row = (name: string, xs: number[]) => {
      const s = summarize(xs);
      return [name, String(s.count), ms(s.p50), ms(s.p99), ms(s.max)];
    };
    const table = markdownTable(
      ['host', 'attaches', 'p50, s', 'p99, s', 'max, s'],
      [...sim.hosts.map((h, k) => row(h.name, latencies[k])), row('all', latencies.flat())],
    );
    return (
      `### Attach rate (${ATTACHES_PER_HOST} concurrent attaches on each of ${sim.hosts.length} hosts at once)\n\n${table}\n\n` +
      `All ${made.length} answered in ${attachSec.toFixed(1)} s (${(made.length / attachSec).toFixed(1)} attaches/s), ` +
      `${distinct} distinct addresses; detaching them all took ${detachSec.toFixed(1)} s. Each attach is ` +
      "`POST /api/v1/endpoints` (a CNI-style attach of a plain network namespace) on its own host's agent: " +
      'address by compare-and-swap in etcd, veth, OVS port, flows. Latency is per request, from send to answer.'
    );
  } finally {
    for (const { h, ns } of made) await h.exec('ip', ['netns', 'del', ns]);
  }
}

// ---------------------------------------------------------------------------------------------------------

const MEASURES: [string, (ctx: BenchContext, sim: SimHosts, agents: SimAgent[]) => Promise<string>][] = [
  ['throughput', measureThroughput],
  ['time to first ping', measureFirstPing],
  ['attach rate', measureAttaches],
];

export async function runOverlay(ctx: BenchContext): Promise<void> {
  const title = `## Container overlay: ${HOSTS} simulated hosts (own OVS, dockerd, sluice agent), etcd`;
  for (const [file, what] of [
    ['/usr/bin/iperf3', 'Debian package iperf3'],
    [DOCKERD, 'Debian package docker.io'],
    [SLUICE_CLI, 'npx tsc -p tsconfig.json'],
  ]) {
    if (!fs.existsSync(file)) {
      ctx.report(`${title}\n\nNot run: ${file} is missing (${what}).`);
      ctx.target({ name: 'overlay: measured', met: undefined, detail: `${file} missing` });
      return;
    }
  }
  ctx.info(`- iperf3: ${await versionOf('iperf3', ['--version'])}`);
  ctx.info(`- Open vSwitch: ${await versionOf('ovs-vswitchd', ['--version'])}, bridges datapath_type=netdev`);
  ctx.info(`- kernel: ${await versionOf('uname', ['-r'])}`);
  ctx.info(
    `- docker: ${await versionOf(DOCKERD, ['--version'])} (dockerd), ${await versionOf(DOCKER, ['--version'])} (CLI)`,
  );
  ctx.info(`- etcd: ${await versionOf('etcd', ['--version'])}`);

  const parts: string[] = [];
  let sim: SimHosts | undefined;
  const agents: SimAgent[] = [];
  try {
    ctx.log(`overlay: starting ${HOSTS} simulated hosts and etcd`);
    const t0 = Date.now();
    sim = await startHosts({ count: HOSTS, etcd: true });
    const etcd = sim.etcd!.endpoints;
    for (const h of sim.hosts) agents.push(startSimAgent(h, { token: TOKEN, etcdEndpoints: etcd }));
    await Promise.all(agents.map((a) => a.ready()));
    await waitFor(async () => (await agents[0].client.agents()).length === HOSTS, {
      what: `${HOSTS} live agents`,
      timeoutMs: 30_000,
    });
    ctx.log(`overlay: hosts and agents up in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    await agents[0].client.networks.create(NET);
    for (const [name, measure] of MEASURES) {
      try {
        parts.push(await measure(ctx, sim, agents));
      } catch (err) {
        ctx.fail(`overlay ${name}: ${(err as Error).message}`);
        ctx.target({ name: `overlay: ${name}`, met: undefined, detail: 'run failed' });
        parts.push(`### ${name}\n\nFailed: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  } catch (err) {
    ctx.fail(`overlay: ${(err as Error).message}`);
    parts.push(`Failed: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    if (sim) {
      await removeFlannel(sim.hosts.slice(0, 2));
      await Promise.all(agents.map((a) => a.proc.stop(3000).catch(() => undefined)));
      await sim.stop().catch((err: Error) => ctx.fail(`overlay: cleanup: ${err.message}`));
    }
  }
  ctx.report(`${title}\n\n${parts.join('\n\n')}`);
}

export const overlaySection: BenchSection = {
  id: 'overlay',
  title: 'Container overlay: throughput, time to first ping, attach rate',
  run: (ctx) => runOverlay(ctx),
};
