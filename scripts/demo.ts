/**
 * `make demo`: Sluice controlling a real network. Starts Open vSwitch if needed, the Sluice controller, and a
 * Mininet ring of 4 OVS userspace switches with one host each (OpenFlow 1.3); pings every host pair until all
 * answer, shows a firewall deny winning over a QoS rate policy (the declared pipeline), then containers on two
 * simulated hosts reaching each other over a Sluice network (sluice agent, VXLAN, etcd), the docker CLI through
 * `sluice proxy` with the network adapter and an example adapter, a gmond metric driving a host-aware rule
 * that drops a host's traffic and restores it, a simulated hypervisor described in JSON and provisioned with
 * `sluice node provision` (SSL manager and controller to this controller), prints where to look, and runs
 * until Ctrl-C,
 * then removes every bridge, namespace and process it made.
 *
 * Environment (all optional):
 *   SLUICE_DEMO_CONTROLLER  sluice (default) | ovs-testcontroller (an L2 learning switch, to try the flow alone)
 *   SLUICE_DEMO_TOPO        ring,4 (default) | linear,N | tree,D,F
 *   SLUICE_DEMO_OF_PORT     OpenFlow port (default 6653)
 *   SLUICE_DEMO_API_PORT    REST API and dashboard port (default 8080)
 *   SLUICE_DEMO_EXIT        "after-pingall": tear down right after pingall instead of waiting for Ctrl-C (smoke test)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  canConnect,
  run,
  cleanLeftovers,
  ensureOvs,
  MininetNet,
  ovsTestControllerCommand,
  REPO_ROOT,
  setSignalCleanup,
  startHosts,
  startSimAgent,
  type SimAgent,
  type SimHost,
  type SimHosts,
  SLUICE_CLI,
  sluiceCommand,
  startController,
  startGmond,
  startSimNodes,
  stopOvs,
  freePorts,
  addTestBridge,
  controllerRoles,
  deleteBridge,
  sluiceCli,
  sluiceEtcdCommand,
  type SimNodes,
  type PingallResult,
  type RunningController,
  type Topo,
  UNDERLAY_GATEWAY,
  waitFor,
} from '../test/integration/harness/index.js';
import { SluiceClient } from '../src/client/node.js';
import { startEtcdCluster, type TestEtcdCluster } from '../test/support/etcd.js';

const TOPO_RE = /^(ring,\d+|linear,\d+|tree,\d+,\d+)$/;

interface DemoConfig {
  controller: 'sluice' | 'ovs-testcontroller';
  topo: Topo;
  openflowPort: number;
  apiPort: number;
  exitAfterPingall: boolean;
}

function fail(message: string): never {
  console.error(`demo: ${message}`);
  process.exit(1);
}

function portEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    fail(`${name}: must be a port number 1-65535, got "${text}"`);
  return port;
}

/** Whether the built CLI has the `controller` command yet (it lands after the harness). */
function sluiceControllerAvailable(): boolean {
  if (!fs.existsSync(SLUICE_CLI)) return false;
  const r = spawnSync(process.execPath, [SLUICE_CLI, 'controller', '--help'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return r.status === 0 && r.stdout.includes('--openflow-port');
}

function readConfig(): DemoConfig {
  const wanted = process.env.SLUICE_DEMO_CONTROLLER ?? 'sluice';
  if (wanted !== 'sluice' && wanted !== 'ovs-testcontroller') {
    fail(`SLUICE_DEMO_CONTROLLER: must be "sluice" or "ovs-testcontroller", got "${wanted}"`);
  }
  let controller: DemoConfig['controller'] = wanted;
  if (controller === 'sluice' && !sluiceControllerAvailable()) {
    console.log(
      `demo: the Sluice controller is not built yet (\`node ${path.relative(REPO_ROOT, SLUICE_CLI)} controller\` ` +
        'is missing): showing the same flow with ovs-testcontroller, an L2 learning switch, instead.',
    );
    controller = 'ovs-testcontroller';
  }
  const topoText = process.env.SLUICE_DEMO_TOPO;
  if (topoText !== undefined && !TOPO_RE.test(topoText)) {
    fail(`SLUICE_DEMO_TOPO: must be ring,N | linear,N | tree,D,F, got "${topoText}"`);
  }
  // A learning switch without spanning tree floods forever around a ring: give it a loop-free line.
  const topo = (topoText ?? (controller === 'sluice' ? 'ring,4' : 'linear,4')) as Topo;
  if (controller === 'ovs-testcontroller' && String(topo).startsWith('ring')) {
    console.log('demo: warning: ovs-testcontroller has no loop handling; broadcasts will circle the ring.');
  }
  const exit = process.env.SLUICE_DEMO_EXIT;
  if (exit !== undefined && exit !== 'after-pingall')
    fail(`SLUICE_DEMO_EXIT: must be "after-pingall", got "${exit}"`);
  return {
    controller,
    topo,
    openflowPort: portEnv('SLUICE_DEMO_OF_PORT', 6653),
    apiPort: portEnv('SLUICE_DEMO_API_PORT', 8080),
    exitAfterPingall: exit === 'after-pingall',
  };
}

function describeTopo(topo: Topo): string {
  const [kind, a, b] = String(topo).split(',');
  if (kind === 'ring') return `a ring of ${a} switches with one host each`;
  if (kind === 'linear') return `a line of ${a} switches with one host each`;
  return `a tree of depth ${a} and fanout ${b}`;
}

function progressLine(r: PingallResult, attempt: number): string {
  const bar = '#'.repeat(Math.round((20 * r.received) / Math.max(1, r.sent))).padEnd(20, '.');
  return `      attempt ${attempt}: [${bar}] ${r.received}/${r.sent} replies, ${r.lossPct}% loss`;
}

const STEPS = 10;

/** One ping from src to dst; true when it was answered. */
async function answers(net: MininetNet, src: string, dst: string): Promise<boolean> {
  return (await net.ping(src, dst, { count: 1, timeoutSec: 1 })).received > 0;
}

/**
 * The declared pipeline at work: a QoS rate policy (an OpenFlow 1.3 meter) on h1 <-> h2 both ways, then a
 * firewall deny on the same traffic. The deny wins (the firewall/ACL stage comes before the QoS stage);
 * removing it brings the traffic back through the meter. Puts QoS and the firewall back as it found them, so
 * the next demo run starts the same way.
 */
async function showDenyBeatsQos(net: MininetNet, apiPort: number, cli: string): Promise<boolean> {
  const [h1, h2] = net.hosts;
  if (!h1 || !h2) return true;
  console.log(`[5/${STEPS}] Pipeline: a firewall deny wins over a QoS rate policy on the same traffic`);
  const api = new SluiceClient({ baseUrl: `http://127.0.0.1:${apiPort}` });
  const qosWasOn = (await api.qos.status()).enabled;
  const firewallWasOn = (await api.firewall.status()).enabled;
  const policyIds: number[] = [];
  const ruleIds: string[] = [];
  try {
    await api.qos.enable();
    for (const [a, b] of [
      [h1, h2],
      [h2, h1],
    ] as const) {
      const p = await api.qos.addPolicy({
        name: `demo-rate-${a.name}-${b.name}`,
        'ip-src': a.ip,
        'ip-dst': b.ip,
        'rate-kbps': 2000,
      });
      policyIds.push(p['policy-id']);
    }
    console.log(`      QoS: ${h1.name} <-> ${h2.name} metered at 2000 kbit/s both ways`);
    // Stateless like Floodlight's: allow everything (ARP too), except h1 -> h2, evaluated first.
    const deny = await api.firewall.add({
      'src-ip': `${h1.ip}/32`,
      'dst-ip': `${h2.ip}/32`,
      action: 'deny',
      priority: 0,
    });
    const allow = await api.firewall.add({ action: 'allow', priority: 10 });
    ruleIds.push(deny.ruleid, allow.ruleid);
    await api.firewall.enable();
    console.log(
      `      firewall on: rule ${deny.ruleid} denies ${h1.ip} -> ${h2.ip}, rule ${allow.ruleid} allows the rest`,
    );
    await waitFor(async () => !(await answers(net, h1.name, h2.name)), {
      what: `${h1.name} -> ${h2.name} to be denied`,
      timeoutMs: 30_000,
    });
    console.log(
      `      ${h1.name} -> ${h2.name}: no reply. The deny wins although the QoS policy matches too.`,
    );
    const dpid = (await api.hosts({ ipv4: h1.ip }))[0]?.attachmentPoints[0]?.dpid;
    if (dpid) {
      console.log(
        `      flows for ${h1.ip} on ${dpid} (decide, then QoS, then forward), as ${cli} flows ${dpid} shows:`,
      );
      for (const f of await api.flows(dpid)) if (f.text.includes(h1.ip)) console.log(`        ${f.text}`);
    }
    await api.firewall.delete(deny.ruleid);
    ruleIds.shift();
    await waitFor(() => answers(net, h1.name, h2.name), {
      what: `${h1.name} -> ${h2.name} to answer again`,
      timeoutMs: 30_000,
    });
    console.log(`      deny rule removed: ${h1.name} -> ${h2.name} answers again, through the meter.`);
    return true;
  } finally {
    if (!firewallWasOn) await api.firewall.disable();
    for (const id of ruleIds) await api.firewall.delete(id);
    for (const id of policyIds) await api.qos.deletePolicy(id);
    if (!qosWasOn) await api.qos.disable();
    await api.close();
  }
}

/**
 * Step 6: container networks across hosts. Two simulated hosts (each a network namespace with its own OVS,
 * dockerd and `sluice agent`) sharing an etcd; a web server container on host 2 is fetched by a client
 * container on host 1 over a Sluice network (VXLAN between the hosts): the seed's Socketplane demo.
 */
async function showContainerNetworks(keep: (sim: SimHosts, agents: SimAgent[]) => void): Promise<string> {
  console.log(`[6/${STEPS}] Container networks: 2 simulated hosts (own OVS, dockerd, sluice agent), etcd`);
  const sim = await startHosts({ count: 2, etcd: { members: 1 } });
  const agents = sim.hosts.map((h) =>
    startSimAgent(h, { token: 'demo-token', etcdEndpoints: sim.etcd!.endpoints }),
  );
  keep(sim, agents);
  await Promise.all(agents.map((a) => a.ready()));
  const [h1, h2] = sim.hosts;
  const api = agents[0].client;
  const net = await api.networks.create({ name: 'demo', subnet: '10.60.0.0/24', nat: true });
  console.log(
    `      network ${net.name} ${net.subnet} (VNI ${net.vni}, MTU ${net.mtu}) created through h1's agent`,
  );
  const docker = async (h: SimHost, ...args: string[]) => {
    const r = await h.docker(...args);
    if (r.code !== 0) throw new Error(`docker ${args[0]} on ${h.name}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  await docker(h2, 'run', '-d', '--net=none', '--name', 'web', 'local/busybox', 'sh', '-c',
    'mkdir -p /www && echo hello from host 2 > /www/index.html && exec httpd -f -p 80 -h /www'); // prettier-ignore
  await docker(h1, 'run', '-d', '--net=none', '--name', 'client', 'local/busybox', 'sleep', '86400');
  const web = await agents[1].client.endpoints.attach('web', 'demo');
  const client = await api.endpoints.attach('client', 'demo');
  for (const [h, ep] of [
    [h2, web],
    [h1, client],
  ] as const) {
    console.log(
      `      ${h.name}: ${ep.containerName?.padEnd(7)} ${ep.cidr.padEnd(14)} ${ep.mac}  (port ${ep.hostIface})`,
    );
  }
  const page = await waitFor(
    async () => {
      const r = await h1.docker('exec', 'client', 'sh', '-c',
        `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${web.address} 80`); // prettier-ignore
      return r.stdout.includes('200 OK') ? r.stdout : false;
    },
    { what: `the client on h1 to fetch http://${web.address}/`, timeoutMs: 60_000, intervalMs: 500 },
  );
  const body = page.split(/\r?\n\r?\n/)[1]?.trim();
  console.log(`      client on h1 fetched http://${web.address}/ from h2 across VXLAN: "${body}"`);
  // Out of the overlay: the gateway on h1 (same address and MAC on every host) masquerades (nat: true).
  await waitFor(
    async () =>
      (await h1.docker('exec', 'client', 'ping', '-c', '1', '-W', '1', UNDERLAY_GATEWAY)).code === 0,
    { what: `the client on h1 to ping ${UNDERLAY_GATEWAY}`, timeoutMs: 30_000, intervalMs: 500 },
  );
  console.log(
    `      client on h1 pinged ${UNDERLAY_GATEWAY} (outside the overlay) via its gateway ${net.gateway}, NAT on`,
  );
  return web.address;
}

/**
 * Step 7: the Docker API proxy. On host 1, `sluice proxy` fronts dockerd with two adapters on container
 * create: the built-in network adapter (SLUICE_NETWORK / SOCKETPLANE_CIDR) and the example labeller (its own
 * process, on a Unix socket). The plain docker CLI through the proxy runs a container with SLUICE_NETWORK=demo:
 * it starts on the Sluice network with the label added, and fetches the page from host 2's web container.
 */
async function showProxy(sim: SimHosts, webAddress: string): Promise<{ socket: string }> {
  console.log(
    `[7/${STEPS}] Docker API proxy on h1: docker CLI -> sluice proxy (network + label adapters) -> dockerd`,
  );
  const [h1] = sim.hosts;
  const labelSocket = path.join(h1.dir, 'label.sock');
  const proxySocket = path.join(h1.dir, 'docker-proxy.sock');
  const adapters = path.join(h1.dir, 'adapters.yml');
  fs.writeFileSync(
    adapters,
    ['version: 1', 'endpoints:', '  "POST /*/containers/create":', '    pre: [network, label]', 'adapters:',
      '  network: builtin:network', `  label: unix://${labelSocket}`, ''].join('\n'), // prettier-ignore
  );
  const label = h1.spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'dist', 'examples', 'adapters', 'label.js'), '--listen', `unix://${labelSocket}`],
    { name: 'label-adapter' },
  );
  const proxy = h1.spawn(
    process.execPath,
    [SLUICE_CLI, 'proxy', '--listen', `unix://${proxySocket}`, '--docker', h1.dockerHost, '--adapters', adapters,
      '--agent', `http://${h1.underlayIp}:6675`, '--agent-token', 'demo-token'], // prettier-ignore
    { name: 'proxy' },
  );
  const docker = async (...args: string[]) => {
    const r = await run('/usr/bin/docker', ['-H', `unix://${proxySocket}`, ...args], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`docker ${args[0]} through the proxy: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  await waitFor(
    async () =>
      fs.existsSync(labelSocket) &&
      (await docker('version').then(
        () => true,
        () => false,
      )),
    {
      what: 'the proxy and the label adapter to answer',
      timeoutMs: 30_000,
      detail: () => `${proxy.output(10)}\n${label.output(10)}`,
    },
  );
  console.log(
    `      proxy on unix://${proxySocket}, adapters: network (built in), label (example, own process)`,
  );
  await docker(
    'run',
    '-d',
    '--name',
    'proxied',
    '-e',
    'SLUICE_NETWORK=demo',
    'local/busybox',
    'sleep',
    '86400',
  );
  const addr = /inet (\S+)/.exec(
    await docker('exec', 'proxied', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'),
  )?.[1];
  const labels = await docker('inspect', '-f', '{{json .Config.Labels}}', 'proxied');
  console.log(
    `      docker run -e SLUICE_NETWORK=demo: container "proxied" on network demo, eth0 ${addr}, labels ${labels}`,
  );
  const page = await waitFor(
    async () => {
      const r = await run('/usr/bin/docker', ['-H', `unix://${proxySocket}`, 'exec', 'proxied', 'wget', '-qO-', `http://${webAddress}/`]); // prettier-ignore
      return r.code === 0 ? r.stdout.trim() : false;
    },
    { what: `the proxied container to fetch http://${webAddress}/`, timeoutMs: 30_000, intervalMs: 500 },
  );
  console.log(`      proxied container fetched http://${webAddress}/ from h2: "${page}"`);
  return { socket: proxySocket };
}

/**
 * Step 8: host-aware networking (FL_HAND finished). A real gmond on loopback is the metric source; a rule
 * "bytes_out gt 1e6 for 2 polls -> drop" on h1; gmetric injects h1's bytes_out (as h1's own gmond would report
 * it): h1's pings stop once the rule acts, and come back when the value drops and the rule clears.
 */
async function showHostAware(
  net: MininetNet,
  apiPort: number,
  cli: string,
): Promise<{ stop: () => Promise<void> }> {
  const [h1, h2] = net.hosts;
  if (!h1 || !h2) throw new Error('needs two hosts');
  console.log(`[8/${STEPS}] Host-aware rules: a gmond metric drives the network (Ganglia + Sluice)`);
  const api = `http://127.0.0.1:${apiPort}`;
  const call = async (method: string, route: string, body?: unknown): Promise<unknown> => {
    const r = await fetch(api + route, {
      method,
      ...(body !== undefined && {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    });
    const json = (await r.json()) as unknown;
    if (!r.ok) throw new Error(`${method} ${route}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  const gmond = await startGmond({ cluster: 'demo' });
  const spoof = `${h1.ip}:${h1.name}`;
  const rule = 'demo-hot-h1';
  const cleanup = async () => {
    await call('DELETE', `/api/v1/hostaware/rules/${rule}`).catch(() => undefined);
    await call('DELETE', '/api/v1/hostaware/sources/demo-gmond').catch(() => undefined);
    await gmond.close();
  };
  try {
    await gmond.gmetric('bytes_out', 1000, { spoof, units: 'bytes/sec' });
    await call('DELETE', `/api/v1/hostaware/rules/${rule}`).catch(() => undefined);
    await call('DELETE', '/api/v1/hostaware/sources/demo-gmond').catch(() => undefined);
    const src = (await call('POST', '/api/v1/hostaware/sources', {
      type: 'gmond',
      name: 'demo-gmond',
      address: `127.0.0.1:${gmond.xmlPort}`,
      interval: 1,
    })) as { state: string };
    console.log(`      gmond on 127.0.0.1:${gmond.xmlPort} added as a source: ${src.state}`);
    await call('POST', '/api/v1/hostaware/rules', {
      name: rule,
      host: h1.name,
      conditions: [{ metric: 'bytes_out', comparator: 'gt', value: 1e6 }],
      checkLimit: 2,
      pollingTime: 1,
      action: { type: 'drop' },
    });
    console.log(
      `      rule ${rule}: ${h1.name} bytes_out gt 1000000 for 2 polls -> drop ${h1.name}'s traffic`,
    );
    await gmond.gmetric('bytes_out', 5e6, { spoof, units: 'bytes/sec' });
    console.log(`      gmetric --spoof ${spoof} bytes_out=5000000`);
    await waitFor(async () => !(await answers(net, h1.name, h2.name)), {
      what: `the rule to drop ${h1.name}'s traffic`,
      timeoutMs: 30_000,
    });
    const msgs = (await call('GET', `/api/v1/hostaware/messages?rule=${rule}&limit=6`)) as {
      messages: { type: string; message: string }[];
    };
    for (const m of msgs.messages) console.log(`        ${m.type.padEnd(13)} ${m.message}`);
    console.log(`      ${h1.name} -> ${h2.name}: no reply while the rule is active`);
    await gmond.gmetric('bytes_out', 1000, { spoof, units: 'bytes/sec' });
    await waitFor(() => answers(net, h1.name, h2.name), {
      what: `${h1.name} to answer again once bytes_out dropped`,
      timeoutMs: 30_000,
    });
    console.log(
      `      bytes_out back to 1000: the rule cleared, its ACL entry is gone, ${h1.name} answers again`,
    );
    console.log(`      see: ${cli} hostaware rules; curl -s ${api}/wm/hand/rules/json`);
    return { stop: cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** The node listeners of step 9: where the simulated node dials its manager and controller over SSL. */
interface NodeListeners {
  address: string;
  ovsdbPort: number;
  openflowPort: number;
}

/** Runs the `sluice` CLI against an API; its output, or an error with what it said. */
function sluiceAt(apiUrl: string) {
  return async (...args: string[]): Promise<string> => {
    const r = await sluiceCli({ apiUrl, apiTls: undefined }, args, { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`sluice ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  };
}

const indent = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `        ${l}`)
    .join('\n');

/** What step 10 started, for the shutdown. */
interface DemoCluster {
  etcd: TestEtcdCluster;
  members: RunningController[];
  bridges: string[];
}

/**
 * Step 10: controller high availability. A 3-member etcd and three Sluice controllers in one cluster; three
 * OVS bridges with all three as controllers. Each bridge gets one master (OVS's role column says so), spread
 * across the members; kill -9 of a master moves its bridges to the others; the returning member takes nothing
 * back until `sluice cluster rebalance`.
 */
async function showCluster(keep: (c: DemoCluster) => void): Promise<string> {
  console.log(`[10/${STEPS}] Controller HA: three controllers in one cluster on a 3-member etcd`);
  const etcd = await startEtcdCluster({ members: 3 });
  const cluster: DemoCluster = { etcd, members: [], bridges: [] };
  keep(cluster);
  for (let i = 0; i < 3; i++) {
    cluster.members.push(
      await startController({
        command: sluiceEtcdCommand(etcd.endpoints[i], '/sluice-demo-ha', [
          ...['--cluster-id', 'demo'],
          ...['--member-id', `c${i + 1}`],
        ]),
        readyTimeoutMs: 60_000,
      }),
    );
  }
  const targets = cluster.members.map((m) => `tcp:127.0.0.1:${m.openflowPort}`);
  for (let i = 1; i <= 3; i++) {
    const name = `ha${i}`;
    cluster.bridges.push(name);
    await addTestBridge(name, {
      protocols: 'OpenFlow13',
      failMode: 'secure',
      controllers: targets,
      dpid: `00000000000000a${i}`,
    });
  }
  const memberOf = (target: string) =>
    `c${cluster.members.findIndex((m) => target.endsWith(`:${m.openflowPort}`)) + 1}`;
  const masters = async () => {
    const roles = await controllerRoles();
    return cluster.bridges.map((b) =>
      (roles.get(b) ?? []).filter((c) => c.connected && c.role === 'master').map((c) => memberOf(c.target)),
    );
  };
  const oneEach = async (live: string[]) =>
    waitFor(
      async () =>
        (await masters()).every((m) => m.length === 1 && live.includes(m[0])) ? masters() : undefined,
      {
        what: 'one master per bridge',
        timeoutMs: 30_000,
        intervalMs: 50,
      },
    );
  const first = await oneEach(['c1', 'c2', 'c3']);
  const sluice = sluiceAt(cluster.members[0].apiUrl!);
  console.log('      $ sluice cluster');
  console.log(indent(await sluice('cluster')));
  const victim = first[0][0];
  const dead = cluster.members[Number(victim.slice(1)) - 1];
  const t0 = Date.now();
  await dead.kill();
  const live = ['c1', 'c2', 'c3'].filter((m) => m !== victim);
  const after = await oneEach(live);
  console.log(
    `      kill -9 ${victim} (master of ha1): ha1 mastered by ${after[0][0]} ${((Date.now() - t0) / 1000).toFixed(1)} s later (OVS's role column)`,
  );
  await dead.restart();
  // Back means registered and connected to every bridge again (OVS reconnects with a backoff): only then can a
  // rebalance give it a bridge.
  const client = new SluiceClient({ baseUrl: cluster.members[0].apiUrl! });
  await waitFor(
    async () => {
      const view = await client.nodes.cluster();
      return (
        view.members.some((m) => m.id === victim) &&
        (view.switches ?? []).filter((s) => s.members.includes(victim)).length === cluster.bridges.length
      );
    },
    { what: `${victim} back and connected to every bridge`, timeoutMs: 60_000, intervalMs: 250 },
  );
  const back = (await masters()).flat();
  console.log(
    `      ${victim} is back and masters ${back.filter((m) => m === victim).length} bridges (no steal-back)`,
  );
  console.log('      $ sluice cluster rebalance');
  console.log(indent(await sluice('cluster', 'rebalance')));
  await waitFor(async () => (await masters()).flat().includes(victim), {
    what: `${victim} to master a bridge after the rebalance`,
    timeoutMs: 30_000,
    intervalMs: 100,
  });
  console.log(`      masters now: ${(await masters()).map((m, i) => `ha${i + 1}=${m[0]}`).join(' ')}`);
  return cluster.members[0].apiUrl!;
}

/**
 * Step 9: node provisioning (the NVP/NSX toolkit's job). One simulated hypervisor (a namespace with its own
 * OVS and data interface eth1) is described in JSON, the description applied to the controller, and
 * `sluice node provision` run as a user runs it: PKI, set-ssl, br-int, the data bridge, manager and controller
 * over SSL to the controller's node listeners, registration. A second run changes nothing.
 */
async function showNodes(nodes: SimNodes, listeners: NodeListeners, apiPort: number, dataDir: string) {
  console.log(
    `[9/${STEPS}] Nodes: a simulated hypervisor described in JSON and provisioned (NVP/NSX toolkit)`,
  );
  const [n1] = nodes.nodes;
  const doc = {
    cluster: {
      controllers: [
        {
          address: listeners.address,
          api_port: apiPort,
          ovsdb_port: listeners.ovsdbPort,
          openflow_port: listeners.openflowPort,
        },
      ],
    },
    nodes: [
      {
        type: 'hypervisor',
        name: 'hv1',
        management_address: n1.address,
        transport_zone: 'demo-zone',
        data_interface: n1.dataInterface,
        ovsdb: n1.ovsdb,
        pki_dir: n1.pkiDir,
        datapath_type: 'netdev',
        access: { kind: 'local' },
      },
    ],
  };
  const file = path.join(dataDir, 'nodes.json');
  fs.writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  const sluice = sluiceAt(`http://127.0.0.1:${apiPort}`);
  console.log(`      $ sluice node apply ${path.relative(process.cwd(), file)}`);
  console.log(indent(await sluice('node', 'apply', file)));
  console.log('      $ sluice node provision hv1');
  console.log(indent(await sluice('node', 'provision', 'hv1')));
  const client = new SluiceClient({ baseUrl: `http://127.0.0.1:${apiPort}` });
  await waitFor(
    async () => {
      const n = await client.nodes.transportNode('hv1').catch(() => undefined);
      return n !== undefined && n.ovsdb.connected && n.openflow.connected;
    },
    {
      what: 'hv1 connected to the controller over SSL (OVSDB and OpenFlow)',
      timeoutMs: 30_000,
      intervalMs: 250,
    },
  );
  console.log('      $ sluice transport-node list');
  console.log(indent(await sluice('transport-node', 'list')));
  const again = await sluice('node', 'provision', 'hv1');
  console.log(`      provisioned again: ${again.trim().split('\n').at(-1)}`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) fail('must run as root (Open vSwitch and Mininet need it): sudo make demo');
  const cfg = readConfig();
  const cli = `node ${path.relative(process.cwd(), SLUICE_CLI) || SLUICE_CLI}`;
  for (const [what, port] of [
    ['OpenFlow', cfg.openflowPort],
    ['API', cfg.apiPort],
  ] as const) {
    if (await canConnect(port)) {
      fail(
        `the ${what} port ${port} is already in use (another controller?); stop it or set SLUICE_DEMO_*_PORT`,
      );
    }
  }

  let ctl: RunningController | undefined;
  let net: MininetNet | undefined;
  let sim: SimHosts | undefined;
  let simNodes: SimNodes | undefined;
  let simAgents: SimAgent[] = [];
  let ovsStartedHere = false;
  let stopHostAware: (() => Promise<void>) | undefined;
  let haCluster: DemoCluster | undefined;
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (code: number): Promise<void> =>
    (shuttingDown ??= (async () => {
      console.log('\ndemo: stopping: network, controller, Open vSwitch (if the demo started it)...');
      await stopHostAware?.().catch((e: Error) => console.error(`demo: host-aware stop: ${e.message}`));
      await net?.stop().catch((e: Error) => console.error(`demo: network stop: ${e.message}`));
      await Promise.all(simAgents.map((a) => a.proc.stop(3000).catch(() => undefined)));
      await sim?.stop().catch((e: Error) => console.error(`demo: simulated hosts stop: ${e.message}`));
      await simNodes?.stop().catch((e: Error) => console.error(`demo: simulated nodes stop: ${e.message}`));
      if (haCluster) {
        const c = haCluster;
        for (const b of c.bridges) await deleteBridge(b).catch(() => undefined);
        for (const m of c.members) await m.stop().catch(() => undefined);
        await c.etcd.stop().catch((e: Error) => console.error(`demo: etcd stop: ${e.message}`));
      }
      await ctl
        ?.stop({ keepData: true })
        .catch((e: Error) => console.error(`demo: controller stop: ${e.message}`));
      // Only an OVS this demo started: others (a developer's, a test run's) may be in use.
      if (ovsStartedHere) await stopOvs().catch((e: Error) => console.error(`demo: OVS stop: ${e.message}`));
      console.log('demo: nothing left behind. Bye.');
      process.exit(code);
    })());
  setSignalCleanup(false);
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGHUP', () => void shutdown(0));

  try {
    console.log(`[1/${STEPS}] Open vSwitch (userspace datapath)`);
    const { started } = await ensureOvs();
    ovsStartedHere = started;
    await cleanLeftovers();
    console.log(`      ${started ? 'started' : 'already running'}`);

    console.log(`[2/${STEPS}] Controller: ${cfg.controller} (OpenFlow port ${cfg.openflowPort})`);
    const dataDir = path.join(REPO_ROOT, '.data', 'demo');
    fs.mkdirSync(dataDir, { recursive: true });
    // Step 9's node, made now: the controller's node listeners listen on its management network.
    let listeners: NodeListeners | undefined;
    if (cfg.controller === 'sluice') {
      simNodes = await startSimNodes({ count: 1 });
      const [ovsdbPort, openflowPort] = await freePorts(2);
      listeners = { address: simNodes.gateway, ovsdbPort, openflowPort };
    }
    const nodesArgs = listeners
      ? [
          ...['--nodes-listen', listeners.address],
          ...['--nodes-ovsdb-port', String(listeners.ovsdbPort)],
          ...['--nodes-openflow-port', String(listeners.openflowPort)],
        ]
      : [];
    ctl = await startController({
      command: cfg.controller === 'sluice' ? sluiceCommand(nodesArgs) : ovsTestControllerCommand(),
      openflowPort: cfg.openflowPort,
      apiPort: cfg.apiPort,
      dataDir,
      readyTimeoutMs: 60_000,
    });
    console.log(`      ready (pid ${ctl.proc.pid}, log ${ctl.proc.logFile})`);
    if (listeners)
      console.log(
        `      node listeners: OVSDB ssl:${listeners.address}:${listeners.ovsdbPort}, OpenFlow ssl:${listeners.address}:${listeners.openflowPort}`,
      );

    console.log(`[3/${STEPS}] Mininet: ${describeTopo(cfg.topo)}, OpenFlow 1.3`);
    net = await MininetNet.start({
      topo: cfg.topo,
      protocols: 'OpenFlow13',
      controllerPort: cfg.openflowPort,
    });
    console.log(`      switches ${net.switches.map((s) => s.name).join(' ')}; hosts:`);
    for (const h of net.hosts) console.log(`        ${h.name}  ${h.ip.padEnd(12)} ${h.mac}`);

    console.log(`[4/${STEPS}] pingall: every host pings every other host`);
    let ok = true;
    await net
      .pingallUntil(0, 60_000, (r, n) => console.log(progressLine(r, n)))
      .catch((e: Error) => {
        ok = false;
        console.log(`      not all pairs answer yet: ${e.message}`);
      });
    if (ok) console.log('      all hosts reach each other.');

    if (ok && cfg.controller === 'sluice') {
      ok = await showDenyBeatsQos(net, cfg.apiPort, cli).catch((e: Error) => {
        console.log(`      pipeline step failed: ${e.message}`);
        return false;
      });
    }

    let webAddress: string | undefined;
    if (ok) {
      webAddress = await showContainerNetworks((s, a) => {
        sim = s;
        simAgents = a;
      }).catch((e: Error) => {
        console.log(`      container networks step failed: ${e.message}`);
        return undefined;
      });
      ok = webAddress !== undefined;
    }
    let proxySocket: string | undefined;
    if (ok && sim && webAddress) {
      proxySocket = await showProxy(sim, webAddress).then(
        (p) => p.socket,
        (e: Error) => {
          console.log(`      proxy step failed: ${e.message}`);
          return undefined;
        },
      );
      ok = proxySocket !== undefined;
    }

    if (ok && net && cfg.controller === 'sluice') {
      const hand = await showHostAware(net, cfg.apiPort, cli).catch((e: Error) => {
        console.log(`      host-aware step failed: ${e.message}`);
        return undefined;
      });
      ok = hand !== undefined;
      if (hand) stopHostAware = hand.stop;
    }

    if (ok && simNodes && listeners) {
      ok = await showNodes(simNodes, listeners, cfg.apiPort, dataDir).then(
        () => true,
        (e: Error) => {
          console.log(`      nodes step failed: ${e.message}`);
          return false;
        },
      );
    }

    let clusterApi: string | undefined;
    if (ok && cfg.controller === 'sluice') {
      clusterApi = await showCluster((c) => (haCluster = c)).catch((e: Error) => {
        console.log(`      cluster step failed: ${e.message}`);
        return undefined;
      });
      ok = clusterApi !== undefined;
    }

    if (cfg.exitAfterPingall) return void (await shutdown(ok ? 0 : 1));

    const api = `http://127.0.0.1:${cfg.apiPort}`;
    console.log('');
    if (cfg.controller === 'sluice') {
      console.log(`Sluice is running. REST API: ${api}/  (OpenAPI: ${api}/openapi.json)`);
      console.log(`Dashboard: ${api}/ui/  (open it in a browser)`);
      console.log('Try, in another terminal:');
      console.log(`  ${cli} switches`);
      console.log(`  ${cli} links`);
      console.log(`  ${cli} bandwidth          # port rates and utilisation, every 5 s`);
      console.log(`  curl -s ${api}/wm/core/controller/switches/json`);
      if (sim) {
        const [h1] = sim.hosts;
        console.log(`  ${cli} network list --agent http://${h1.underlayIp}:6675 --token demo-token`);
        console.log(`  ${cli} info --agent http://${h1.underlayIp}:6675 --token demo-token`);
      }
      if (simNodes) {
        console.log(`  ${cli} node list; ${cli} node history hv1; ${cli} transport-zone list`);
        console.log(`  ${cli} node provision hv1 --dry-run   # nothing to change`);
        console.log(`  open ${api}/ui/nodes   # the Nodes page`);
      }
      if (clusterApi) {
        console.log(`  ${cli} cluster --api ${clusterApi}   # the HA cluster: members, leader, masters`);
        console.log(`  open ${clusterApi}/ui/cluster   # the cluster page`);
      }
      if (proxySocket) console.log(`  DOCKER_HOST=unix://${proxySocket} docker ps   # through sluice proxy`);
    } else {
      console.log('ovs-testcontroller is running (it has no API). Try, in another terminal:');
      console.log('  ovs-vsctl show');
      console.log(`  ovs-ofctl -O OpenFlow13 dump-flows ${net.switches[0]?.name ?? 's1'}`);
      console.log('  make demo   # again once the Sluice controller is built, to see Sluice itself');
    }
    console.log('Press Ctrl-C to stop; the demo removes every bridge, namespace and process it made.');
    // Waits for a signal: the handlers above end the process.
    await new Promise<never>(() => setInterval(() => undefined, 1 << 30));
  } catch (e) {
    console.error(`demo: ${(e as Error).message}`);
    await shutdown(1);
  }
}

void main();
