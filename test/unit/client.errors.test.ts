/**
 * The client's errors are typed by a stable code (SLUICE_E_*): each class carries one, ApiError's follows the
 * status, and `instanceof ApiError` / the existing fields keep working for callers written before codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiError,
  apiErrorCode,
  ClientOptionError,
  ConnectionError,
  SLUICE_ERROR_CODES,
  SluiceClient,
  SluiceClientError,
  type SluiceErrorCode,
  type Transport,
} from '../../src/client/index.js';
import { SluiceClient as NodeSluiceClient } from '../../src/client/node.js';
import { createApiServer } from '../../src/api/index.js';
import { closedPort, fakeDeps } from './api.fakes.js';

/** A transport answering every request with `status` and the API's error body. */
const answering = (status: number, error = 'x', field?: string): Transport => ({
  fetch: async () =>
    new Response(JSON.stringify({ error, detail: 'd', ...(field ? { field } : {}) }), {
      status,
      headers: { 'content-type': 'application/json' },
    }),
});

/** What a call rejected with. */
async function failureOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('the call succeeded');
}

test('ApiError: its code follows the status, its other fields are as before', async () => {
  const cases: [number, SluiceErrorCode][] = [
    [400, 'SLUICE_E_BAD_REQUEST'],
    [413, 'SLUICE_E_BAD_REQUEST'],
    [401, 'SLUICE_E_UNAUTHORIZED'],
    [403, 'SLUICE_E_UNAUTHORIZED'],
    [404, 'SLUICE_E_NOT_FOUND'],
    [409, 'SLUICE_E_CONFLICT'],
    [501, 'SLUICE_E_NOT_IMPLEMENTED'],
    [503, 'SLUICE_E_UNAVAILABLE'],
    [500, 'SLUICE_E_API'],
    [502, 'SLUICE_E_API'],
    [504, 'SLUICE_E_API'],
    [418, 'SLUICE_E_API'],
  ];
  for (const [status, code] of cases) {
    assert.equal(apiErrorCode(status), code, String(status));
    const c = new SluiceClient({ baseUrl: 'http://api', transport: answering(status, 'conflict', 'name') });
    const e = await failureOf(c.nodes.get('n1'));
    assert.ok(e instanceof ApiError && e instanceof SluiceClientError && e instanceof Error, String(status));
    assert.equal(e.code, code, String(status));
    assert.deepEqual(
      [e.status, e.error, e.detail, e.field, e.name],
      [status, 'conflict', 'd', 'name', 'ApiError'],
    );
    assert.equal(e.message, `${status} conflict: d`);
  }
  // Built by hand (as callers' tests do), it has its code too.
  assert.equal(new ApiError(404, 'not_found', 'no such rule').code, 'SLUICE_E_NOT_FOUND');
});

test('a real API: 404, 401 and 400 answers carry their codes', async (t) => {
  const app = await createApiServer({ ...fakeDeps(), auth: { token: 'tok' } });
  t.after(() => app.close());
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const c = new SluiceClient({ baseUrl, token: 'tok' });
  const notFound = await failureOf(c.switch('00:00:00:00:00:00:00:0a'));
  assert.ok(notFound instanceof ApiError);
  assert.deepEqual([notFound.code, notFound.error], ['SLUICE_E_NOT_FOUND', 'not_found']);
  const bad = await failureOf(c.switch('zz'));
  assert.ok(bad instanceof ApiError);
  assert.deepEqual([bad.code, bad.field], ['SLUICE_E_BAD_REQUEST', 'dpid']);
  const noToken = await failureOf(new SluiceClient({ baseUrl }).switches());
  assert.ok(noToken instanceof ApiError);
  assert.equal(noToken.code, 'SLUICE_E_UNAUTHORIZED');
});

test('ConnectionError: SLUICE_E_CONNECTION, the socket code on socketCode', async () => {
  const baseUrl = `http://127.0.0.1:${await closedPort()}`;
  const e = await failureOf(new SluiceClient({ baseUrl }).health());
  assert.ok(e instanceof ConnectionError && e instanceof SluiceClientError);
  assert.deepEqual(
    [e.code, e.socketCode, e.server, e.name],
    ['SLUICE_E_CONNECTION', 'ECONNREFUSED', 'controller', 'ConnectionError'],
  );
  const timedOut = new SluiceClient({
    baseUrl: 'http://api',
    timeoutMs: 1,
    transport: {
      fetch: (_url, init) =>
        new Promise((_r, reject) =>
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        ),
    },
  });
  const late = await failureOf(timedOut.health());
  assert.ok(late instanceof ConnectionError);
  assert.deepEqual([late.code, late.socketCode], ['SLUICE_E_CONNECTION', 'ETIMEDOUT']);
});

test('ClientOptionError: SLUICE_E_CLIENT_OPTION, naming the option', () => {
  assert.throws(
    () => new NodeSluiceClient({ baseUrl: 'http://api', tls: { ca: 'not a pem' } }),
    (e: unknown) => {
      assert.ok(e instanceof ClientOptionError && e instanceof SluiceClientError);
      assert.equal(e.code, 'SLUICE_E_CLIENT_OPTION');
      assert.equal(e.name, 'ClientOptionError');
      assert.ok(e.field.length > 0);
      return true;
    },
  );
});

test('every code is documented, and every documented code is one a class can carry', () => {
  const carried = new Set<string>([
    ...[400, 401, 404, 409, 500, 501, 503].map(apiErrorCode),
    new ConnectionError('b', 'u', undefined, 'm').code,
    new ClientOptionError('f', 'r').code,
  ]);
  assert.deepEqual([...carried].sort(), Object.keys(SLUICE_ERROR_CODES).sort());
  for (const [code, meaning] of Object.entries(SLUICE_ERROR_CODES)) {
    assert.match(code, /^SLUICE_E_[A-Z_]+$/);
    assert.ok(meaning.length > 10, code);
  }
});
