import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveUnderlay, validateAgentConfig, type AgentConfig } from '../../src/agent/index.js';
import type { AgentHostFacts } from '../../src/cli/agent.js';
import { runCli } from '../../src/cli/run.js';
import { FieldError } from '../../src/util/index.js';
import { recordingIo } from './cli.io.js';

const IFACES = {
  lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
  eth0: [
    { address: 'fe80::1', family: 'IPv6', internal: false },
    { address: '10.0.0.5', family: 'IPv4', internal: false },
    { address: '10.0.0.6', family: 'IPv4', internal: false },
  ],
  eth1: [{ address: '192.168.9.2', family: 'IPv4', internal: false }],
  dummy0: [],
};
const FACTS: AgentHostFacts = { hostname: () => 'node-1', interfaces: () => IFACES };

async function agentConfig(args: string[], env: Record<string, string> = {}) {
  const run = recordingIo(env, { agentHost: FACTS });
  const code = await runCli(['agent', ...args], run.cli);
  return { code, config: run.agents[0], err: run.err() };
}

test('underlay: one from the other, both checked against the interfaces', () => {
  assert.deepEqual(resolveUnderlay({ iface: 'eth0' }, IFACES), { ip: '10.0.0.5', iface: 'eth0' });
  assert.deepEqual(resolveUnderlay({ ip: '192.168.9.2' }, IFACES), { ip: '192.168.9.2', iface: 'eth1' });
  assert.deepEqual(resolveUnderlay({ ip: '10.0.0.6', iface: 'eth0' }, IFACES), {
    ip: '10.0.0.6',
    iface: 'eth0',
  });
  assert.deepEqual(resolveUnderlay({}, IFACES), { ip: '10.0.0.5', iface: 'eth0' });
  const field = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof FieldError);
      return `${e.field}: ${e.reason}`;
    }
    assert.fail('no error');
  };
  assert.match(
    field(() => resolveUnderlay({ iface: 'eth9' }, IFACES)),
    /^underlay.iface: no interface named eth9/,
  );
  assert.match(
    field(() => resolveUnderlay({ iface: 'dummy0' }, IFACES)),
    /^underlay.iface: dummy0 has no IPv4/,
  );
  assert.match(
    field(() => resolveUnderlay({ ip: '10.9.9.9' }, IFACES)),
    /^underlay.ip: no interface .* 10.9.9.9/,
  );
  assert.match(
    field(() => resolveUnderlay({ ip: '192.168.9.2', iface: 'eth0' }, IFACES)),
    /^underlay.ip: 192.168.9.2 is not an address of eth0/,
  );
  assert.match(
    field(() => resolveUnderlay({ ip: '10.0.0' }, IFACES)),
    /^underlay.ip: '10.0.0' is not an IPv4/,
  );
  assert.match(
    field(() => resolveUnderlay({}, { lo: IFACES.lo })),
    /^underlay.ip: no interface/,
  );
});

const DEFAULTS: AgentConfig = {
  hostId: 'node-1',
  store: { backend: 'embedded', dataDir: '/var/lib/sluice-agent' },
  api: { listen: '127.0.0.1', port: 6675 },
  underlay: { ip: '10.0.0.5', iface: 'eth0' },
  ovsdb: { remote: 'unix:/var/run/openvswitch/db.sock' },
  bridge: 'sluice0',
  docker: { socketPath: '/var/run/docker.sock' },
  pluginSocket: '/run/docker/plugins/sluice.sock',
  openflowPort: 6654,
  log: { level: 'info', format: 'json' },
  version: '1',
};

test('sluice agent: defaults (its own data dir, port 6675, loopback) and the host facts', async () => {
  const { code, config, err } = await agentConfig([]);
  assert.equal(code, 0, err);
  assert.deepEqual(config, { ...DEFAULTS, version: config.version });
});

