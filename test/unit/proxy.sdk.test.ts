import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeHookCaller } from '../../src/proxy/caller.js';
import { dockerStyleError, runPostHooks, runPreHooks } from '../../src/proxy/chain.js';
import {
  preHookRequest,
  postHookRequest,
  ProtocolError,
  type ClientRequest,
  type ServerResponse,
} from '../../src/proxy/protocol.js';
import { hookErrorStatus } from '../../src/proxy/refusal.js';
import { createAdapter, jsonBody, refuse, route, withJsonBody, type Listening } from '../../src/proxy/sdk.js';
import { AdapterFailure } from '../../src/proxy/types.js';
import { FieldError } from '../../src/util/index.js';
import { waitFor } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-sdk-'));
const caller = makeHookCaller({ timeoutMs: 2000 });
const open: Listening[] = [];
after(async () => {
  await caller.close();
  for (const l of open) await l.close();
  rmSync(dir, { recursive: true, force: true });
});

const CREATE: ClientRequest = {
  Method: 'POST',
  Request: '/v1.41/containers/create?name=web',
  Body: JSON.stringify({ Image: 'busybox' }),
};
const CREATED: ServerResponse = { Code: 201, ContentType: 'application/json', Body: '{"Id":"abc"}' };

async function served(l: Promise<Listening>): Promise<Listening> {
  const listening = await l;
  open.push(listening);
  return listening;
}

