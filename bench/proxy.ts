/**
 * Bench section `proxy` (issue 9): the Docker API through `sluice proxy`, beside dockerd's own socket and a
 * byte-level socat relay, all in one run against one real dockerd (a simulated host of the test harness):
 * - p50/p99 latency (sequential, keep-alive) and requests/s (8 concurrent) of `GET /containers/json` and
 *   `GET /containers/{id}/json`: direct, socat, proxy without adapters, proxy with 1 and with 2 adapter hops
 *   (a pass-through adapter served by the SDK on a Unix socket, matched as a pre-hook), and a bare node:http
 *   forwarder as the floor of any proxy on Node's HTTP stack;
 * - the proxy's peak RSS while a 1 GB build context streams through it to `POST /build`, beside direct.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  BUSYBOX_IMAGE,
  DOCKER,
  DOCKERD,
  SLUICE_CLI,
  startHosts,
  waitFor,
  type SimHost,
  type SimHosts,
} from '../test/integration/harness/index.js';
import { readRss, startProcess, stopProcess, type Started } from './harness.js';
import { markdownTable, ratioText, summarize, type LatencySummary } from './overlaystats.js';
import { tarStream } from './proxystats.js';
import type { BenchContext, BenchSection } from './run.js';

const CONTAINERS = 20;
const ROUNDS = 5;
const REQUESTS_PER_ROUND = 400;
const THROUGHPUT_MS = 3000;
const CONCURRENCY = 8;
const CONTEXT_BYTES = 1 << 30;
const RATIO_TARGET = 1.15;
const HOP_TARGET_MS = 1;

/** Where requests go: dockerd's socket itself or something in front of it. */
interface Target {
  id: string;
  label: string;
  socket: string;
  proc?: Started;
}

// ---------------------------------------------------------------------------------------------------------
// HTTP over a Unix socket, keep-alive (as the docker CLI and SDKs do)

function request(
  agent: http.Agent,
  socket: string,
  method: string,
  urlPath: string,
  body?: Readable,
  headers: http.OutgoingHttpHeaders = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, agent, method, path: urlPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) body.pipe(req);
    else req.end();
  });
}

async function get(agent: http.Agent, socket: string, urlPath: string): Promise<void> {
  const r = await request(agent, socket, 'GET', urlPath);
  if (r.status !== 200) throw new Error(`GET ${urlPath} via ${socket}: ${r.status} ${r.body.slice(0, 200)}`);
}

async function latencies(t: Target, urlPath: string, n: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await get(agent, t.socket, urlPath); // warm the connection
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      await get(agent, t.socket, urlPath);
      out.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return out;
  } finally {
    agent.destroy();
  }
}

