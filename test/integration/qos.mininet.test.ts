/**
 * The qos app on real OVS (userspace datapath), Mininet linear,4 over OpenFlow 1.3 and a real
 * `sluice controller`: the seed's scenario (h1 -> h2 limited to 2 Mbit/s along the path, h2 -> h1 untouched;
 * here with an OpenFlow 1.3 meter, since the userspace datapath does not shape by queue), ToS marking seen by
 * tcpdump, queues set up through the API and seen by ovs-vsctl and tc, enqueue actions in the flow table, a
 * controller restart that loses no policy and wipes no QoS flow, and bad input that changes nothing.
 *
 * The tests share one controller and network, but each sets up the QoS state it needs (the helpers below) and
 * removes it when it ends, so any one runs alone (--test-name-pattern) or in any order.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  SLUICE_CLI,
  dumpFlows,
  ensureOvs,
  MininetNet,
  ofctl,
  run,
  runOk,
  startController,
  vsctl,
  waitForLinks,
  waitFor,
  type RunningController,
} from './harness/index.js';
import { apiRequest, pingsSeenWithTos } from './helpers/mininet.js';

let ctl: RunningController;
let net: MininetNet;

const S1 = '00:00:00:00:00:00:00:01';

const http = (method: string, path: string, body?: unknown, form = false) =>
  apiRequest(ctl, method, path, body, form);

async function cli(...args: string[]) {
  return run(process.execPath, [SLUICE_CLI, 'qos', ...args, '--api', ctl.apiUrl!], { timeoutMs: 20_000 });
}

/** iperf3 client throughput (bit/s received), -R for the reverse direction. */
async function iperf(from: string, to: string, reverse: boolean): Promise<number> {
  const r = await net.exec(from, ['iperf3', '-c', to, '-t', '3', '-J', ...(reverse ? ['-R'] : [])], {
    timeoutMs: 20_000,
  });
  assert.equal(r.code, 0, `iperf3 ${from} -> ${to}: ${r.stderr}${r.stdout.slice(0, 400)}`);
  return (JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received
    .bits_per_second;
}

const qosFlows = async (sw: string) =>
  (await dumpFlows(sw)).filter((l) => /cookie=0x6[0-9a-f]{12}\b/.test(l));

/** Durations (s) of the QoS flows on a switch, by the flow without its counters. */
async function qosDurations(sw: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const l of (await ofctl(['dump-flows', sw])).split('\n')) {
    if (!/cookie=0x6[0-9a-f]{12}\b/.test(l)) continue;
    const d = /duration=([\d.]+)s/.exec(l);
    const key = l
      .replace(/duration=[\d.]+s, |n_packets=\d+, |n_bytes=\d+, |idle_age=\d+, |hard_age=\d+, /g, '')
      .trim();
    out.set(key, Number(d?.[1]));
  }
  return out;
}

