import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../src/api/index.js';
import { apiUrlArg, dpidArg, hostArg, tcpPortListArg } from '../../src/cli/args.js';
import { daemonConfigFrom, type ControllerCliOptions } from '../../src/cli/controller.js';
import { flowsText, hostsText, linksText, portsText, switchesText } from '../../src/cli/output.js';
import { runCli } from '../../src/cli/run.js';
import { ago, bytes, formatTable } from '../../src/cli/table.js';
import { closedPort, fakeDeps, portCounters } from './api.fakes.js';
import { statisticsRoutes } from '../../src/api/routes/statistics.js';
import { StatisticsApp } from '../../src/apps/statistics/index.js';
import { recordingIo } from './cli.io.js';

const D1 = '00:00:00:00:00:00:00:01';
let app: FastifyInstance;
let api: string;

before(async () => {
  const deps = fakeDeps();
  // s1 port 1 moved 1.25 MB each way in 1 s: 10 Mb/s of its 10 Gb/s.
  const statistics = new StatisticsApp({ timers: false });
  const t0 = Date.parse('2026-11-28T10:04:58Z');
  statistics.record(deps.s1, [portCounters(1, 0n, 0n)], t0);
  statistics.record(deps.s1, [portCounters(1, 1000n, 1_250_000n)], t0 + 1000);
  app = await createApiServer({ ...deps, routes: [statisticsRoutes(statistics)] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
after(() => app.close());

const io = (env: Record<string, string> = {}) =>
  recordingIo(env, { now: () => Date.parse('2026-11-28T10:05:00Z') });

test('argument parsers name what is wrong', () => {
  assert.equal(dpidArg('0x1'), D1);
  assert.throws(() => dpidArg('s1'), /'s1' is not a DPID/);
  assert.equal(apiUrlArg('http://h:8080/'), 'http://h:8080');
  assert.throws(() => apiUrlArg('ftp://h'), /must use http or https/);
  assert.throws(() => apiUrlArg('nope'), /is not a URL/);
  assert.deepEqual(tcpPortListArg('6653,6633', undefined), [6653, 6633]);
  assert.deepEqual(tcpPortListArg('6634', [6653]), [6653, 6634]);
  assert.throws(() => tcpPortListArg('70000', undefined), /not a TCP port/);
  assert.equal(hostArg('[::1]'), '::1');
  assert.throws(() => hostArg('bad host!'), /not an IP address or host name/);
});

test('table and value formatting', () => {
  assert.equal(
    formatTable(
      ['a', 'bb'],
      [
        ['xxx', 'y'],
        ['z', 'w'],
      ],
    ),
    'A     BB\nxxx   y\nz     w\n',
  );
  assert.equal(ago(0, 61_000), '1 minute ago');
  assert.equal(ago(0, 3 * 86_400_000), '3 days ago');
  assert.equal(bytes(999), '999B');
  assert.equal(bytes(1536), '1.5kB');
  assert.equal(bytes(25_000_000), '25MB');
});

test('sluice bandwidth: a row per port with rates and utilisation; --json gives the API rows', async () => {
  const t = io();
  assert.equal(await runCli(['bandwidth', '0x1', '--api', api], t.cli), 0);
  assert.match(t.out(), /^DPID +PORT +RX RATE +TX RATE/);
  assert.match(
    t.out(),
    /\n00:00:00:00:00:00:00:01 +1 +10Mb\/s +10Mb\/s +1000\.0 +1000\.0 +0\.0 +0\.0 +0\.10% +1 second ago\n/,
  );
  const j = io();
  assert.equal(await runCli(['bandwidth', '--json', '--api', api], j.cli), 0);
  assert.equal((JSON.parse(j.out()) as { rxBitsPerSec: number }[])[0].rxBitsPerSec, 10_000_000);
  const bad = io();
  assert.equal(await runCli(['bandwidth', 'nope', '--api', api], bad.cli), 2);
});

test('human output of each verb', async () => {
  const now = Date.parse('2026-11-28T10:05:00Z');
  const switches = switchesText(
    [
      {
        dpid: D1,
        address: '127.0.0.1:40000',
        connectedSince: '2026-11-28T10:00:00Z',
        openflowVersion: '1.3',
        manufacturer: 'Nicira, Inc.',
        hardware: 'Open vSwitch',
        software: '3.1.0',
        serialNumber: 'None',
        description: 's1',
        tables: 254,
        buffers: 0,
        capabilities: 0,
        portCount: 3,
      },
    ],
    now,
  );
  assert.equal(
    switches,
    'DPID                      ADDRESS           OPENFLOW   CONNECTED       PORTS   SOFTWARE             DESCRIPTION\n' +
      '00:00:00:00:00:00:00:01   127.0.0.1:40000   1.3        5 minutes ago   3       Open vSwitch 3.1.0   s1\n',
  );
  const link = {
    src: { dpid: D1, port: 2 },
    dst: { dpid: D1, port: 3 },
    type: 'internal',
    direction: 'bidirectional',
    latencyMs: 0,
  } as const;
  assert.match(
    linksText([link]),
    /^SRC DPID .*\n00:00:00:00:00:00:00:01 {3}2 +00:00:00:00:00:00:00:01 {3}3 +internal/,
  );
  const host = {
    mac: '00:00:00:00:00:01',
    ipv4: ['10.0.0.1'],
    ipv6: [],
    vlan: [0],
    attachmentPoints: [{ dpid: D1, port: 1 }],
    lastSeen: '2026-11-28T10:04:50Z',
  };
  assert.match(hostsText([host], now), /10\.0\.0\.1 +0 +00:00:00:00:00:00:00:01 +1 +10 seconds ago/);
  const port = {
    port: 1,
    portName: '1',
    name: 's1-eth1',
    hwAddr: '02:00:00:00:00:01',
    adminUp: true,
    linkUp: false,
    config: 0,
    state: 1,
    currSpeedKbps: 10_000_000,
    maxSpeedKbps: 0,
    stats: null,
  };
  assert.match(portsText([port]), /s1-eth1 +02:00:00:00:00:01 +down +10G +- +-/);
  const flow = (priority: number, text: string) => ({
    tableId: 0,
    priority,
    text,
    cookie: '0x0',
    packetCount: 0,
    byteCount: 0,
    durationSec: 0,
    idleTimeout: 0,
    hardTimeout: 0,
    flags: 0,
    match: {},
    instructions: [],
  });
  assert.equal(flowsText([flow(0, ' low'), flow(10, ' high')]), ' high\n low\n');
});

test('query verbs print tables or JSON from the API', async () => {
  const a = io();
  assert.equal(await runCli(['switches', '--api', api], a.cli), 0);
  assert.match(a.out(), /^DPID +ADDRESS/);
  assert.match(a.out(), /00:00:00:00:00:00:00:02 +127\.0\.0\.1:40001 +1\.0/);

  const j = io({ SLUICE_API: api });
  assert.equal(await runCli(['flows', '0x1', '--json'], j.cli), 0);
  assert.equal(JSON.parse(j.out())[0].packetCount, 12);

  const f = io();
  assert.equal(await runCli(['flows', D1, '--api', api], f.cli), 0);
  assert.match(f.out(), /^ cookie=0x2000000000000001, .*priority=100.*actions=output:2\n$/);

  for (const verb of [['links'], ['hosts', '--ip', '10.0.0.2', '--vlan', '0'], ['ports', D1]]) {
    const v = io();
    assert.equal(await runCli([...verb, '--api', api], v.cli), 0, verb.join(' '));
    assert.ok(v.out().split('\n').length >= 3, verb.join(' '));
  }
});

test('bad arguments exit 2 naming the argument; API errors exit 1 with error and detail', async () => {
  const bad = io();
  assert.equal(await runCli(['ports', 'not-a-dpid', '--api', api], bad.cli), 2);
  assert.match(bad.err(), /argument 'dpid'.*'not-a-dpid' is not a DPID/);

  const url = io();
  assert.equal(await runCli(['switches', '--api', 'localhost:8080'], url.cli), 2);
  assert.match(url.err(), /option '--api <url>'/);

  const env = io({ SLUICE_API: 'nope' });
  assert.equal(await runCli(['switches'], env.cli), 2);
  assert.match(env.err(), /SLUICE_API/);

  const unknownSwitch = io();
  assert.equal(await runCli(['flows', '0x99', '--api', api], unknownSwitch.cli), 1);
  assert.match(unknownSwitch.err(), /error: not_found: switch 00:00:00:00:00:00:00:99 is not connected/);

  const down = io();
  const refused = `http://127.0.0.1:${await closedPort()}`;
  assert.equal(await runCli(['switches', '--api', refused], down.cli), 1);
  assert.match(
    down.err(),
    new RegExp(`not running at ${refused.replace(/\./g, '\\.')}.*\\n.*sluice controller`),
  );

  const vlan = io();
  assert.equal(await runCli(['hosts', '--vlan', '5000', '--api', api], vlan.cli), 2);
  assert.match(vlan.err(), /--vlan.*not a VLAN id/);

  const unknownVerb = io();
  assert.equal(await runCli(['frobnicate'], unknownVerb.cli), 2);
  const help = io();
  assert.equal(await runCli(['flows', '--help'], help.cli), 0);
  assert.match(help.out(), /--api <url>/);
});

test('controller options become the daemon config', async () => {
  const base: ControllerCliOptions = {
    openflowListen: '0.0.0.0',
    apiPort: 8080,
    listen: '127.0.0.1',
    store: 'embedded',
    logLevel: 'info',
  };
  const c = daemonConfigFrom(base, { SLUICE_API_TOKEN: 'from-env-token' }, true, '1.2.3');
  assert.deepEqual(c.openflow, { listen: '0.0.0.0', ports: [6653, 6633] });
  assert.equal(c.api.token, 'from-env-token');
  assert.equal(c.log.format, 'pretty');
  assert.throws(
    () => daemonConfigFrom({ ...base, tlsCert: 'a.pem' }, {}, false, 'x'),
    /--tls-key and --tls-ca/,
  );

  const run = io();
  assert.equal(
    await runCli(
      [
        'controller',
        '--openflow-port',
        '7000,7001',
        '--openflow-port',
        '7002',
        '--api-port',
        '0',
        '--log-format',
        'json',
      ],
      run.cli,
    ),
    0,
  );
  assert.deepEqual(run.configs[0].openflow.ports, [7000, 7001, 7002]);
  assert.equal(run.configs[0].api.port, 0);
  assert.equal(run.configs[0].log.format, 'json');

  const badLevel = io();
  assert.equal(await runCli(['controller', '--log-level', 'loud'], badLevel.cli), 2);
  assert.match(badLevel.err(), /--log-level/);
});

test('--store picks the backend; each backend takes only its own flags', async () => {
  const configOf = async (args: string[], env: Record<string, string> = {}) => {
    const run = io(env);
    assert.equal(await runCli(['controller', ...args], run.cli), 0, run.err());
    return run.configs[0].store;
  };
  assert.deepEqual(await configOf([]), { backend: 'embedded', dataDir: './.data' });
  assert.deepEqual(await configOf(['--data-dir', '/var/lib/sluice']), {
    backend: 'embedded',
    dataDir: '/var/lib/sluice',
  });
  // The environment's etcd endpoints do not concern an embedded store, even when they would be invalid.
  assert.deepEqual(await configOf(['--store', 'embedded'], { SLUICE_ETCD_ENDPOINTS: 'nope' }), {
    backend: 'embedded',
    dataDir: './.data',
  });

  assert.deepEqual(await configOf(['--store', 'etcd']), {
    backend: 'etcd',
    endpoints: ['http://127.0.0.1:2379'],
    namespace: '/sluice',
  });
  assert.deepEqual(
    await configOf([
      '--store',
      'etcd',
      '--etcd-endpoints',
      'http://etcd-a:2379, http://etcd-b:2379',
      '--etcd-endpoints',
      'http://etcd-a:2379,http://[::1]:2379',
      '--etcd-prefix',
      '/team-a/sluice/',
    ]),
    {
      backend: 'etcd',
      endpoints: ['http://etcd-a:2379', 'http://etcd-b:2379', 'http://[::1]:2379'],
      namespace: '/team-a/sluice',
    },
  );
  const env = { SLUICE_ETCD_ENDPOINTS: 'http://127.0.0.1:12379,http://127.0.0.1:22379' };
  assert.deepEqual(await configOf(['--store', 'etcd'], env), {
    backend: 'etcd',
    endpoints: ['http://127.0.0.1:12379', 'http://127.0.0.1:22379'],
    namespace: '/sluice',
  });
  assert.deepEqual(
    await configOf(
      ['--store', 'etcd', '--etcd-endpoints', 'http://127.0.0.1:3379', '--etcd-prefix', '/'],
      env,
    ),
    { backend: 'etcd', endpoints: ['http://127.0.0.1:3379'], namespace: '' },
    'the flag wins over the environment; / puts the keys at the root',
  );
});

test('bad store flags are usage errors (exit 2) naming the flag and the reason', async () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--store', 'mongo'], {}, /--store <kind>.*'mongo' is invalid.*embedded, etcd/],
    [
      ['--store', 'etcd', '--etcd-endpoints', 'localhost:2379'],
      {},
      /--etcd-endpoints.*'localhost:2379' is not an etcd client URL.*must look like http:\/\/host:port/,
    ],
    [['--store', 'etcd', '--etcd-endpoints', 'ftp://h:2379'], {}, /--etcd-endpoints.*got ftp:\/\/h:2379/],
    [['--store', 'etcd', '--etcd-endpoints', 'http://h'], {}, /--etcd-endpoints.*got http:\/\/h/],
    [['--store', 'etcd', '--etcd-endpoints', 'http://h:2379/v3'], {}, /--etcd-endpoints.*\/v3/],
    [['--store', 'etcd', '--etcd-endpoints', 'not a url'], {}, /--etcd-endpoints.*not a URL/],
    [['--store', 'etcd', '--etcd-endpoints', 'http://a:1,,http://b:2'], {}, /--etcd-endpoints.*empty entry/],
    [
      ['--store', 'etcd', '--etcd-endpoints', 'https://a:2379', '--etcd-endpoints', 'http://b:2379'],
      {},
      /--etcd-endpoints.*endpoints must all be http:\/\/ or all https:\/\/, not a mix/,
    ],
    [['--store', 'etcd', '--etcd-prefix', 'sluice'], {}, /--etcd-prefix.*must start with '\/'/],
    [['--store', 'etcd', '--etcd-prefix', '//'], {}, /--etcd-prefix.*must not end with '\/'/],
    [['--store', 'etcd'], { SLUICE_ETCD_ENDPOINTS: 'h:2379' }, /SLUICE_ETCD_ENDPOINTS: .*must look like/],
    [['--etcd-endpoints', 'http://h:2379'], {}, /--etcd-endpoints is only used with --store etcd/],
    [['--store', 'embedded', '--etcd-prefix', '/x'], {}, /--etcd-prefix is only used with --store etcd/],
    [['--store', 'etcd', '--data-dir', '/tmp/x'], {}, /--data-dir is only used with --store embedded/],
    [['--store', 'etcd', '--cluster-id', 'a/b'], {}, /--cluster-id.*'a\/b' may hold only letters, digits/],
    [['--store', 'etcd', '--cluster-id', 'x'.repeat(64)], {}, /--cluster-id.*the limit is 63/],
    [['--cluster-id', 'prod'], {}, /--cluster-id needs --store etcd.*--store embedded/],
    [['--store', 'etcd', '--member-id', 'm1'], {}, /--member-id needs --cluster-id/],
    [['--store', 'etcd', '--cluster-id', 'p', '--member-id', 'a b'], {}, /--member-id.*'a b'/],
  ];
  for (const [args, env, message] of cases) {
    const run = io(env);
    assert.equal(await runCli(['controller', ...args], run.cli), 2, args.join(' '));
    assert.match(run.err(), message, args.join(' '));
    assert.equal(run.configs.length, 0, `${args.join(' ')}: no controller started`);
  }
});

test('--cluster-id (with --store etcd) and --member-id reach the daemon config', async () => {
  const clusterOf = async (args: string[]) => {
    const run = io();
    assert.equal(await runCli(['controller', '--store', 'etcd', ...args], run.cli), 0, run.err());
    return run.configs[0].cluster;
  };
  assert.equal(await clusterOf([]), undefined);
  assert.deepEqual(await clusterOf(['--cluster-id', 'prod-1']), { id: 'prod-1' });
  assert.deepEqual(await clusterOf(['--cluster-id', 'prod-1', '--member-id', 'ctl.a_1']), {
    id: 'prod-1',
    memberId: 'ctl.a_1',
  });
});

test('sluice controller --help lists the store flags', async () => {
  const help = io();
  assert.equal(await runCli(['controller', '--help'], help.cli), 0);
  for (const flag of [
    '--store <kind>',
    '--data-dir <dir>',
    '--etcd-endpoints <urls>',
    '--etcd-prefix <prefix>',
  ]) {
    assert.ok(help.out().includes(flag), `${flag} in:\n${help.out()}`);
  }
  assert.match(help.out(), /SLUICE_ETCD_ENDPOINTS/);
});