async function requestsPerSecond(t: Target, urlPath: string): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    let done = 0;
    const end = Date.now() + THROUGHPUT_MS;
    const worker = async () => {
      while (Date.now() < end) {
        await get(agent, t.socket, urlPath);
        done++;
      }
    };
    const t0 = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return done / ((Date.now() - t0) / 1000);
  } finally {
    agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------
// What the bench starts

async function answersPing(socket: string): Promise<boolean> {
  const agent = new http.Agent({ keepAlive: false });
  try {
    return (await request(agent, socket, 'GET', '/_ping')).status === 200;
  } catch {
    return false;
  } finally {
    agent.destroy();
  }
}

async function started(t: Target): Promise<Target> {
  await waitFor(
    async () => {
      if (t.proc?.exited) throw new Error(`${t.label} exited: ${fs.readFileSync(t.proc.logFile, 'utf8')}`);
      return answersPing(t.socket);
    },
    { what: `${t.label} to answer /_ping`, timeoutMs: 20_000, intervalMs: 50 },
  );
  return t;
}

function startSocat(ctx: BenchContext, dockerSocket: string): Promise<Target> {
  const socket = path.join(ctx.workDir, 'socat.sock');
  const proc = startProcess(
    'socat',
    'socat',
    [`UNIX-LISTEN:${socket},fork,reuseaddr,backlog=128`, `UNIX-CONNECT:${dockerSocket}`],
    { logFile: path.join(ctx.workDir, 'socat.log') },
  );
  return started({ id: 'socat', label: 'socat relay (bytes only)', socket, proc });
}

/** The Node.js floor: a bare node:http forwarder (bench/peers/node_http_proxy.ts). */
function startNodeFloor(ctx: BenchContext, dockerSocket: string): Promise<Target> {
  const socket = path.join(ctx.workDir, 'node-floor.sock');
  const script = path.join(ctx.repoRoot, 'dist/bench/peers/node_http_proxy.js');
  const proc = startProcess('node-floor', process.execPath, [script, socket, dockerSocket], {
    logFile: path.join(ctx.workDir, 'node-floor.log'),
  });
  return started({ id: 'nodefloor', label: 'bare node:http forwarder (Node.js floor)', socket, proc });
}

/** A pass-through adapter (the SDK with no hooks) on a Unix socket. */
async function startAdapter(ctx: BenchContext): Promise<{ url: string; proc: Started }> {
  const socket = path.join(ctx.workDir, 'adapter.sock');
  const sdk = path.join(ctx.repoRoot, 'dist/src/proxy/sdk.js');
  const script = `import(${JSON.stringify(sdk)}).then((m) => m.createAdapter({}).listen({ path: ${JSON.stringify(socket)} }))`;
  const proc = startProcess('adapter', process.execPath, ['-e', script], {
    logFile: path.join(ctx.workDir, 'adapter.log'),
  });
  await waitFor(
    () => {
      if (proc.exited) throw new Error(`the adapter exited: ${fs.readFileSync(proc.logFile, 'utf8')}`);
      return fs.existsSync(socket);
    },
    { what: 'the adapter socket', timeoutMs: 10_000, intervalMs: 50 },
  );
  return { url: `unix://${socket}`, proc };
}

function startProxy(
  ctx: BenchContext,
  dockerSocket: string,
  hops: number,
  adapterUrl: string,
): Promise<Target> {
  const id = `proxy${hops}`;
  const socket = path.join(ctx.workDir, `${id}.sock`);
  const config = path.join(ctx.workDir, `${id}.yml`);
  const names = Array.from({ length: hops }, (_, i) => `hop${i + 1}`);
  const yaml = hops
    ? [
        'version: 1',
        'endpoints:',
        `  "GET /*/containers/*":`,
        `    pre: [${names.join(', ')}]`,
        'adapters:',
        ...names.map((n) => `  ${n}: ${adapterUrl}`),
      ]
    : ['version: 1', 'endpoints: {}', 'adapters: {}'];
  fs.writeFileSync(config, `${yaml.join('\n')}\n`);
  const proc = startProcess(
    id,
    process.execPath,
    [
      SLUICE_CLI,
      'proxy',
      '--listen',
      `unix://${socket}`,
      '--docker',
      `unix://${dockerSocket}`,
      '--adapters',
      config,
    ],
    { logFile: path.join(ctx.workDir, `${id}.log`) },
  );
  const label =
    hops === 0 ? 'sluice proxy, no adapter' : `sluice proxy, ${hops} adapter hop${hops > 1 ? 's' : ''}`;
  return started({ id, label, socket, proc });
}

// ---------------------------------------------------------------------------------------------------------
// The measurements

interface PathResult {
  path: string;
  perTarget: Map<string, { lat: LatencySummary; rps: number }>;
}

async function measurePath(
  ctx: BenchContext,
  targets: Target[],
  name: string,
  urlPath: string,
): Promise<PathResult> {
  const samples = new Map<string, number[]>(targets.map((t) => [t.id, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    ctx.log(`proxy: ${name}, round ${round}/${ROUNDS} (${REQUESTS_PER_ROUND} requests per target)`);
    // Interleaved, and the order rotates, so drifting load treats every target alike.
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const t of order) samples.get(t.id)!.push(...(await latencies(t, urlPath, REQUESTS_PER_ROUND)));
  }
  const perTarget = new Map<string, { lat: LatencySummary; rps: number }>();
  for (const t of targets) {
    const rps = await requestsPerSecond(t, urlPath);
    const lat = summarize(samples.get(t.id)!);
    perTarget.set(t.id, { lat, rps });
    ctx.log(
      `  ${t.label}: p50 ${lat.p50.toFixed(3)} ms, p99 ${lat.p99.toFixed(3)} ms, ${rps.toFixed(0)} req/s`,
    );
  }
  return { path: name, perTarget };
}

function latencyTable(targets: Target[], r: PathResult): string {
  const direct = r.perTarget.get('direct')!;
  const rows = targets.map((t) => {
    const m = r.perTarget.get(t.id)!;
    return [
      t.label,
      m.lat.p50.toFixed(3),
      m.lat.p99.toFixed(3),
      m.rps.toFixed(0),
      ratioText(m.lat.p50, direct.lat.p50),
      ratioText(direct.rps, m.rps),
    ];
  });
  return markdownTable(
    [
      'path',
      'p50, ms',
      'p99, ms',
      `req/s (${CONCURRENCY} concurrent)`,
      'p50 / direct',
      'direct req/s / this',
    ],
    rows,
  );
}

function latencyTargets(ctx: BenchContext, r: PathResult): void {
  const p50 = (id: string) => r.perTarget.get(id)!.lat.p50;
  const ratio = p50('proxy0') / p50('direct');
  ctx.target({
    name: `proxy: ${r.path} through the proxy without adapters ≤ ${RATIO_TARGET}x direct (p50)`,
    met: ratio <= RATIO_TARGET,
    detail:
      `${p50('proxy0').toFixed(3)} vs ${p50('direct').toFixed(3)} ms (${ratio.toFixed(2)}x; socat ` +
      `${ratioText(p50('socat'), p50('direct'))}, bare node:http ${ratioText(p50('nodefloor'), p50('direct'))})`,
  });
  const oneHop = p50('proxy1') - p50('proxy0');
  const perHop = (p50('proxy2') - p50('proxy0')) / 2;
  ctx.target({
    name: `proxy: ${r.path}, each adapter hop ≤ +${HOP_TARGET_MS} ms p50 (1 hop, and the mean of 2)`,
    met: oneHop <= HOP_TARGET_MS && perHop <= HOP_TARGET_MS,
    detail: `+${oneHop.toFixed(3)} ms with 1 hop, +${perHop.toFixed(3)} ms per hop with 2`,
  });
}

/** Streams a 1 GB build context to POST /build; returns seconds taken and the proxy's peak RSS (if any). */
async function buildContext(
  ctx: BenchContext,
  t: Target,
): Promise<{ seconds: number; hwmBefore?: number; hwmAfter?: number }> {
  const tag = `local/bench-context-${t.id}:latest`;
  const agent = new http.Agent({ keepAlive: false });
  const hwmBefore = t.proc ? readRss(t.proc.pid).hwm : undefined;
  const t0 = Date.now();
  const r = await request(
    agent,
    t.socket,
    'POST',
    `/v1.41/build?t=${encodeURIComponent(tag)}&rm=1&forcerm=1`,
    Readable.from(
      tarStream({ Dockerfile: `FROM ${BUSYBOX_IMAGE}\nLABEL bench=context\n` }, 'blob', CONTEXT_BYTES),
    ),
    { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' },
  );
  const seconds = (Date.now() - t0) / 1000;
  agent.destroy();
  if (r.status !== 200 || /"error"/.test(r.body))
    throw new Error(`build via ${t.label}: ${r.status} ${r.body.slice(-300)}`);
  ctx.log(`  ${t.label}: 1 GB context built in ${seconds.toFixed(1)} s`);
  return { seconds, hwmBefore, hwmAfter: t.proc ? readRss(t.proc.pid).hwm : undefined };
}

const mib = (b: number | undefined) => (b === undefined ? '–' : `${(b / 2 ** 20).toFixed(1)}`);

async function measureBuild(ctx: BenchContext, h: SimHost, direct: Target, proxy: Target): Promise<string> {
  ctx.log('proxy: a 1 GB build context, direct and through the proxy');
  const d = await buildContext(ctx, direct);
  const p = await buildContext(ctx, proxy);
  for (const id of ['direct', proxy.id]) await h.docker('rmi', '-f', `local/bench-context-${id}:latest`);
  const grew = (p.hwmAfter ?? 0) - (p.hwmBefore ?? 0);
  ctx.target({
    name: 'proxy: memory flat while a 1 GB build context streams through',
    met: grew < 64 * 2 ** 20,
    detail: `peak RSS ${mib(p.hwmBefore)} MiB before, ${mib(p.hwmAfter)} MiB after (limit: +64 MiB)`,
  });
  return [
    `### A 1 GB build context (POST /build, chunked tar streamed from the bench)`,
    '',
    markdownTable(
      ['path', 'seconds', 'proxy peak RSS before, MiB', 'proxy peak RSS after, MiB'],
      [
        [direct.label, d.seconds.toFixed(1), '', ''],
        [proxy.label, p.seconds.toFixed(1), mib(p.hwmBefore), mib(p.hwmAfter)],
      ],
    ),
  ].join('\n');
}

export async function runProxyBench(ctx: BenchContext): Promise<void> {
  const title = '## Docker API proxy: sluice proxy beside dockerd direct and a socat relay';
  for (const [file, what] of [
    [DOCKERD, 'Debian package docker.io'],
    ['/usr/bin/socat', 'Debian package socat'],
    [SLUICE_CLI, 'npx tsc -p tsconfig.json'],
  ]) {
    if (!fs.existsSync(file)) {
      ctx.report(`${title}\n\nNot run: ${file} is missing (${what}).`);
      ctx.target({ name: 'proxy: measured', met: undefined, detail: `${file} missing` });
      return;
    }
  }
  let sim: SimHosts | undefined;
  const procs: Started[] = [];
  const parts: string[] = [];
  try {
    sim = await startHosts({ count: 1 });
    const h = sim.hosts[0];
    const dockerSocket = h.dockerHost.slice('unix://'.length);
    const v = await h.docker('version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})');
    ctx.info(`- dockerd: ${v.stdout.trim()}; ${DOCKER} as the client`);
    ctx.log(`proxy: ${CONTAINERS} containers on the host's dockerd`);
    let someId = '';
    for (let i = 0; i < CONTAINERS; i++) {
      const r = await h.docker('create', '--net=none', '--label', `bench=${i}`, BUSYBOX_IMAGE, 'sleep', '1');
      if (r.code !== 0) throw new Error(`docker create: ${r.stderr}`);
      someId = r.stdout.trim();
    }
    const adapter = await startAdapter(ctx);
    procs.push(adapter.proc);
    const direct: Target = { id: 'direct', label: 'dockerd socket (direct)', socket: dockerSocket };
    const targets = [direct, await startSocat(ctx, dockerSocket), await startNodeFloor(ctx, dockerSocket)];
    for (const hops of [0, 1, 2]) targets.push(await startProxy(ctx, dockerSocket, hops, adapter.url));
    for (const t of targets) if (t.proc) procs.push(t.proc);

    for (const [name, urlPath] of [
      ['GET /containers/json', '/v1.41/containers/json?all=1'],
      ['GET /containers/{id}/json', `/v1.41/containers/${someId}/json`],
    ]) {
      const r = await measurePath(ctx, targets, name, urlPath);
      latencyTargets(ctx, r);
      parts.push(
        `### ${name} (${ROUNDS} rounds × ${REQUESTS_PER_ROUND} sequential requests per path, interleaved)\n\n${latencyTable(targets, r)}`,
      );
    }
    parts.push(
      await measureBuild(
        ctx,
        h,
        direct,
        targets.find((t) => t.id === 'proxy0')!,
      ),
    );
    parts.push(
      `Each target gets keep-alive requests over its Unix socket from the bench's Node process (as the docker CLI ` +
        `and SDKs do); ${CONTAINERS} containers exist. The adapter hops are a pass-through adapter built with ` +
        `the SDK (\`createAdapter({})\`) on a Unix socket, matched as pre-hooks of \`GET /*/containers/*\`. The ` +
        `proxy writes its access log (one JSON line per request) as it does in service. The bare node:http ` +
        `forwarder (bench/peers/node_http_proxy.ts) is the floor of a proxy on Node's HTTP stack: no checks, ` +
        `hooks, log or upgrades; socat relays bytes without parsing HTTP at all.`,
    );
  } catch (err) {
    ctx.fail(`proxy: ${(err as Error).message}`);
    parts.push(`Failed: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    for (const p of procs) await stopProcess(p);
    if (sim) await sim.stop().catch((err: Error) => ctx.fail(`proxy: cleanup: ${err.message}`));
  }
  ctx.report(`${title}\n\n${parts.join('\n\n')}`);
}

export const proxySection: BenchSection = {
  id: 'proxy',
  title: 'Docker API proxy: latency, requests/s, memory with a large build context',
  run: (ctx) => runProxyBench(ctx),
};
