/**
 * `sluice proxy` between the real docker CLI (/usr/bin/docker, DOCKER_HOST=unix://<proxy socket>) and a real
 * dockerd 20.10 of a simulated host: plain API calls, `run -i` with piped stdin and `run -it` under a
 * pseudo-terminal (upgraded connections with half-close: Powerstrip hung here), `exec -i`, `logs -f` and
 * `events` arriving while they happen, `build` with a context; a chain of two adapters (SDK, Unix sockets)
 * where the second sees the first's rewrite, a post-hook, each adapter failure kind as a clean CLI error
 * naming the adapter; dockerd unreachable, a bad adapters.yml and plain TCP refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createAdapter, jsonBody, route, withJsonBody, type Listening } from '../../src/proxy/sdk.js';
import {
  BUSYBOX_IMAGE,
  run,
  SLUICE_CLI,
  spawnManaged,
  startHosts,
  waitFor,
  type ManagedProcess,
  type RunResult,
  type SimHost,
  type SimHosts,
} from './harness/index.js';

const DOCKER = '/usr/bin/docker';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-proxy-it-'));
const proxySock = path.join(dir, 'docker.sock');
let sim: SimHosts;
let h: SimHost;
let proxy: ManagedProcess;
const children: ChildProcess[] = [];
const adapters: Listening[] = [];
let badAdapters: http.Server | undefined;

function dockerEnv(): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: `unix://${proxySock}`, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: dir };
}

/** A command with the docker environment; SIGKILL on timeout (`docker run` forwards SIGTERM to the container). */
function runDocker(
  cmd: string,
  args: string[],
  o: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return run(cmd, args, {
    env: o.env ?? dockerEnv(),
    timeoutMs: o.timeoutMs ?? 30_000,
    input: o.input,
    killSignal: 'SIGKILL',
  });
}

/** The docker CLI through the proxy. */
function dk(args: string[], o: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return runDocker(DOCKER, args, o);
}

