import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse as HttpResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeHookCaller } from '../../src/proxy/caller.js';
import { dockerStyleError, runPostHooks, runPreHooks } from '../../src/proxy/chain.js';
import type { ClientRequest, HookRequest, ServerResponse } from '../../src/proxy/protocol.js';
import { AdapterFailure, type AdapterHandler, type AdapterRef } from '../../src/proxy/types.js';
import { FieldError } from '../../src/util/index.js';
import { closedPort } from './api.fakes.js';

/** What a test adapter saw: each message it got, the URL path it was posted to, its content type. */
interface Seen {
  messages: HookRequest[];
  paths: string[];
  contentTypes: string[];
  connections: number;
}

type Answer = (msg: HookRequest) => { status?: number; body: string } | undefined;

const servers: Server[] = [];
const dir = mkdtempSync(join(tmpdir(), 'sluice-chain-'));
const caller = makeHookCaller({ timeoutMs: 2000 });
after(async () => {
  await caller.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A real HTTP adapter on loopback (or a Unix socket) answering with `answer`; undefined = never answer. */
async function adapter(answer: Answer, socketPath?: string): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = { messages: [], paths: [], contentTypes: [], connections: 0 };
  const srv = createServer((req: IncomingMessage, res: HttpResponse) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      const msg = JSON.parse(text) as HookRequest;
      seen.messages.push(msg);
      seen.paths.push(req.url ?? '');
      seen.contentTypes.push(req.headers['content-type'] ?? '');
      const a = answer(msg);
      if (!a) return; // never answers: the timeout test
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
      res.end(a.body);
    });
  });
  srv.on('connection', () => seen.connections++);
  servers.push(srv);
  if (socketPath) {
    await new Promise<void>((r) => srv.listen(socketPath, r));
    return { url: `unix://${socketPath}`, seen };
  }
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`, seen };
}

const preReply = (r: ClientRequest) => ({
  body: JSON.stringify({ PowerstripProtocolVersion: 1, ModifiedClientRequest: r }),
});
const postReply = (r: ServerResponse) => ({
  body: JSON.stringify({ PowerstripProtocolVersion: 1, ModifiedServerResponse: r }),
});
const passPre: Answer = (m) => preReply(m.ClientRequest);

const CREATE: ClientRequest = {
  Method: 'POST',
  Request: '/v1.41/containers/create',
  Body: JSON.stringify({ Image: 'busybox' }),
};

test('pre-hooks: the second adapter sees the first one rewrite Method, Request and Body', async () => {
  const first = await adapter((m) =>
    preReply({
      Method: 'PUT',
      Request: m.ClientRequest.Request + '?name=web',
      Body: JSON.stringify({ ...JSON.parse(m.ClientRequest.Body!), Labels: { a: '1' } }),
    }),
  );
  const second = await adapter((m) =>
    preReply({ ...m.ClientRequest, Method: 'POST', Request: m.ClientRequest.Request + '&x=1' }),
  );
  const refs: AdapterRef[] = [
    { name: 'first', url: first.url },
    { name: 'second', url: second.url },
  ];
  const { value, runs } = await runPreHooks(refs, CREATE, caller);

  assert.deepEqual(first.seen.messages, [
    { PowerstripProtocolVersion: 1, Type: 'pre-hook', ClientRequest: CREATE },
  ]);
  assert.equal(first.seen.paths[0], '/hook');
  assert.equal(first.seen.contentTypes[0], 'application/json');
  assert.deepEqual(second.seen.messages[0].ClientRequest, {
    Method: 'PUT',
    Request: '/v1.41/containers/create?name=web',
    Body: JSON.stringify({ Image: 'busybox', Labels: { a: '1' } }),
  });
  assert.deepEqual(value, {
    Method: 'POST',
    Request: '/v1.41/containers/create?name=web&x=1',
    Body: JSON.stringify({ Image: 'busybox', Labels: { a: '1' } }),
  });
  assert.deepEqual(
    runs.map((r) => [r.adapter, r.hook, r.ok, r.ms >= 0]),
    [
      ['first', 'pre', true, true],
      ['second', 'pre', true, true],
    ],
  );
});

test('post-hooks: Code, ContentType and Body carried from hook to hook; the last one is the answer', async () => {
  const docker: ServerResponse = { Code: 201, ContentType: 'application/json', Body: '{"Id":"abc"}' };
  const first = await adapter((m) => {
    assert.equal(m.Type, 'post-hook');
    return postReply({ ...(m as { ServerResponse: ServerResponse }).ServerResponse, Code: 409 });
  });
  const second = await adapter((m) => {
    const res = (m as { ServerResponse: ServerResponse }).ServerResponse;
    return postReply({ Code: res.Code + 1, ContentType: 'text/plain', Body: `was ${res.Code}` });
  });
  const { value, runs } = await runPostHooks(
    [
      { name: 'first', url: first.url },
      { name: 'second', url: second.url },
    ],
    CREATE,
    docker,
    caller,
  );
  assert.deepEqual(first.seen.messages[0], {
    PowerstripProtocolVersion: 1,
    Type: 'post-hook',
    ClientRequest: CREATE,
    ServerResponse: docker,
  });
  assert.deepEqual(second.seen.messages[0], {
    PowerstripProtocolVersion: 1,
    Type: 'post-hook',
    ClientRequest: CREATE,
    ServerResponse: { ...docker, Code: 409 },
  });
  assert.deepEqual(value, { Code: 410, ContentType: 'text/plain', Body: 'was 409' });
  assert.deepEqual(
    runs.map((r) => [r.adapter, r.hook, r.ok]),
    [
      ['first', 'post', true],
      ['second', 'post', true],
    ],
  );
});

test('no adapters: the request and response come back unchanged', async () => {
  assert.deepEqual(await runPreHooks([], CREATE, caller), { value: CREATE, runs: [] });
  const res: ServerResponse = { Code: 500, ContentType: 'text/plain', Body: null };
  assert.deepEqual(await runPostHooks([], CREATE, res, caller), { value: res, runs: [] });
});

/** Runs `ok` then `bad` then `never` and checks the chain stopped at `bad` with the given kind. */
async function assertFailure(
  badUrl: string,
  kind: AdapterFailure['kind'],
  detail: RegExp,
  call = caller,
): Promise<AdapterFailure> {
  const ok = await adapter(passPre);
  const never = await adapter(passPre);
  const refs = [
    { name: 'ok', url: ok.url },
    { name: 'bad-one', url: badUrl },
    { name: 'never', url: never.url },
  ];
  let failure: AdapterFailure | undefined;
  await assert.rejects(runPreHooks(refs, CREATE, call), (e: unknown) => {
    assert.ok(e instanceof AdapterFailure, String(e));
    failure = e;
    return true;
  });
  assert.ok(failure);
  assert.equal(failure.kind, kind);
  assert.equal(failure.adapter, 'bad-one');
  assert.equal(failure.hook, 'pre');
  assert.match(failure.message, /^adapter "bad-one" failed in its pre-hook/);
  assert.match(failure.detail, detail);
  assert.equal(never.seen.messages.length, 0, 'the chain stops at the failure');
  assert.deepEqual(
    failure.runs.map((r) => [r.adapter, r.ok]),
    [
      ['ok', true],
      ['bad-one', false],
    ],
  );
  const err = dockerStyleError(failure);
  assert.equal(err.contentType, 'application/json');
  assert.equal(err.status, kind === 'timeout' ? 504 : 502);
  const body = JSON.parse(err.body) as { message: string };
  assert.deepEqual(Object.keys(body), ['message']);
  assert.match(body.message, /^sluice proxy: adapter "bad-one" failed in its pre-hook/);
  return failure;
}

test('failure: connection refused is unreachable, names the adapter and its URL', async () => {
  const port = await closedPort();
  const f = await assertFailure(
    `http://127.0.0.1:${port}/x`,
    'unreachable',
    new RegExp(`^connection refused to http://127.0.0.1:${port}/x$`),
  );
  assert.match(JSON.parse(dockerStyleError(f).body).message, /is the adapter running\?/);
});

