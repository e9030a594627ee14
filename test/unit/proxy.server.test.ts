/**
 * The proxy's request and upgrade paths against a fake dockerd (node:http on a Unix socket) with stand-in
 * chains: forwarding unchanged, hop-by-hop headers, pre/post hooks, caps, streams, upgrades with half-close,
 * dockerd unreachable, the token, and the access log.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { dockerError } from '../../src/proxy/errors.js';
import { NO_ADAPTERS, type AccessRecord, type ProxyChain } from '../../src/proxy/server.js';
import { startProxy, type RunningProxy } from '../../src/proxy/start.js';
import { AdapterFailure, type AdapterRef, type EndpointHooks } from '../../src/proxy/types.js';
import type { ClientRequest, ServerResponse } from '../../src/proxy/protocol.js';
import { waitFor } from '../support/wait.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-proxy-unit-'));
const dockerSock = path.join(dir, 'docker.sock');
const proxySock = path.join(dir, 'proxy.sock');
let dockerd: http.Server;
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
const logs: AccessRecord[] = [];
let hooks: EndpointHooks = { pre: [], post: [] };
let chainImpl: Partial<ProxyChain> = {};
let proxy: RunningProxy;
/** The fake dockerd's `/events` stream: write to it from a test. */
let eventsRes: http.ServerResponse | undefined;
let waitRes: http.ServerResponse | undefined;

const log = {
  debug: () => undefined,
  info: (o: object) => void logs.push(o as AccessRecord),
  warn: () => undefined,
  error: () => undefined,
};

function fakeDockerd(): http.Server {
  const s = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const p = (req.url ?? '').split('?')[0].replace(/^\/v1\.\d+/, '');
      if (p === '/events') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        eventsRes = res;
        return;
      }
      if (/^\/containers\/[^/]+\/wait$/.test(p)) {
        // As dockerd: the head at once, the body when the container exits (here: when the test says).
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        waitRes = res;
        return;
      }
      if (p === '/containers/nope/json') {
        res.writeHead(404, { 'Content-Type': 'application/json', 'Api-Version': '1.41' });
        res.end('{"message":"No such container: nope"}\n');
        return;
      }
      if (p === '/build') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ stream: `got ${Buffer.byteLength(body)} bytes` }) + '\n');
        return;
      }
      if (p === '/echo') {
        res.writeHead(201, { 'Content-Type': 'application/json', 'X-Custom': 'kept', 'Api-Version': '1.41' });
        res.end(JSON.stringify({ method: req.method, url: req.url, body }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': '1.41' });
      res.end('[]\n');
    });
  });
  // attach: 101, then upper-cases what it reads; on the client's FIN it writes "bye" and ends.
  s.on('upgrade', (req, socket: net.Socket, head: Buffer) => {
    // (An upgrade request's body, e.g. exec start's JSON, arrives in `head`; a test sends it in one write.)
    const length = Number(req.headers['content-length'] ?? 0);
    seen.push({
      method: req.method!,
      url: req.url!,
      headers: req.headers,
      body: head.subarray(0, length).toString(),
    });
    head = head.subarray(length);
    socket.write(
      'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
    );
    if (head.length) socket.write(head.toString().toUpperCase());
    socket.on('data', (c: Buffer) => socket.write(c.toString().toUpperCase()));
    socket.on('end', () => socket.end('bye\n'));
  });
  return s;
}

const chain = (): ProxyChain => ({ ...NO_ADAPTERS, hooks: () => hooks, ...chainImpl });
const ref = (name: string): AdapterRef => ({ name, url: `http://${name}` });

before(async () => {
  dockerd = fakeDockerd();
  await new Promise<void>((r) => dockerd.listen(dockerSock, r));
  proxy = await startProxy({
    listen: { kind: 'unix', path: proxySock },
    docker: { kind: 'unix', socketPath: dockerSock },
    chain,
    log,
    bodyCap: 1024,
  });
});