test('sluice agent: flags and environment as sluice controller takes them', async () => {
  const { code, config, err } = await agentConfig(
    [
      '--store',
      'etcd',
      '--etcd-prefix',
      '/lab',
      '--listen',
      '0.0.0.0',
      '--api-port',
      '7000',
      '--underlay-iface',
      'eth1',
      '--ovsdb',
      'tcp:127.0.0.1:6640',
      '--bridge',
      'br-c',
      '--host-id',
      'h2',
      '--plugin-socket',
      '/tmp/p/sluice.sock',
      '--openflow-port',
      '6700',
      '--log-level',
      'debug',
    ],
    {
      SLUICE_AGENT_TOKEN: 'secret-token',
      SLUICE_ETCD_ENDPOINTS: 'http://10.0.0.1:2379,http://10.0.0.2:2379',
      DOCKER_HOST: 'unix:///run/h2/docker.sock',
    },
  );
  assert.equal(code, 0, err);
  assert.deepEqual(config.store, {
    backend: 'etcd',
    endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'],
    namespace: '/lab',
  });
  assert.deepEqual(config.api, { listen: '0.0.0.0', port: 7000, token: 'secret-token' });
  assert.deepEqual(config.underlay, { ip: '192.168.9.2', iface: 'eth1' });
  assert.equal(config.ovsdb.remote, 'tcp:127.0.0.1:6640');
  assert.equal(config.bridge, 'br-c');
  assert.equal(config.hostId, 'h2');
  assert.equal(config.docker.socketPath, '/run/h2/docker.sock');
  assert.equal(config.pluginSocket, '/tmp/p/sluice.sock');
  assert.equal(config.openflowPort, 6700);
  assert.equal(config.log.level, 'debug');
  const flag = await agentConfig(['--docker', 'unix:///y.sock'], { DOCKER_HOST: 'unix:///x.sock' });
  assert.equal(flag.config.docker.socketPath, '/y.sock');
});

test('sluice agent: bad values exit 2 naming the flag or variable', async () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--underlay-ip', '10.0.0'], {}, /'10.0.0' is not an IPv4 address/],
    [['--underlay-ip', '10.9.9.9'], {}, /--underlay-ip: no interface of this host has the address 10.9.9.9/],
    [['--underlay-iface', 'eth7'], {}, /--underlay-iface: no interface named eth7/],
    [['--bridge', 'a-name-far-too-long'], {}, /--bridge: 'a-name-far-too-long' is not a bridge name/],
    [['--host-id', 'bad id'], {}, /--host-id: 'bad id' must be/],
    [['--docker', 'tcp://h:2375'], {}, /--docker: must be unix:\/\/\/path\/to\/docker.sock/],
    [[], { DOCKER_HOST: 'nope' }, /DOCKER_HOST: must be unix:\/\/\/path/],
    [['--plugin-socket', 'rel.sock'], {}, /--plugin-socket: 'rel.sock' must be an absolute path/],
    [['--openflow-port', '6675'], {}, /--openflow-port: 6675 is also the API port/],
    [['--openflow-port', '0'], {}, /is not a TCP port/],
    [['--api-token', 'short'], {}, /--api-token: must be at least 8 characters/],
    [
      ['--listen', '0.0.0.0'],
      {},
      /--api-token \(env SLUICE_AGENT_TOKEN\): is required to serve the API on 0.0.0.0 \(not a loopback/,
    ],
    [[], { SLUICE_AGENT_TOKEN: 'short' }, /SLUICE_AGENT_TOKEN: must be at least 8 characters/],
    [['--ovsdb', 'db.sock'], {}, /'db.sock' is not an OVSDB remote/],
    [
      ['--etcd-prefix', '/x'],
      {},
      /--etcd-prefix is only used with --store etcd \(this agent uses --store embedded\)/,
    ],
    [['--store', 'etcd', '--data-dir', '/d'], {}, /--data-dir is only used with --store embedded/],
    [['--store', 'consul'], {}, /Allowed choices are embedded, etcd/],
  ];
  for (const [args, env, want] of cases) {
    const { code, err } = await agentConfig(args, env);
    assert.equal(code, 2, `${args.join(' ')}: ${err}`);
    assert.match(err, want, args.join(' '));
  }
});

test('validateAgentConfig names the field of a config built by code', () => {
  const good = DEFAULTS;
  assert.equal(validateAgentConfig(good), good);
  const bad: [Partial<AgentConfig>, string][] = [
    [{ store: { backend: 'embedded', dataDir: ' ' } }, 'store.dataDir'],
    [{ store: { backend: 'etcd', endpoints: [] } }, 'store.endpoints'],
    [{ api: { listen: 'not valid!', port: 1 } }, 'api.listen'],
    [{ api: { listen: '127.0.0.1', port: 70000 } }, 'api.port'],
    [{ underlay: { ip: '1.2.3.4', iface: 'a/b' } }, 'underlay.iface'],
    [{ ovsdb: { remote: 'x' } }, 'ovsdb.remote'],
  ];
  for (const [patch, field] of bad) {
    assert.throws(
      () => validateAgentConfig({ ...good, ...patch }),
      (e: unknown) => e instanceof FieldError && e.field === field,
      field,
    );
  }
});