test('failure: a missing Unix socket is unreachable', async () => {
  await assertFailure(`unix://${join(dir, 'absent.sock')}`, 'unreachable', /^no such socket to unix:\/\//);
});

test('failure: a non-2xx answer is status, with the start of the adapter body', async () => {
  const bad = await adapter(() => ({ status: 500, body: 'boom: ' + 'x'.repeat(500) }));
  const f = await assertFailure(bad.url, 'status', /answered 500: boom: x+\.\.\.$/);
  assert.ok(f.detail.length < 300, f.detail);
  assert.equal(f.refusal, undefined);
});

test('failure: no answer within the timeout is timeout, and the call is aborted', async () => {
  const bad = await adapter(() => undefined);
  const short = makeHookCaller({ timeoutMs: 150 });
  const started = Date.now();
  await assertFailure(
    bad.url,
    'timeout',
    /^no answer from http:\/\/127\.0\.0\.1:\d+\/hook within 150 ms$/,
    short,
  );
  assert.ok(Date.now() - started < 1500);
  await short.close();
});

test('failure: an answer that is not JSON is invalid_json', async () => {
  const bad = await adapter(() => ({ body: 'not json' }));
  await assertFailure(bad.url, 'invalid_json', /answered 200 with a body that is not JSON: not json$/);
});

test('failure: a reply of another protocol version is protocol, naming the key', async () => {
  const bad = await adapter(() => ({ body: '{"PowerstripProtocolVersion": 2}' }));
  await assertFailure(bad.url, 'protocol', /PowerstripProtocolVersion: must be 1, got 2/);
  const missing = await adapter(() => ({ body: '{"PowerstripProtocolVersion": 1}' }));
  await assertFailure(missing.url, 'protocol', /ModifiedClientRequest: must be a JSON object/);
});

test('failure: in a post-hook chain too, with the runs so far', async () => {
  const ok = await adapter((m) => postReply((m as { ServerResponse: ServerResponse }).ServerResponse));
  const bad = await adapter(() => ({ status: 404, body: 'Not Found' }));
  const res: ServerResponse = { Code: 404, ContentType: 'application/json', Body: '{"message":"no such"}' };
  await assert.rejects(
    runPostHooks(
      [
        { name: 'ok', url: ok.url },
        { name: 'post-bad', url: bad.url },
      ],
      CREATE,
      res,
      caller,
    ),
    (e: unknown) => {
      assert.ok(e instanceof AdapterFailure);
      assert.equal(e.hook, 'post');
      assert.equal(e.kind, 'status');
      assert.match(
        e.message,
        /^adapter "post-bad" failed in its post-hook \(status\): .* answered 404: Not Found$/,
      );
      assert.equal(e.runs.length, 2);
      return true;
    },
  );
});

test('a 403 with a Docker-style message is a refusal: the client gets 403 and the message', async () => {
  const policy = await adapter(() => ({
    status: 403,
    body: '{"message":"registry evil.io is not allowed"}',
  }));
  await assert.rejects(runPreHooks([{ name: 'policy', url: policy.url }], CREATE, caller), (e: unknown) => {
    assert.ok(e instanceof AdapterFailure);
    assert.equal(e.kind, 'status');
    assert.deepEqual(e.refusal, { status: 403, message: 'registry evil.io is not allowed' });
    assert.deepEqual(dockerStyleError(e), {
      status: 403,
      contentType: 'application/json',
      body: JSON.stringify({
        message: 'sluice proxy: adapter "policy" refused the request: registry evil.io is not allowed',
      }),
    });
    return true;
  });
});

test('only 400, 403 and 409 in Docker shape are refusals; other errors stay 502', async () => {
  const cases: [number, string, number][] = [
    [409, '{"message":"network exists"}', 409],
    [400, '{"message":"bad cidr"}', 400],
    [400, 'bad cidr', 502],
    [404, '{"message":"Route POST:/x not found"}', 502],
    [500, '{"message":"bug"}', 502],
  ];
  for (const [status, body, client] of cases) {
    const a = await adapter(() => ({ status, body }));
    const e = await runPreHooks([{ name: 'a', url: a.url }], CREATE, caller).then(
      () => assert.fail('no failure'),
      (e: AdapterFailure) => e,
    );
    assert.equal(dockerStyleError(e).status, client, `${status} ${body}`);
  }
});

test('Unix-socket adapters, with and without a URL path', async () => {
  const a = await adapter(
    (m) => preReply({ ...m.ClientRequest, Request: m.ClientRequest.Request + '?a=1' }),
    join(dir, 'a.sock'),
  );
  const b = await adapter(passPre, join(dir, 'b.sock'));
  const { value } = await runPreHooks(
    [
      { name: 'a', url: a.url },
      { name: 'b', url: `${b.url}:/adapter/hook` },
    ],
    CREATE,
    caller,
  );
  assert.equal(value.Request, '/v1.41/containers/create?a=1');
  assert.deepEqual(a.seen.paths, ['/']);
  assert.deepEqual(b.seen.paths, ['/adapter/hook']);
  assert.equal(b.seen.messages[0].ClientRequest.Request, '/v1.41/containers/create?a=1');
});

test('repeated hooks reuse one keep-alive connection', async () => {
  const a = await adapter(passPre);
  const b = await adapter(passPre, join(dir, 'keep.sock'));
  const refs = [
    { name: 'a', url: a.url },
    { name: 'b', url: b.url },
  ];
  for (let i = 0; i < 10; i++) await runPreHooks(refs, CREATE, caller);
  assert.equal(a.seen.messages.length, 10);
  assert.equal(a.seen.connections, 1);
  assert.equal(b.seen.connections, 1);
});

test('builtins are called in-process; their errors map like HTTP answers', async () => {
  const seen: unknown[] = [];
  const builtins = new Map<string, AdapterHandler>([
    [
      'tag',
      {
        handle: async (m) => {
          seen.push(m);
          const r = (m as { ClientRequest: ClientRequest }).ClientRequest;
          return { PowerstripProtocolVersion: 1, ModifiedClientRequest: { ...r, Method: 'PUT' } };
        },
      },
    ],
    ['deny', { handle: async () => Promise.reject(Object.assign(new Error('not here'), { status: 403 })) }],
    [
      'crash',
      {
        handle: async () => {
          throw new Error('kaput');
        },
      },
    ],
    ['stuck', { handle: () => new Promise(() => {}) }],
    ['invalid', { handle: async () => Promise.reject(new FieldError('SOCKETPLANE_CIDR', 'not a CIDR')) }],
    ['v2', { handle: async () => ({ PowerstripProtocolVersion: 2 }) }],
  ]);
  const call = makeHookCaller({ builtins, timeoutMs: 100 });
  const { value, runs } = await runPreHooks([{ name: 'tagger', url: 'builtin:tag' }], CREATE, call);
  assert.equal(value.Method, 'PUT');
  assert.deepEqual(seen, [{ PowerstripProtocolVersion: 1, Type: 'pre-hook', ClientRequest: CREATE }]);
  assert.equal(runs[0].adapter, 'tagger');

  const failure = async (url: string): Promise<AdapterFailure> => {
    try {
      await runPreHooks([{ name: 'x', url }], CREATE, call);
    } catch (e) {
      assert.ok(e instanceof AdapterFailure);
      assert.equal(e.adapter, 'x');
      return e;
    }
    throw new Error(`${url} did not fail`);
  };
  const deny = await failure('builtin:deny');
  assert.deepEqual(
    [deny.kind, deny.refusal, dockerStyleError(deny).status],
    ['status', { status: 403, message: 'not here' }, 403],
  );
  const invalid = await failure('builtin:invalid');
  assert.deepEqual(invalid.refusal, { status: 400, message: 'SOCKETPLANE_CIDR: not a CIDR' });
  assert.equal(dockerStyleError(invalid).status, 400);
  const crash = await failure('builtin:crash');
  assert.deepEqual([crash.kind, crash.refusal], ['status', undefined]);
  assert.match(crash.detail, /answered 500: kaput/);
  assert.equal((await failure('builtin:stuck')).kind, 'timeout');
  assert.equal((await failure('builtin:v2')).kind, 'protocol');
  const absent = await failure('builtin:nope');
  assert.equal(absent.kind, 'unreachable');
  assert.match(
    absent.detail,
    /no built-in adapter "nope" \(built in: tag, deny, crash, stuck, invalid, v2\)/,
  );
  await call.close();
});

test('bad URLs are unreachable failures, and a password in a URL is not shown', async () => {
  const port = await closedPort();
  const f = await assertFailure(
    `http://user:secret@127.0.0.1:${port}/`,
    'unreachable',
    /^connection refused to/,
  );
  assert.doesNotMatch(f.message, /secret/);
  await assertFailure('ftp://example.com/', 'unreachable', /^unsupported URL ftp:/);
  await assertFailure('unix://relative.sock', 'unreachable', /^bad URL unix:\/\/relative\.sock/);
});

test('dockerStyleError: statuses and advice per kind', () => {
  const kinds: [AdapterFailure['kind'], number, RegExp][] = [
    ['unreachable', 502, /start it, or fix its URL/],
    ['status', 502, /adapter's own log/],
    ['timeout', 504, /did not answer in time/],
    ['invalid_json', 502, /must answer with JSON/],
    ['protocol', 502, /PowerstripProtocolVersion 1/],
  ];
  for (const [kind, status, hint] of kinds) {
    const e = dockerStyleError(new AdapterFailure('net', 'pre', kind, 'what happened'));
    assert.equal(e.status, status);
    const { message } = JSON.parse(e.body) as { message: string };
    assert.match(
      message,
      new RegExp(`^sluice proxy: adapter "net" failed in its pre-hook \\(${kind}\\): what happened`),
    );
    assert.match(message, hint);
  }
});