after(async () => {
  eventsRes?.end();
  await proxy?.stop(100);
  dockerd.closeAllConnections();
  await new Promise((r) => dockerd.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

function reset(h: EndpointHooks = { pre: [], post: [] }, impl: Partial<ProxyChain> = {}) {
  hooks = h;
  chainImpl = impl;
  seen.length = 0;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  method: string,
  p: string,
  o: { headers?: Record<string, string>; body?: string | Buffer; socketPath?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: o.socketPath ?? proxySock, method, path: p, headers: o.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

test('forwards method, path, query, headers and body; answers unchanged; drops hop-by-hop headers', async () => {
  reset();
  const a = await request('POST', '/v1.41/echo?x=1&y=2', {
    headers: {
      'Content-Type': 'text/plain',
      'X-Registry-Auth': 'abc',
      Connection: 'keep-alive, X-Hop',
      'X-Hop': 'no',
      'Proxy-Authorization': 'secret',
    },
    body: 'hello',
  });
  assert.equal(a.status, 201);
  assert.equal(a.headers['x-custom'], 'kept');
  assert.equal(a.headers['api-version'], '1.41');
  assert.deepEqual(JSON.parse(a.body), { method: 'POST', url: '/v1.41/echo?x=1&y=2', body: 'hello' });
  const got = seen[0];
  assert.equal(got.headers['x-registry-auth'], 'abc');
  assert.equal(got.headers['x-hop'], undefined);
  assert.equal(got.headers['proxy-authorization'], undefined);
  const nf = await request('GET', '/containers/nope/json');
  assert.equal(nf.status, 404);
  assert.equal(nf.body, '{"message":"No such container: nope"}\n');
  await request('POST', '/v1.41/build?t=x&buildargs=%7B%22SECRET%22%3A%22hunter2%22%7D');
  const build = logs.findLast((l) => l.path.startsWith('/v1.41/build'))!;
  assert.equal(build.path, '/v1.41/build?t=x&buildargs=[redacted]');
  const rec = logs.findLast((l) => l.path === '/containers/nope/json')!;
  assert.equal(rec.status, 404);
  assert.equal(rec.bytes, nf.body.length);
});

test('pre-hooks: JSON bodies (charset too) go through the chain; Method, Request, Body applied', async () => {
  reset(
    { pre: [ref('a'), ref('b')], post: [] },
    {
      runPre: async (adapters, req: ClientRequest) => {
        const body = JSON.parse(req.Body ?? '{}') as Record<string, unknown>;
        return {
          value: {
            Method: 'PUT',
            Request: '/echo?rewritten=1',
            Body: JSON.stringify({ ...body, Labels: { a: '1' } }),
          },
          runs: adapters.map((x) => ({ adapter: x.name, hook: 'pre' as const, ms: 1, ok: true })),
        };
      },
    },
  );
  const a = await request('POST', '/v1.41/containers/create', {
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: '{"Image":"busybox"}',
  });
  assert.equal(a.status, 201);
  const got = JSON.parse(a.body) as { method: string; url: string; body: string };
  assert.equal(got.method, 'PUT');
  assert.equal(got.url, '/echo?rewritten=1');
  assert.deepEqual(JSON.parse(got.body), { Image: 'busybox', Labels: { a: '1' } });
  assert.equal(seen[0].headers['content-length'], String(Buffer.byteLength(got.body)));
  const rec = logs.findLast((l) => l.path === '/v1.41/containers/create')!;
  assert.deepEqual(
    rec.adapters.map((x) => x.adapter),
    ['a', 'b'],
  );
});

test('pre-hooks: a JSON body over the cap is refused with 413; a tar body streams with Body null', async () => {
  reset({ pre: [ref('a')], post: [] });
  const big = await request('POST', '/containers/create', {
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ x: 'y'.repeat(2000) }),
  });
  assert.equal(big.status, 413);
  assert.match(JSON.parse(big.body).message, /larger than 1024 bytes/);
  let given: ClientRequest | undefined;
  reset(
    { pre: [ref('a')], post: [] },
    {
      runPre: async (_a, req) => {
        given = req;
        return { value: req, runs: [] };
      },
    },
  );
  const tar = Buffer.alloc(5000, 7);
  const b = await request('POST', '/build', { headers: { 'Content-Type': 'application/x-tar' }, body: tar });
  assert.equal(b.status, 200);
  assert.equal(given?.Body, null);
  assert.match(b.body, /got 5000 bytes/);
});

test('pre-hooks: a Body returned for a streamed body fails the request naming the adapter', async () => {
  reset(
    { pre: [ref('labeler')], post: [] },
    {
      call: async () => ({
        PowerstripProtocolVersion: 1,
        ModifiedClientRequest: { Method: 'POST', Request: '/build', Body: '{}' },
      }),
      runPre: async (adapters, req, call) => {
        await call(adapters[0], { PowerstripProtocolVersion: 1, Type: 'pre-hook', ClientRequest: req });
        return { value: req, runs: [] };
      },
      failureAnswer: (f) => dockerError(502, f.message),
    },
  );
  const a = await request('POST', '/build', {
    headers: { 'Content-Type': 'application/x-tar' },
    body: Buffer.alloc(100),
  });
  assert.equal(a.status, 502);
  assert.match(JSON.parse(a.body).message, /adapter "labeler" failed in its pre-hook \(protocol\)/);
});

test('post-hooks run on Docker errors and set Code, ContentType, Body; failures answer Docker-style', async () => {
  let given: ServerResponse | undefined;
  reset(
    { pre: [], post: [ref('p')] },
    {
      runPost: async (_a, _req, res) => {
        given = res;
        return { value: { Code: 200, ContentType: 'text/plain', Body: 'rewritten' }, runs: [] };
      },
    },
  );
  const a = await request('GET', '/v1.41/containers/nope/json');
  assert.equal(given?.Code, 404);
  assert.equal(given?.Body, '{"message":"No such container: nope"}\n');
  assert.equal(a.status, 200);
  assert.equal(a.headers['content-type'], 'text/plain');
  assert.equal(a.headers['api-version'], '1.41');
  assert.equal(a.body, 'rewritten');
  reset(
    { pre: [], post: [ref('p')] },
    {
      runPost: async () => {
        throw new AdapterFailure('p', 'post', 'timeout', 'no answer in 100 ms');
      },
      failureAnswer: (f) => dockerError(504, f.message),
    },
  );
  const b = await request('GET', '/containers/json');
  assert.equal(b.status, 504);
  assert.match(JSON.parse(b.body).message, /^sluice proxy: adapter "p" failed in its post-hook \(timeout\)/);
});

test('streams pass through chunk by chunk, post-hooks skipped and logged', async () => {
  reset({ pre: [], post: [ref('never')] }, { runPost: async () => assert.fail('post-hook on a stream') });
  const got: string[] = [];
  const req = http.request({ socketPath: proxySock, path: '/v1.41/events' });
  const res = await new Promise<http.IncomingMessage>((r) => req.on('response', r).end());
  res.on('data', (c: Buffer) => got.push(c.toString()));
  await waitFor(() => eventsRes !== undefined, {
    what: 'the events request at the fake dockerd',
    intervalMs: 5,
  });
  eventsRes!.write('{"status":"start"}\n');
  await waitFor(() => got.join('').includes('start'), {
    what: 'the first event before the stream ends',
    intervalMs: 5,
  });
  eventsRes!.end();
  eventsRes = undefined;
  await new Promise((r) => res.on('end', r));
  const rec = await waitFor(() => logs.findLast((l) => l.path === '/v1.41/events'), {
    what: 'the access record',
  });
  assert.equal(rec.stream, true);
  assert.equal(rec.streamKind, 'events');
  assert.deepEqual(rec.postHooksSkipped, ['never']);
});

test('wait: its head reaches the client before its body, also with post-hooks matched', async () => {
  reset({ pre: [], post: [ref('never')] }, { runPost: async () => assert.fail('post-hook on wait') });
  const req = http.request({
    socketPath: proxySock,
    method: 'POST',
    path: '/v1.41/containers/c1/wait?condition=removed',
  });
  const res = await new Promise<http.IncomingMessage>((r) => req.on('response', r).end());
  assert.equal(res.statusCode, 200, 'the head arrived while dockerd still holds the body');
  let body = '';
  res.on('data', (c: Buffer) => (body += c.toString()));
  await waitFor(() => waitRes !== undefined, { what: 'the wait at the fake dockerd', intervalMs: 5 });
  waitRes!.end('{"StatusCode":0}\n');
  waitRes = undefined;
  await new Promise((r) => res.on('end', r));
  assert.equal(body, '{"StatusCode":0}\n');
});

test('upgrade: spliced both ways with half-close; the answer after the client FIN still arrives', async () => {
  reset({ pre: [], post: [ref('skipped')] });
  const s = net.connect({ path: proxySock, allowHalfOpen: true });
  await new Promise((r) => s.once('connect', r));
  s.write(
    'POST /v1.41/containers/abc/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n',
  );
  let out = '';
  s.on('data', (c: Buffer) => (out += c.toString()));
  await waitFor(() => out.includes('101 UPGRADED'), { what: 'the 101', intervalMs: 5 });
  s.write('hi\n');
  await waitFor(() => out.includes('HI\n'), { what: 'the echo', intervalMs: 5 });
  s.end();
  await new Promise((r) => s.on('end', r));
  assert.match(out, /HI\nbye\n$/);
  assert.equal(seen[0].headers.upgrade, 'tcp');
  const rec = await waitFor(() => logs.findLast((l) => l.upgraded && l.path.includes('/attach')), {
    what: 'the upgrade record',
  });
  assert.equal(rec.status, 101);
  assert.deepEqual(rec.postHooksSkipped, ['skipped']);
  await waitFor(() => proxy.metrics.upgradedOpen === 0, { what: 'no upgraded connection open' });
});

test("upgrade with pre-hooks: exec start's JSON body rewritten, Content-Length fixed, then spliced", async () => {
  let given: ClientRequest | undefined;
  reset(
    { pre: [ref('tty')], post: [] },
    {
      runPre: async (adapters, req) => {
        given = req;
        const body = { ...(JSON.parse(req.Body ?? '{}') as object), Tty: true };
        return {
          value: { ...req, Body: JSON.stringify(body) },
          runs: [{ adapter: adapters[0].name, hook: 'pre' as const, ms: 1, ok: true }],
        };
      },
    },
  );
  const s = net.connect({ path: proxySock, allowHalfOpen: true });
  await new Promise((r) => s.once('connect', r));
  const body = '{"Detach":false}';
  s.write(
    `POST /v1.41/exec/e1/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n${body}`,
  );
  let out = '';
  s.on('data', (c: Buffer) => (out += c.toString()));
  await waitFor(() => out.includes('101 UPGRADED'), { what: 'the 101', intervalMs: 5 });
  assert.equal(given?.Body, body);
  assert.deepEqual(JSON.parse(seen[0].body), { Detach: false, Tty: true });
  assert.equal(seen[0].headers['content-length'], String(seen[0].body.length));
  s.write('ls\n');
  await waitFor(() => out.includes('LS\n'), { what: 'the echo', intervalMs: 5 });
  s.end();
  await new Promise((r) => s.on('end', r));
  const rec = await waitFor(() => logs.findLast((l) => l.upgraded && l.path.includes('/exec/e1')), {
    what: 'the exec record',
  });
  assert.deepEqual(
    rec.adapters.map((a) => a.adapter),
    ['tty'],
  );
});

test('dockerd unreachable: a Docker-style 502 saying where and what to do; upgrades too', async () => {
  reset();
  const p2sock = path.join(dir, 'p2.sock');
  const p2 = await startProxy({
    listen: { kind: 'unix', path: p2sock },
    docker: { kind: 'unix', socketPath: path.join(dir, 'missing.sock') },
    chain,
    log,
  });
  try {
    const a = await request('GET', '/_ping', { socketPath: p2sock });
    assert.equal(a.status, 502);
    assert.match(JSON.parse(a.body).message, /cannot reach dockerd at unix:\/\/.*missing\.sock \(ENOENT\)/);
    const s = net.connect({ path: p2sock });
    let out = '';
    s.on('data', (c: Buffer) => (out += c.toString()));
    s.write('POST /containers/x/attach HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    await new Promise((r) => s.on('close', r));
    assert.match(out, /^HTTP\/1\.1 502 Bad Gateway/);
  } finally {
    await p2.stop(100);
  }
});

test('token: required on every request and upgrade, never forwarded; a live socket is not taken over', async () => {
  const p3sock = path.join(dir, 'p3.sock');
  const p3 = await startProxy({
    listen: { kind: 'unix', path: p3sock },
    docker: { kind: 'unix', socketPath: dockerSock },
    chain,
    log,
    token: 's3cret',
  });
  try {
    reset();
    const no = await request('GET', '/containers/json', { socketPath: p3sock });
    assert.equal(no.status, 401);
    const yes = await request('GET', '/containers/json', {
      socketPath: p3sock,
      headers: { Authorization: 'Bearer s3cret' },
    });
    assert.equal(yes.status, 200);
    assert.equal(seen[0].headers.authorization, undefined);
    await assert.rejects(
      startProxy({
        listen: { kind: 'unix', path: p3sock },
        docker: { kind: 'unix', socketPath: dockerSock },
        chain,
        log,
      }),
      /already serves .*another sluice proxy/,
    );
  } finally {
    await p3.stop(100);
  }
  // A stale socket file (nothing answers) is replaced.
  execFileSync('python3', [
    '-c',
    `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(p3sock)})`,
  ]);
  assert.ok(fs.statSync(p3sock).isSocket());
  const p4 = await startProxy({
    listen: { kind: 'unix', path: p3sock },
    docker: { kind: 'unix', socketPath: dockerSock },
    chain,
    log,
  });
  assert.equal((fs.statSync(p3sock).mode & 0o777).toString(8), '660');
  await p4.stop(100);
});
