import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiPath,
  endToEndHeaders,
  setRawHeader,
  streamingEndpoint,
  streamingResponse,
  wantsUpgrade,
} from '../../src/proxy/classify.js';
import { runCli } from '../../src/cli/run.js';
import type { ProxyDaemonConfig } from '../../src/proxy/daemon.js';
import { recordingIo } from './cli.io.js';

test('hop-by-hop headers and those Connection names are dropped; case and order kept', () => {
  const raw = ['Host', 'docker', 'Connection', 'keep-alive, X-Trace', 'X-Trace', '1', 'TE', 'trailers'];
  assert.deepEqual(endToEndHeaders([...raw, 'Content-Type', 'application/json']), [
    'Host',
    'docker',
    'Content-Type',
    'application/json',
  ]);
  assert.deepEqual(endToEndHeaders(['Authorization', 'Bearer x', 'A', 'b'], new Set(['authorization'])), [
    'A',
    'b',
  ]);
  assert.deepEqual(setRawHeader(['content-length', '3', 'A', 'b'], 'Content-Length', '10'), [
    'A',
    'b',
    'Content-Length',
    '10',
  ]);
});

test('streams by endpoint: follow streams, progress, hijacks, wait; plain JSON is not', () => {
  assert.equal(apiPath('/v1.41/containers/json?all=1'), '/containers/json');
  assert.equal(apiPath('/containers/json'), '/containers/json');
  const cases: [string, string, string | undefined][] = [
    ['GET', '/v1.41/events', 'events'],
    ['GET', '/containers/abc/logs?follow=1', 'logs'],
    ['GET', '/v1.41/containers/abc/stats', 'stats'],
    ['GET', '/v1.41/containers/abc/stats?stream=false', undefined],
    ['GET', '/v1.41/containers/abc/stats?stream=0', undefined],
    ['POST', '/v1.41/containers/abc/attach?stream=1', 'attach'],
    ['POST', '/v1.41/exec/abc/start', 'exec'],
    ['POST', '/v1.41/images/create?fromImage=busybox', 'pull'],
    ['POST', '/v1.41/images/reg.example:5000/app/push', 'push'],
    ['POST', '/v1.41/build?t=x', 'build'],
    ['POST', '/v1.41/containers/abc/wait?condition=removed', 'wait'],
    ['GET', '/v1.41/containers/abc/export', 'tar'],
    ['GET', '/v1.41/containers/json', undefined],
    ['POST', '/v1.41/containers/create', undefined],
    ['GET', '/v1.41/containers/abc/json', undefined],
  ];
  for (const [m, p, want] of cases) assert.equal(streamingEndpoint(m, p), want, `${m} ${p}`);
  assert.equal(streamingResponse(101, undefined), 'upgrade');
  assert.equal(streamingResponse(200, 'application/vnd.docker.raw-stream'), 'raw-stream');
  assert.equal(streamingResponse(200, 'application/vnd.docker.multiplexed-stream'), 'raw-stream');
  assert.equal(streamingResponse(200, 'application/json'), undefined);
  assert.equal(wantsUpgrade({ connection: 'Upgrade', upgrade: 'tcp' }), true);
  assert.equal(wantsUpgrade({ connection: 'keep-alive', upgrade: 'tcp' }), false);
});

async function proxyConfig(args: string[], env: Record<string, string> = {}) {
  const configs: ProxyDaemonConfig[] = [];
  const run = recordingIo(env, { runProxy: async (c) => void configs.push(c) });
  const code = await runCli(['proxy', ...args], run.cli);
  return { code, config: configs[0], err: run.err() };
}

test('sluice proxy: safe defaults, DOCKER_HOST, and every refusal names its flag', async () => {
  const d = await proxyConfig([]);
  assert.equal(d.code, 0, d.err);
  assert.deepEqual(d.config.listen, { kind: 'unix', path: '/run/sluice/docker.sock' });
  assert.deepEqual(d.config.docker, { kind: 'unix', socketPath: '/var/run/docker.sock' });
  assert.deepEqual(d.config.adapters, {
    file: '/etc/sluice/adapters.yml',
    explicit: false,
    timeoutMs: 10_000,
  });
  const env = await proxyConfig([], { DOCKER_HOST: 'unix:///tmp/d.sock' });
  assert.deepEqual(env.config.docker, { kind: 'unix', socketPath: '/tmp/d.sock' });
  const loop = await proxyConfig([], { DOCKER_HOST: 'unix:///run/sluice/docker.sock' });
  assert.equal(loop.code, 2);
  assert.match(loop.err, /DOCKER_HOST: .*the proxy's own --listen socket/);
  const refusals: [string[], RegExp][] = [
    [['--listen', 'tcp://0.0.0.0:2375'], /--listen: refusing .* without TLS/],
    [['--listen', 'tcp://127.0.0.1:2375', '--tls-cert', '/etc/hostname', '--tls-key', '/etc/hostname'], /--listen: .*no client authentication/],
    [['--listen', 'http://x'], /--listen: must be unix/],
    [['--tls-cert', '/etc/hostname', '--tls-key', '/etc/hostname'], /--tls-cert\/--tls-key\/--tls-ca: apply to --listen tcp/],
    [['--docker', 'tcp://10.0.0.1:2375'], /--docker: refusing plain TCP/],
    [['--docker', 'ftp://x'], /--docker: must be/],
    [['--metrics-listen', '0.0.0.0:9323'], /--metrics-listen: refusing .* without a token/],
    [['--metrics-listen', 'nope'], /--metrics-listen: must be HOST:PORT/],
    [['--adapter-timeout', '0'], /--adapter-timeout/],
    [['--listen', 'tcp://127.0.0.1:2376', '--tls-cert', '/nonexistent', '--tls-key', '/x', '--token', 't'], /--tls-cert: cannot read \/nonexistent/],
  ]; // prettier-ignore
  for (const [args, want] of refusals) {
    const r = await proxyConfig(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, want, args.join(' '));
  }
  const tokened = await proxyConfig(
    ['--listen', 'tcp://127.0.0.1:2376', '--tls-cert', '/etc/hostname', '--tls-key', '/etc/hostname'],
    { SLUICE_PROXY_TOKEN: 'tok' },
  );
  assert.equal(tokened.code, 0, tokened.err);
  assert.equal(tokened.config.token, 'tok');
});