/** POSTs (or sends `method`) raw text to a served adapter; returns status and parsed JSON body. */
function post(url: string, body: string, method = 'POST'): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const r = request({ host: u.hostname, port: u.port, path: u.pathname, method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

test('handle: absent hooks pass the message through unchanged', async () => {
  const a = createAdapter({});
  assert.deepEqual(await a.handle(preHookRequest(CREATE)), {
    PowerstripProtocolVersion: 1,
    ModifiedClientRequest: CREATE,
  });
  assert.deepEqual(await a.handle(postHookRequest(CREATE, CREATED)), {
    PowerstripProtocolVersion: 1,
    ModifiedServerResponse: CREATED,
  });
});

test('handle: a hook returns a new message, or edits its copy and returns nothing', async () => {
  const a = createAdapter({
    pre: (req, ctx) => {
      assert.equal(ctx.hook, 'pre');
      assert.deepEqual(ctx.message.ClientRequest, CREATE);
      req.Method = 'PUT';
    },
    post: async (req, res, ctx) => {
      assert.equal(ctx.hook, 'post');
      assert.deepEqual(req, CREATE);
      return { ...res, Code: 200 };
    },
  });
  const message = preHookRequest(CREATE);
  const pre = await a.handle(message);
  assert.deepEqual(pre, {
    PowerstripProtocolVersion: 1,
    ModifiedClientRequest: { ...CREATE, Method: 'PUT' },
  });
  assert.equal(message.ClientRequest.Method, 'POST', 'the caller’s message is not edited');
  assert.deepEqual(await a.handle(postHookRequest(CREATE, CREATED)), {
    PowerstripProtocolVersion: 1,
    ModifiedServerResponse: { ...CREATED, Code: 200 },
  });
});

test('handle: a bad message is a 400 naming the field; a bad hook result is a 500', async () => {
  const a = createAdapter({ pre: () => ({ Method: 'POST', Request: 'no-slash', Body: null }) });
  await assert.rejects(
    a.handle({ PowerstripProtocolVersion: 1, Type: 'pre-hook', ClientRequest: { Method: 1 } }),
    (e: unknown) => {
      assert.ok(e instanceof ProtocolError);
      assert.equal(e.field, 'ClientRequest.Method');
      assert.equal(hookErrorStatus(e), 400);
      return true;
    },
  );
  await assert.rejects(a.handle(preHookRequest(CREATE)), (e: unknown) => {
    assert.ok(!(e instanceof ProtocolError));
    assert.match(
      (e as Error).message,
      /pre-hook returned an invalid message: ModifiedClientRequest\.Request/,
    );
    assert.equal(hookErrorStatus(e), 500);
    return true;
  });
});

test('over HTTP: a chain of two SDK adapters, the second seeing the first one’s rewrite', async () => {
  const seen: ClientRequest[] = [];
  const first = await served(
    createAdapter({
      pre: (req) =>
        withJsonBody(
          { ...req, Request: '/v1.41/containers/create?name=renamed' },
          {
            ...jsonBody(req),
            Labels: { step: 'first' },
          },
        ),
      post: (_req, res) => ({ ...res, Body: JSON.stringify({ ...jsonBody(res), Warnings: ['first'] }) }),
    }).listen(),
  );
  const second = await served(
    createAdapter({
      pre: (req) => {
        seen.push(req);
        return { ...req, Method: 'PUT' };
      },
      post: (req, res) => {
        assert.equal(req.Method, 'PUT');
        return { ...res, Code: 299, ContentType: 'application/json; charset=utf-8' };
      },
    }).listen({ path: join(dir, 'second.sock') }),
  );
  assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.equal(second.url, `unix://${join(dir, 'second.sock')}`);
  const refs = [
    { name: 'first', url: first.url },
    { name: 'second', url: second.url },
  ];
  const pre = await runPreHooks(refs, CREATE, caller);
  assert.deepEqual(seen, [
    {
      Method: 'POST',
      Request: '/v1.41/containers/create?name=renamed',
      Body: JSON.stringify({ Image: 'busybox', Labels: { step: 'first' } }),
    },
  ]);
  assert.equal(pre.value.Method, 'PUT');
  const post = await runPostHooks(refs, pre.value, CREATED, caller);
  assert.deepEqual(post.value, {
    Code: 299,
    ContentType: 'application/json; charset=utf-8',
    Body: JSON.stringify({ Id: 'abc', Warnings: ['first'] }),
  });
});

test('over HTTP: errors are JSON naming the field, the status or the hook’s message', async () => {
  const a = await served(
    createAdapter({
      pre: (req) => {
        if (route(req).query.get('name') === 'boom') throw new Error('the hook broke');
        if (route(req).query.get('name') === 'evil') refuse('no evil containers');
        if (route(req).query.get('name') === 'bad')
          throw new FieldError('Env', 'SOCKETPLANE_CIDR is not a CIDR');
        return req;
      },
    }).listen('127.0.0.1:0'),
  );
  assert.deepEqual(await post(a.url, 'not json'), {
    status: 400,
    json: { message: 'the hook message is not JSON: ' + jsonError('not json') },
  });
  const bad = await post(
    a.url,
    JSON.stringify({ PowerstripProtocolVersion: 1, Type: 'pre-hook', ClientRequest: {} }),
  );
  assert.equal(bad.status, 400);
  assert.equal(bad.json.field, 'ClientRequest.Method');
  assert.match(bad.json.message, /^ClientRequest\.Method: must be an HTTP method/);
  const v2 = await post(a.url, JSON.stringify({ ...preHookRequest(CREATE), PowerstripProtocolVersion: 2 }));
  assert.deepEqual([v2.status, v2.json.field], [400, 'PowerstripProtocolVersion']);
  assert.equal((await post(a.url, '', 'GET')).status, 405);

  const named = (name: string) => ({ ...CREATE, Request: `/containers/create?name=${name}` });
  const failure = async (name: string) =>
    runPreHooks([{ name: 'sdk', url: a.url }], named(name), caller).then(
      () => assert.fail('no failure'),
      (e: AdapterFailure) => e,
    );
  const boom = await failure('boom');
  assert.equal(boom.kind, 'status');
  assert.match(boom.detail, /answered 500: \{"message":"the hook broke"\}/);
  assert.equal(dockerStyleError(boom).status, 502);
  const evil = await failure('evil');
  assert.deepEqual(dockerStyleError(evil), {
    status: 403,
    contentType: 'application/json',
    body: JSON.stringify({ message: 'sluice proxy: adapter "sdk" refused the request: no evil containers' }),
  });
  const invalid = await failure('bad');
  assert.deepEqual(invalid.refusal, { status: 400, message: 'Env: SOCKETPLANE_CIDR is not a CIDR' });
  assert.equal((await runPreHooks([{ name: 'sdk', url: a.url }], named('ok'), caller)).value.Method, 'POST');
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

test('the same adapter works in-process as a builtin', async () => {
  const a = createAdapter({ pre: (req) => ({ ...req, Method: 'PUT' }) });
  const call = makeHookCaller({ builtins: new Map([['put', a]]) });
  const { value } = await runPreHooks([{ name: 'put', url: 'builtin:put' }], CREATE, call);
  assert.equal(value.Method, 'PUT');
  await call.close();
});

test('listen forms: a port, host:port, http URL; a Unix socket replaces a stale file, not a live one', async () => {
  const a = createAdapter({});
  for (const at of [0, '0', '127.0.0.1:0', 'http://127.0.0.1:0', { port: 0 }, { port: 0, host: '::1' }]) {
    const l = await served(a.listen(at));
    assert.match(l.url, /^http:\/\/(127\.0\.0\.1|\[::1\]):[1-9]\d*\/$/, String(at));
    assert.equal((await runPreHooks([{ name: 'a', url: l.url }], CREATE, caller)).value.Method, 'POST');
  }
  await assert.rejects(a.listen('nowhere'), /cannot listen at "nowhere"/);

  // A socket file left by a process that died (SIGKILL: no chance to remove it).
  const stale = join(dir, 'stale.sock');
  const child = spawn(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`,
  ]);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await waitFor(() => out.includes('up'), { what: 'the child to listen', intervalMs: 10 });
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  assert.ok(existsSync(stale));
  const l = await served(a.listen(`unix://${stale}`));
  assert.equal((await runPreHooks([{ name: 'a', url: l.url }], CREATE, caller)).value.Method, 'POST');
  await assert.rejects(a.listen({ path: stale }), /another process serves that socket/);
  await l.close();
  assert.ok(!existsSync(stale), 'close removes the socket');
});

test('jsonBody, withJsonBody and route', () => {
  assert.deepEqual(jsonBody(CREATE), { Image: 'busybox' });
  assert.equal(jsonBody({ Body: null }), undefined);
  assert.equal(jsonBody({ Body: 'tar bytes' }), undefined);
  assert.deepEqual(withJsonBody(CREATE, { Image: 'x' }), { ...CREATE, Body: '{"Image":"x"}' });
  const r = route(CREATE);
  assert.deepEqual(
    [r.method, r.path, r.version, r.query.get('name')],
    ['POST', '/containers/create', '1.41', 'web'],
  );
  const u = route({ Method: 'GET', Request: '/containers/json', Body: null });
  assert.deepEqual([u.path, u.version, [...u.query]], ['/containers/json', undefined, []]);
  assert.equal(route({ Method: 'GET', Request: '/v1/x', Body: null }).version, '1');
});