/** A request that must succeed; returns its JSON. */
async function ok(method: string, path: string, body?: unknown, form = false): Promise<unknown> {
  const r = await http(method, path, body, form);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

const enableQos = () => ok('PUT', '/api/v1/qos', { enabled: true });

async function deletePolicies(name: string): Promise<void> {
  const all = (await ok('GET', '/wm/qos/policy/json')) as { name: string; policyid: number }[];
  for (const p of all.filter((p) => p.name === name)) {
    await ok('DELETE', '/wm/qos/policy/json', { 'policy-id': p.policyid }, true);
  }
}

/**
 * Waits for a QoS flow on `sw` whose dump-flows line passes `match` (or, present false, for none: a cleanup
 * waits for its flows to go, so the next test does not see them leave under it).
 */
async function qosFlowOn(sw: string, match: (line: string) => boolean, what: string, present = true) {
  await waitFor(async () => (await qosFlows(sw)).some(match) === present, {
    what: `${what} ${present ? 'on' : 'gone from'} ${sw}`,
    timeoutMs: 10_000,
    detail: async () => (await dumpFlows(sw)).join('\n'),
  });
}

type PathView = { state: string; hops: { switch: string; 'out-port': number }[] };

/** The rate path h1 -> h2 (2 Mbit/s, a meter on s1 and s2) through the CLI; deleted when `t` ends. */
async function ratePathH1H2(t: TestContext): Promise<PathView> {
  await enableQos();
  const policy = '{"rate-kbps": 2000}';
  const add = await cli(
    'path',
    'add',
    'h1-h2',
    '--src',
    '10.0.0.1',
    '--dst',
    '10.0.0.2',
    '--policy',
    policy,
    '--json',
  );
  assert.equal(add.code, 0, add.stderr);
  const meterFlow = (l: string) => l.includes('meter:') && l.includes('nw_dst=10.0.0.2');
  t.after(async () => {
    await ok('DELETE', '/api/v1/qos/paths/h1-h2');
    for (const sw of ['s1', 's2']) await qosFlowOn(sw, meterFlow, 'the meter flow', false);
  });
  for (const sw of ['s1', 's2']) await qosFlowOn(sw, meterFlow, 'the meter flow');
  // The add may answer 'waiting' when the hosts are not learned yet; with its flows on, it is routed.
  assert.match((JSON.parse(add.stdout) as PathView).state, /^(active|waiting)$/);
  const paths = (await ok('GET', '/api/v1/qos/paths')) as (PathView & { path: { name: string } })[];
  const view = paths.find((p) => p.path.name === 'h1-h2');
  assert.ok(view, `h1-h2 in ${JSON.stringify(paths)}`);
  return view;
}

/** Service Expedited (ToS 184) and a policy marking h1 -> h3 ICMP on s1; both deleted when `t` ends. */
async function tosPolicyH1H3(t: TestContext): Promise<void> {
  await enableQos();
  const svc = await http('POST', '/wm/qos/service/json', '{"name": "Expedited", "tos": "184"}', true);
  assert.equal(svc.status, 200);
  assert.match((svc.json as { status: string }).status, /^Adding Type Of Service: Expedited 184/);
  const tosFlow = (l: string) => /mod_nw_tos:184|46->ip_dscp|184->nw_tos/.test(l);
  // The policy goes before the service it uses.
  t.after(async () => {
    await deletePolicies('mark-h1-h3');
    await ok('DELETE', '/wm/qos/service/json', { sid: (svc.json as { sid: number }).sid }, true);
    await qosFlowOn('s1', tosFlow, 'the ToS flow', false);
  });
  const pol = await http(
    'POST',
    '/wm/qos/policy/json',
    JSON.stringify({
      name: 'mark-h1-h3',
      sw: S1,
      protocol: '1',
      'ip-src': '10.0.0.1',
      'ip-dst': '10.0.0.3',
      service: 'Expedited',
    }),
    true,
  );
  assert.equal(pol.status, 200, JSON.stringify(pol.json));
  const policyid = (pol.json as { policyid: number }).policyid;
  assert.deepEqual(pol.json, { status: 'Adding Policy: mark-h1-h3', policyid });
  await qosFlowOn('s1', tosFlow, 'the ToS flow');
}

/** The seed's queuing policy (h1 -> h4 TCP to queue 2 of s1 port 2), as qosmanager2.py sends it. */
async function enqueuePolicyH1H4(t: TestContext): Promise<void> {
  await enableQos();
  const pol = await http(
    'POST',
    '/wm/qos/policy/json',
    '{"name": "Enqueue 2:2 s1", "protocol":"6","eth-type": "0x0800", "ingress-port": "1","ip-src":"10.0.0.1", ' +
      '"ip-dst": "10.0.0.4", "sw": "00:00:00:00:00:00:00:01","queue":"2","enqueue-port":"2"}',
    true,
  );
  assert.equal(pol.status, 200, JSON.stringify(pol.json));
  const policyid = (pol.json as { policyid: number }).policyid;
  const queueFlow = (l: string) => l.includes('actions=set_queue:2,goto_table:2');
  t.after(async () => {
    await ok('DELETE', '/wm/qos/policy/json', { 'policy-id': policyid }, true);
    await qosFlowOn('s1', queueFlow, 'set_queue:2,goto_table:2', false);
  });
  await qosFlowOn('s1', queueFlow, 'set_queue:2,goto_table:2');
}

before(async () => {
  await ensureOvs();
  ctl = await startController();
  net = await MininetNet.start({
    topo: 'linear,4',
    protocols: 'OpenFlow13',
    controllerPort: ctl.openflowPort,
  });
  await waitFor(
    async () => ((await http('GET', '/wm/core/controller/switches/json')).json as unknown[]).length === 4,
    {
      what: 'four switches in the API',
      timeoutMs: 20_000,
    },
  );
  // linear,4: three links, each known both ways before the paths below are resolved over them.
  await waitForLinks(ctl, 3);
  // Hosts are learned from their traffic; QoS paths resolve src and dst through them.
  await net.pingallUntil(0, 30_000);
});

after(async () => {
  await net?.stop();
  await ctl?.stop();
});

test('Floodlight tool paths: status is a bare boolean, enable replies its status object', async () => {
  assert.deepEqual((await http('GET', '/wm/qos/tool/disable/json')).json, {
    status: 'success',
    details: 'QoS Disabled',
  });
  assert.deepEqual((await http('GET', '/wm/qos/tool/status/json')).json, false);
  assert.deepEqual((await http('GET', '/wm/qos/tool/enable/json')).json, {
    status: 'success',
    details: 'QoS Enabled',
  });
  assert.deepEqual((await http('GET', '/wm/qos/tool/status/json')).json, true);
  const services = (await http('GET', '/wm/qos/service/json')).json as { sid: number; name: string }[];
  assert.deepEqual(
    services.map((s) => s.name),
    ['Best Effort'],
  );
});

test('rate path h1 -> h2 (sluice qos path): h1 -> h2 held to about 2 Mbit/s, h2 -> h1 at least 50x faster', async (t) => {
  const view = await ratePathH1H2(t);
  assert.equal(view.state, 'active');
  assert.deepEqual(
    view.hops.map((h) => [h.switch, h['out-port']]),
    [
      [S1, 2],
      ['00:00:00:00:00:00:00:02', 1],
    ],
  );
  for (const sw of ['s1', 's2']) {
    assert.match(await ofctl(['dump-meters', sw]), /kbps.*\n?.*type=drop rate=2000/);
  }
  assert.deepEqual(await qosFlows('s3'), [], 's3 is not on the path');

  // Not `iperf3 -s -D`: a daemon leaves the driver's process tracking and outlives the network.
  const server = await net.bg('h2', ['iperf3', '-s']);
  let forward: number;
  let reverse: number;
  try {
    await waitFor(async () => (await net.exec('h2', ['sh', '-c', 'ss -ltn | grep -q :5201'])).code === 0, {
      what: 'iperf3 server on h2',
    });
    forward = await iperf('h1', '10.0.0.2', false);
    reverse = await iperf('h1', '10.0.0.2', true);
  } finally {
    await server.kill();
  }
  assert.ok(forward <= 3_000_000, `h1 -> h2 at ${forward} bit/s, expected at most 3 Mbit/s`);
  assert.ok(reverse >= 50 * forward, `h2 -> h1 at ${reverse} bit/s, expected at least 50x ${forward}`);
});

test('ToS policy marks h1 -> h3 packets: tcpdump on h3 sees tos 0xb8 (DSCP 46)', async (t) => {
  await tosPolicyH1H3(t);
  // Until tcpdump listens it sees nothing: repeat capture + pings until a marked packet shows up.
  const seen = await pingsSeenWithTos(
    net,
    { host: 'h1', ip: '10.0.0.1' },
    { host: 'h3', ip: '10.0.0.3' },
    'tos 0xb8',
  );
  assert.match(seen, /tos 0xb8/);
});

test('queues through the API appear in ovs-vsctl and tc; a queuing policy puts set_queue in the flow', async (t) => {
  const body = {
    port: 's1-eth2',
    'max-rate': 1_000_000_000,
    queues: { 0: { 'max-rate': 1_000_000_000 }, 1: { 'max-rate': 20_000_000 }, 2: { 'max-rate': 2_000_000 } },
  };
  const set = await http('PUT', '/api/v1/qos/queues', body);
  assert.equal(set.status, 200, JSON.stringify(set.json));
  t.after(() => ok('DELETE', '/api/v1/qos/queues?port=s1-eth2'));
  const qos = await vsctl('list', 'qos');
  assert.match(qos, /linux-htb/);
  assert.match(qos, /max-rate="1000000000"/);
  assert.match(await vsctl('list', 'queue'), /max-rate="2000000"/);
  await waitFor(
    async () =>
      /class htb 1:3 .*ceil 2Mbit/.test((await runOk('tc', ['class', 'show', 'dev', 's1-eth2'])) ?? ''),
    {
      what: 'the 2 Mbit/s htb class on s1-eth2',
      timeoutMs: 10_000,
      detail: () => runOk('tc', ['class', 'show', 'dev', 's1-eth2']),
    },
  );
  const shown = await cli('queues', 'show', 's1-eth2', '--json');
  assert.equal(shown.code, 0, shown.stderr);
  assert.deepEqual((JSON.parse(shown.stdout) as { queues: unknown }[])[0].queues, {
    0: { 'max-rate': 1_000_000_000 },
    1: { 'max-rate': 20_000_000 },
    2: { 'max-rate': 2_000_000 },
  });

  // The seed's policy (to h4, so it does not overlap the h1 -> h2 path).
  await enqueuePolicyH1H4(t);
  const listed = (await http('GET', '/wm/qos/policy/json')).json as { name: string; policyid: number }[];
  assert.ok(listed.some((p) => p.name === 'Enqueue 2:2 s1' && typeof p.policyid === 'number'));
});

test('bad input to every endpoint and CLI verb: 4xx / nonzero exit, state unchanged', async (t) => {
  // Names that exist, for the duplicate cases.
  await ratePathH1H2(t);
  await enqueuePolicyH1H4(t);
  const snapshot = async () =>
    JSON.stringify([
      (await http('GET', '/api/v1/qos/services')).json,
      (await http('GET', '/wm/qos/policy/json')).json,
      ((await http('GET', '/api/v1/qos/paths')).json as { path: unknown }[]).map((p) => p.path),
      (await http('GET', '/api/v1/qos/queues')).json,
    ]);
  const before = await snapshot();
  const bad: [string, string, unknown, string | undefined][] = [
    ['GET', '/wm/qos/tool/bogus/json', undefined, 'op'],
    [
      'POST',
      '/wm/qos/policy/json',
      { name: 'x', queue: 1, 'enqueue-port': 2, service: 'Best Effort' },
      'service',
    ],
    ['POST', '/wm/qos/policy/json', '{"name": ', 'body'],
    ['POST', '/wm/qos/policy/json', { name: 'h1-h2-dup', 'rate-kbps': 'lots' }, 'rate-kbps'],
    ['POST', '/wm/qos/policy/json', { name: 'Enqueue 2:2 s1', queue: 1, 'enqueue-port': 2 }, 'name'],
    ['DELETE', '/wm/qos/policy/json', { 'policy-id': 'x' }, 'policy-id'],
    ['DELETE', '/wm/qos/policy/json', { 'policy-id': 999 }, 'policy-id'],
    ['POST', '/wm/qos/service/json', { name: 'odd', tos: 46 }, 'tos'],
    ['DELETE', '/wm/qos/service/json', { sid: 999 }, 'sid'],
    [
      'POST',
      '/wm/qos/path/json',
      { name: 'p', 'src-ip': '10.0.0.1', 'dst-ip': 'h2', policy: { queue: 1 } },
      'dst-ip',
    ],
    ['DELETE', '/wm/qos/path/json', { name: 'nope' }, 'name'],
    ['PUT', '/api/v1/qos', { enabled: 'yes' }, 'enabled'],
    ['POST', '/api/v1/qos/policies', { name: 'y', 'rate-kbps': 10, 'src-port': 80 }, 'src-port'],
    ['DELETE', '/api/v1/qos/policies/abc', undefined, 'policy-id'],
    ['POST', '/api/v1/qos/services', { name: 'Best Effort', tos: 0 }, 'name'],
    ['DELETE', '/api/v1/qos/services/1x', undefined, 'sid'],
    [
      'POST',
      '/api/v1/qos/paths',
      { name: 'h1-h2', 'src-ip': '10.0.0.1', 'dst-ip': '10.0.0.2', policy: { queue: 1 } },
      'name',
    ],
    ['DELETE', '/api/v1/qos/paths/nope', undefined, 'name'],
    [
      'PUT',
      '/api/v1/qos/queues',
      { port: 's1-eth2', 'max-rate': 1000, queues: { 1: { 'max-rate': 5000 } } },
      'queues.1.max-rate',
    ],
    ['PUT', '/api/v1/qos/queues', { port: 'nosuch0', 'max-rate': 1000, queues: { 1: {} } }, 'port'],
    ['DELETE', '/api/v1/qos/queues', undefined, 'port'],
  ];
  for (const [method, path, body, field] of bad) {
    const r = await http(method, path, body, true);
    assert.ok(r.status >= 400 && r.status < 500, `${method} ${path} ${JSON.stringify(body)} -> ${r.status}`);
    assert.equal((r.json as { field?: string }).field, field, `${method} ${path}: ${JSON.stringify(r.json)}`);
  }
  const verbs: [string[], number][] = [
    [['add', 'policy', '{bad json'], 2],
    [['add', 'widget', '{}'], 2],
    [['add', 'policy', '{"name": "z"}'], 1],
    [['delete', 'policy', 'abc'], 2],
    [['delete', 'service', '999'], 1],
    [['list', 'bogus'], 2],
    [['path', 'add', 'p', '--src', 'nohost', '--dst', '10.0.0.2', '--policy', '{"queue": 1}'], 2],
    [
      ['path', 'add', 'p', '--src', '10.0.0.1', '--dst', '10.0.0.2', '--policy', '{"queue": 1, "sw": "all"}'],
      1,
    ],
    [['path', 'delete', 'nope'], 1],
    [['queues', 'set', 's1-eth2', '--max-rate', 'fast', '--queue', '1=1M'], 2],
    [['queues', 'set', 's1-eth2', '--max-rate', '1M'], 2],
    [['queues', 'clear', 'nosuch0'], 1],
    [['enable', 'extra-arg'], 2],
  ];
  for (const [args, code] of verbs) {
    const r = await cli(...args);
    assert.equal(r.code, code, `sluice qos ${args.join(' ')}: ${r.stderr}`);
  }
  assert.equal(await snapshot(), before);
});

test('controller restart: no policy lost, no QoS flow wiped, meters kept', async (t) => {
  await ratePathH1H2(t);
  await tosPolicyH1H3(t);
  await enqueuePolicyH1H4(t);
  const policiesBefore = (await http('GET', '/wm/qos/policy/json')).json;
  const pathsBefore = ((await http('GET', '/api/v1/qos/paths')).json as { path: unknown }[]).map(
    (p) => p.path,
  );
  const flowsBefore = new Map([
    ['s1', await qosDurations('s1')],
    ['s2', await qosDurations('s2')],
  ]);
  assert.ok(flowsBefore.get('s1')!.size >= 3, 'rate, ToS and queue flows on s1');
  const metersBefore = await ofctl(['dump-meters', 's1']);

  await ctl.restart();
  await waitFor(
    async () => ((await http('GET', '/wm/core/controller/switches/json')).json as unknown[]).length === 4,
    {
      what: 'four switches back',
      timeoutMs: 20_000,
    },
  );
  assert.deepEqual((await http('GET', '/wm/qos/policy/json')).json, policiesBefore);
  assert.deepEqual(
    ((await http('GET', '/api/v1/qos/paths')).json as { path: unknown }[]).map((p) => p.path),
    pathsBefore,
  );
  assert.equal((await http('GET', '/wm/qos/tool/status/json')).json, true);

  // A new policy on s1 shows that QoS's reconcile ran there after the restart; the old flows must have
  // stayed (their durations kept growing) rather than having been deleted and added again.
  const probe = await cli(
    'add',
    'policy',
    JSON.stringify({ name: 'probe', sw: S1, 'ip-dst': '10.0.0.9', 'rate-kbps': 100, 'out-port': 2 }),
  );
  assert.equal(probe.code, 0, probe.stderr);
  t.after(async () => {
    await deletePolicies('probe');
    await qosFlowOn('s1', (l) => l.includes('nw_dst=10.0.0.9'), 'the probe flow', false);
  });
  await waitFor(async () => (await qosFlows('s1')).some((l) => l.includes('nw_dst=10.0.0.9')), {
    what: 'the probe policy flow on s1',
    timeoutMs: 15_000,
  });
  for (const [sw, before] of flowsBefore) {
    const now = await qosDurations(sw);
    for (const [flow, d] of before) {
      assert.ok(now.has(flow), `${sw}: ${flow} is gone after the restart`);
      assert.ok(now.get(flow)! >= d, `${sw}: ${flow} was re-added (duration ${now.get(flow)} < ${d})`);
    }
  }
  const metersAfter = await ofctl(['dump-meters', 's1']);
  assert.ok(metersAfter.includes(metersBefore.split('\n').slice(1).join('\n').trim().split('\n')[0]));
});