async function dkOk(...args: string[]): Promise<string> {
  const r = await dk(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A docker command left running (logs -f, events); its output so far in `out()`. */
function dkBackground(args: string[]): { proc: ChildProcess; out: () => string } {
  const proc = spawn(DOCKER, args, { env: dockerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { proc, out: () => out };
}

function accessLog(): Record<string, unknown>[] {
  return fs
    .readFileSync(proxy.logFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.msg === 'request');
}

function startProxyProcess(name: string, args: string[]): ManagedProcess {
  return spawnManaged({
    name,
    cmd: process.execPath,
    args: [SLUICE_CLI, 'proxy', '--log-format', 'json', '--log-level', 'debug', ...args],
  });
}

before(async () => {
  sim = await startHosts({ count: 1 });
  h = sim.hosts[0];
  proxy = startProxyProcess('proxy', ['--listen', `unix://${proxySock}`, '--docker', h.dockerHost]);
  await waitFor(async () => (await dk(['version', '--format', '{{.Server.Version}}'])).code === 0, {
    what: 'docker version through the proxy',
    timeoutMs: 20_000,
    detail: () => proxy.logTail(20),
  });
});

after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const a of adapters) await a.close();
  badAdapters?.closeAllConnections();
  badAdapters?.close();
  await proxy?.stop(3000);
  await sim?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('version, ps, create/start/inspect/rm through the proxy', async () => {
  const direct = await h.docker('version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}');
  assert.equal(
    await dkOk('version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}'),
    direct.stdout.trim(),
  );
  const id = await dkOk('create', '--net=none', '--name', 'px-basic', BUSYBOX_IMAGE, 'sleep', '60');
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.match(await dkOk('ps', '-a', '--format', '{{.Names}}'), /px-basic/);
  await dkOk('start', 'px-basic');
  assert.equal(await dkOk('inspect', '-f', '{{.State.Running}}', 'px-basic'), 'true');
  const missing = await dk(['inspect', 'px-nope']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /No such object: px-nope/);
  await dkOk('rm', '-f', 'px-basic');
  assert.doesNotMatch(await dkOk('ps', '-a', '--format', '{{.Names}}'), /px-basic/);
});

test('run -i with piped stdin: the output after stdin closes arrives and run exits', async () => {
  const r = await dk(['run', '-i', '--rm', '--net=none', BUSYBOX_IMAGE, 'cat'], { input: 'hi\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hi\n');
  const rec = accessLog().find((l) => l.upgraded && String(l.path).includes('/attach'));
  assert.ok(rec, 'an upgraded attach in the access log');
  assert.equal(rec.status, 101);
});

test('run -it under a pseudo-terminal: output and exit code', async () => {
  const r = await runDocker('script', [
    '-qec',
    `${DOCKER} run -it --rm --net=none ${BUSYBOX_IMAGE} sh -c 'echo in-tty; exit 3'`,
    '/dev/null',
  ]);
  assert.match(r.stdout, /in-tty/);
  assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
});

test('exec -i with piped stdin; exec -it under a pseudo-terminal', async () => {
  await dkOk('run', '-d', '--net=none', '--name', 'px-exec', BUSYBOX_IMAGE, 'sleep', '60');
  const r = await dk(['exec', '-i', 'px-exec', 'sh', '-c', 'cat; echo done'], { input: 'from-stdin\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'from-stdin\ndone\n');
  const t = await runDocker('script', [
    '-qec',
    `${DOCKER} exec -it px-exec sh -c 'tty; exit 5'`,
    '/dev/null',
  ]);
  assert.match(t.stdout, /\/dev\/pts\/\d+/);
  assert.equal(t.code, 5, `${t.stdout}\n${t.stderr}`);
  await dkOk('rm', '-f', 'px-exec');
});

test('cp in and out (tar bodies both ways, HEAD with a stat header), stats --no-stream, export', async () => {
  await dkOk('run', '-d', '--net=none', '--name', 'px-cp', BUSYBOX_IMAGE, 'sleep', '60');
  const src = path.join(dir, 'cp-in.txt');
  fs.writeFileSync(src, 'copied in\n');
  await dkOk('cp', src, 'px-cp:/tmp/in.txt');
  assert.equal(await dkOk('exec', 'px-cp', 'cat', '/tmp/in.txt'), 'copied in');
  const out = path.join(dir, 'cp-out');
  await dkOk('cp', 'px-cp:/tmp/in.txt', out);
  assert.equal(fs.readFileSync(out, 'utf8'), 'copied in\n');
  assert.match(await dkOk('stats', '--no-stream', '--format', '{{.Name}}', 'px-cp'), /px-cp/);
  const tar = path.join(dir, 'export.tar');
  await dkOk('export', '-o', tar, 'px-cp');
  assert.ok(fs.statSync(tar).size > 100_000, 'the exported file system arrived');
  await dkOk('rm', '-f', 'px-cp');
});

test('logs -f: lines arrive while the container still prints', async () => {
  await dkOk(
    'run',
    '-d',
    '--net=none',
    '--name',
    'px-logs',
    BUSYBOX_IMAGE,
    'sh',
    '-c',
    'i=0; while [ $i -lt 40 ]; do echo line$i; i=$((i+1)); sleep 0.1; done', // prettier-ignore
  );
  const logs = dkBackground(['logs', '-f', 'px-logs']);
  await waitFor(() => logs.out().includes('line2\n'), { what: 'line2 through logs -f', timeoutMs: 10_000 });
  const state = await h.docker('inspect', '-f', '{{.State.Running}}', 'px-logs');
  assert.equal(state.stdout.trim(), 'true', 'line2 arrived while the container still ran');
  await waitFor(() => logs.proc.exitCode !== null, {
    what: 'logs -f to end with the container',
    timeoutMs: 15_000,
  });
  assert.equal(logs.proc.exitCode, 0);
  assert.match(logs.out(), /line39\n$/);
  await dkOk('rm', '-f', 'px-logs');
});

test('events: seen while they happen', async () => {
  const events = dkBackground([
    'events',
    '--filter',
    'type=container',
    '--format',
    '{{.Action}} {{.Actor.Attributes.name}}',
  ]);
  // The subscription starts when dockerd answers; create until an event shows up (the first may predate it).
  await waitFor(
    async () => {
      await dk(['create', '--net=none', '--name', `px-ev`, BUSYBOX_IMAGE, 'true']);
      await dk(['rm', '-f', 'px-ev']);
      return events.out().includes('create px-ev');
    },
    { what: 'a create event through docker events', timeoutMs: 15_000, intervalMs: 300 },
  );
  assert.equal(events.proc.exitCode, null, 'docker events still follows');
  events.proc.kill('SIGINT');
  const rec = await waitFor(() => accessLog().find((l) => String(l.path).includes('/events')), {
    what: 'the events request in the access log',
  });
  assert.equal(rec.stream, true);
});

test('build with a context (classic builder), then run the image', async () => {
  const ctx = path.join(dir, 'ctx');
  fs.mkdirSync(ctx);
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nCOPY hello.txt /hello.txt\n`);
  fs.writeFileSync(path.join(ctx, 'hello.txt'), 'hello from the context\n');
  const r = await dk(['build', '-t', 'local/px-built:latest', ctx], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Successfully tagged local\/px-built:latest/);
  assert.equal(
    await dkOk('run', '--rm', '--net=none', 'local/px-built:latest', 'cat', '/hello.txt'),
    'hello from the context',
  );
});

test('dockerd unreachable: the CLI prints where and what to do; plain TCP is refused', async () => {
  const sock = path.join(dir, 'down.sock');
  const down = startProxyProcess('proxy-down', [
    '--listen',
    `unix://${sock}`,
    '--docker',
    `unix://${dir}/missing.sock`,
  ]);
  try {
    await waitFor(() => fs.existsSync(sock), {
      what: 'the second proxy socket',
      detail: () => down.logTail(20),
    });
    const r = await runDocker(DOCKER, ['ps'], { env: { ...dockerEnv(), DOCKER_HOST: `unix://${sock}` } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /sluice proxy: cannot reach dockerd at unix:\/\/.*missing\.sock/);
  } finally {
    await down.stop(3000);
  }
  const tcp = await run(process.execPath, [SLUICE_CLI, 'proxy', '--listen', 'tcp://127.0.0.1:23750']);
  assert.equal(tcp.code, 2);
  assert.match(tcp.stderr, /refusing to serve the Docker API on tcp:\/\/127\.0\.0\.1:23750 without TLS/);
});

/** `first` labels every create; `second` copies what it sees of `first`'s label into its own; `stamp` marks inspect. */
async function startChainAdapters(): Promise<{ first: string; second: string; stamp: string }> {
  const first = createAdapter({
    pre: (req) => {
      if (route(req).path !== '/containers/create') return req;
      const body = jsonBody(req) as { Labels?: Record<string, string> };
      return withJsonBody(req, { ...body, Labels: { ...body.Labels, 'px.first': 'one' } });
    },
  });
  const second = createAdapter({
    pre: (req) => {
      if (route(req).path !== '/containers/create') return req;
      const body = jsonBody(req) as { Labels?: Record<string, string> };
      const seen = body.Labels?.['px.first'] ?? 'nothing';
      return withJsonBody(req, { ...body, Labels: { ...body.Labels, 'px.second': `saw-${seen}` } });
    },
  });
  const stamp = createAdapter({
    post: (_req, res) => {
      // Docker's errors reach post-hooks too; the CLI ignores a 404's body, so this one becomes a 409.
      if (res.Code !== 200 || res.Body === null) {
        return { ...res, Code: 409, Body: JSON.stringify({ message: `stamped ${res.Code}` }) };
      }
      const doc = JSON.parse(res.Body) as { Config: { Labels: Record<string, string> } };
      doc.Config.Labels['px.post'] = 'stamped';
      return { ...res, Body: JSON.stringify(doc) };
    },
  });
  const urls = [];
  for (const [name, a] of [
    ['first', first],
    ['second', second],
    ['stamp', stamp],
  ] as const) {
    const l = await a.listen(`unix://${dir}/${name}.sock`);
    adapters.push(l);
    urls.push(l.url);
  }
  return { first: urls[0], second: urls[1], stamp: urls[2] };
}

/** One Unix-socket server whose URL paths fail in each way: /status (500), /slow (no answer), /text, /v2. */
async function startBadAdapters(): Promise<string> {
  const sock = path.join(dir, 'bad.sock');
  badAdapters = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/status') res.writeHead(500, { 'Content-Type': 'text/plain' }).end('adapter exploded');
    else if (req.url === '/text') res.writeHead(200, { 'Content-Type': 'text/plain' }).end('not json at all');
    else if (req.url === '/v2')
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"PowerstripProtocolVersion":2}');
    // /slow: never answers
  });
  await new Promise<void>((r) => badAdapters!.listen(sock, r));
  return `unix://${sock}`;
}

function adaptersYml(file: string, createPre: string[], adapterUrls: Record<string, string>): void {
  const lines = [
    'version: 1',
    'endpoints:',
    '  "POST /*/containers/create":',
    `    pre: [${createPre.join(', ')}]`,
    '  "GET /*/containers/*/json":',
    '    post: [stamp]',
    'adapters:',
    ...Object.entries(adapterUrls).map(([n, u]) => `  ${n}: "${u}"`),
  ];
  // Written aside and renamed over, as editors do: the watcher never reads half a file.
  fs.writeFileSync(`${file}.tmp`, lines.join('\n') + '\n');
  fs.renameSync(`${file}.tmp`, file);
}

test('adapters: a chain of two (the second sees the first), a post-hook, each failure kind', async () => {
  const chain = await startChainAdapters();
  const bad = await startBadAdapters();
  const urls = {
    ...chain,
    gone: `unix://${dir}/nothing-here.sock`,
    boom: `${bad}:/status`,
    slow: `${bad}:/slow`,
    text: `${bad}:/text`,
    v2: `${bad}:/v2`,
  };
  const file = path.join(dir, 'adapters.yml');
  adaptersYml(file, ['first', 'second'], urls);
  const sock = path.join(dir, 'adapted.sock');
  const adapted = startProxyProcess('proxy-adapted', [
    '--listen', `unix://${sock}`, '--docker', h.dockerHost, '--adapters', file, '--adapter-timeout', '1000',
  ]); // prettier-ignore
  const via = (args: string[]) =>
    runDocker(DOCKER, args, { env: { ...dockerEnv(), DOCKER_HOST: `unix://${sock}` } });
  try {
    await waitFor(async () => (await via(['version'])).code === 0, {
      what: 'the adapted proxy',
      detail: () => adapted.logTail(20),
    });
    const created = await via(['create', '--net=none', '--name', 'px-chain', BUSYBOX_IMAGE, 'true']);
    assert.equal(created.code, 0, created.stderr);
    const labels = await via(['inspect', '-f', '{{json .Config.Labels}}', 'px-chain']);
    assert.deepEqual(JSON.parse(labels.stdout), {
      'px.first': 'one',
      'px.second': 'saw-one',
      'px.post': 'stamped',
    });
    const direct = await h.docker('inspect', '-f', '{{json .Config.Labels}}', 'px-chain');
    assert.deepEqual(JSON.parse(direct.stdout), { 'px.first': 'one', 'px.second': 'saw-one' });
    // A post-hook runs on Docker's errors too: the CLI prints the hook's message.
    const missing = await via(['container', 'inspect', 'px-missing']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /stamped 404/);
    await via(['rm', '-f', 'px-chain']);

    const kinds: [string, RegExp][] = [
      ['gone', /adapter "gone" failed in its pre-hook \(unreachable\)/],
      ['boom', /adapter "boom" failed in its pre-hook \(status\)/],
      ['slow', /adapter "slow" failed in its pre-hook \(timeout\)/],
      ['text', /adapter "text" failed in its pre-hook \(invalid_json\)/],
      ['v2', /adapter "v2" failed in its pre-hook \(protocol\)/],
    ];
    for (const [name, want] of kinds) {
      adaptersYml(file, ['first', name], urls);
      const r = await waitFor(
        async () => {
          const c = await via(['create', '--net=none', BUSYBOX_IMAGE, 'true']);
          return want.test(c.stderr) ? c : undefined;
        },
        {
          what: `docker create to fail on adapter ${name}`,
          timeoutMs: 15_000,
          intervalMs: 200,
          detail: () => adapted.logTail(10),
        },
      );
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Error response from daemon: sluice proxy: adapter/);
      assert.equal((await via(['ps', '-q'])).code, 0, 'the proxy keeps serving');
    }
    const log = fs.readFileSync(adapted.logFile, 'utf8');
    assert.match(
      log,
      /"adapters":\[\{"adapter":"first","hook":"pre","ms":[\d.]+,"ok":true\},\{"adapter":"second"/,
    );
  } finally {
    await adapted.stop(3000);
  }
});

test('a bad adapters.yml given with --adapters: the proxy refuses to start, naming the line', async () => {
  const file = path.join(dir, 'bad.yml');
  fs.writeFileSync(
    file,
    'version: 1\nendpoints:\n  "POST /*/containers/create":\n    pre: [ghost]\nadapters: {}\n',
  );
  const r = await run(process.execPath, [
    SLUICE_CLI, 'proxy', '--listen', `unix://${dir}/never.sock`, '--docker', h.dockerHost, '--adapters', file,
  ], { timeoutMs: 15_000 }); // prettier-ignore
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /bad\.yml:4: .*ghost/);
  assert.equal(fs.existsSync(path.join(dir, 'never.sock')), false);
});
