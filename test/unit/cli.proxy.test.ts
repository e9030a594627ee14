import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from 'commander';
import { proxyConfigFrom, type ProxyCliOptions } from '../../src/cli/proxy.js';

const base: ProxyCliOptions = {
  listen: 'unix:///run/sluice/docker.sock',
  adapterTimeout: 10_000,
  logLevel: 'info',
};

const refused = (o: Partial<ProxyCliOptions>, env: Record<string, string>, want: RegExp) =>
  assert.throws(
    () => proxyConfigFrom({ ...base, ...o }, env, false),
    (e: unknown) => e instanceof InvalidArgumentError && want.test(e.message),
    `expected ${want} for ${JSON.stringify(o)} ${JSON.stringify(env)}`,
  );

test('defaults: Unix socket, default dockerd, default adapters file, local agent', () => {
  const c = proxyConfigFrom(base, {}, false);
  assert.deepEqual(c.listen, { kind: 'unix', path: '/run/sluice/docker.sock' });
  assert.deepEqual(c.docker, { kind: 'unix', socketPath: '/var/run/docker.sock' });
  assert.deepEqual(c.adapters, { file: '/etc/sluice/adapters.yml', explicit: false, timeoutMs: 10_000 });
  assert.deepEqual(c.agent, { url: 'http://127.0.0.1:6675' });
  assert.equal(c.log.format, 'json');
});

test('the agent comes from --agent/--agent-token, else SLUICE_AGENT/SLUICE_AGENT_TOKEN', () => {
  const fromEnv = proxyConfigFrom(
    base,
    { SLUICE_AGENT: 'http://10.0.0.5:6675', SLUICE_AGENT_TOKEN: 't' },
    false,
  );
  assert.deepEqual(fromEnv.agent, { url: 'http://10.0.0.5:6675', token: 't' });
  const fromFlags = proxyConfigFrom(
    { ...base, agent: 'http://10.0.0.6:6675', agentToken: 'u' },
    { SLUICE_AGENT: 'http://10.0.0.5:6675', SLUICE_AGENT_TOKEN: 't' },
    false,
  );
  assert.deepEqual(fromFlags.agent, { url: 'http://10.0.0.6:6675', token: 'u' });
});

test('bad flags and variables are refused naming them', () => {
  refused({ listen: 'docker.sock' }, {}, /--listen: must be unix:\/\/\/path\.sock or tcp/);
  refused({ listen: 'unix://relative.sock' }, {}, /--listen: must be unix:\/\/\/absolute/);
  refused({ listen: 'tcp://0.0.0.0:2375' }, {}, /--listen: refusing to serve the Docker API .* without TLS/);
  refused({ tlsCert: '/x.pem' }, {}, /--tls-cert and --tls-key go together/);
  refused({ docker: 'http://dockerd' }, {}, /--docker: must be unix/);
  refused({}, { DOCKER_HOST: 'ftp://x' }, /DOCKER_HOST: must be unix/);
  refused({ docker: 'tcp://10.1.2.3:2375' }, {}, /--docker: refusing plain TCP/);
  refused({ docker: 'unix:///run/sluice/docker.sock' }, {}, /is the proxy's own --listen socket/);
  refused({}, { SLUICE_AGENT: 'not a url' }, /SLUICE_AGENT:/);
});
