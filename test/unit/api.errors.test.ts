/**
 * The API's error table: every stable code maps to a status and a wire `error` string (checked when compiling
 * and here), and the bad-input paths of real apps answer the table's status with the body clients know.
 */
import { HandError } from '../../src/apps/hostaware/index.js';
import { ParseError } from '../../src/apps/hostaware/sources/index.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ERROR_HTTP,
  INTERNAL_DETAIL,
  codedErrorToHttp,
  type ApiErrorCode,
  type ErrorCode,
} from '../../src/api/errors.js';
import { createApiServer, type RouteArea } from '../../src/api/index.js';
import { firewallRoutes } from '../../src/api/routes/firewall.js';
import { qosRoutes } from '../../src/api/routes/qos.js';
import { FirewallApp, RuleError } from '../../src/apps/firewall/index.js';
import { QosApp, QosError } from '../../src/apps/qos/index.js';
import { EntryError } from '../../src/apps/staticflows/index.js';
import {
  AppOrderError,
  NotMasterError,
  OfErrorReplyError,
  RequestTimeoutError,
  SessionClosedError,
  type ControllerErrorCode,
} from '../../src/controller/index.js';
import { firewallView } from '../../src/daemon/firewall.js';
import { qosView } from '../../src/daemon/qos.js';
import {
  OFP_VERSION_1_3,
  OpenFlowDecodeError,
  OpenFlowEncodeError,
  type OpenFlowDecodeErrorCode,
  type OpenFlowEncodeErrorCode,
} from '../../src/openflow/index.js';
import { StoreError, type StoreErrorCode } from '../../src/store/index.js';
import { DockerError } from '../../src/agent/docker.js';
import { ConflictError, FieldError, NotFoundError, OvsdbUnavailableError } from '../../src/util/index.js';
import { fakeDeps } from './api.fakes.js';
import { fakeAppContext, tempStore } from './apps.testctx.js';

// Compile-time: the table's keys are exactly the codes, and each family's codes are among them.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const tableIsExact: Same<keyof typeof ERROR_HTTP, ErrorCode> = true;
const familiesCovered: Same<
  ControllerErrorCode | StoreErrorCode | OpenFlowDecodeErrorCode | OpenFlowEncodeErrorCode,
  Extract<ErrorCode, ControllerErrorCode | StoreErrorCode | OpenFlowDecodeErrorCode | OpenFlowEncodeErrorCode>
> = true;

const STORE_CODES: StoreErrorCode[] = [
  'STORE_INVALID',
  'STORE_LEASE_NOT_FOUND',
  'STORE_CLOSED',
  'STORE_LOCKED',
  'STORE_CORRUPT',
  'STORE_UNAVAILABLE',
];
const DECODE_CODES: OpenFlowDecodeErrorCode[] = [
  'OF_TRUNCATED',
  'OF_BAD_LENGTH',
  'OF_BAD_VERSION',
  'OF_BAD_TYPE',
  'OF_BAD_FIELD',
  'OF_UNSUPPORTED',
];
const ofReply = {
  type: 'error',
  version: OFP_VERSION_1_3,
  xid: 3,
  errType: 5,
  code: 0,
  data: Buffer.alloc(0),
} as const;

/** One instance of every error class with a code (store and codec errors once per code). */
const ERRORS: (Error & { code: string })[] = [
  new FieldError('f', 'bad'),
  new QosError('queue', 'bad'),
  new EntryError('actions', 'bad'),
  new RuleError('src-ip', 'bad'),
  new HandError('conditions[0].metric', 'bad'),
  new ParseError('alertmanager', 'body', 'bad'),
  new NotFoundError('sid', 'no service 9'),
  new ConflictError('name', 'taken'),
  new OvsdbUnavailableError('ovsdb', 'connection refused'),
  new RequestTimeoutError('flow_stats', 4, 10),
  new OfErrorReplyError('flow_mod', ofReply),
  new SessionClosedError('peer closed'),
  Object.assign(new SessionClosedError('x'), { code: 'CTL_HANDSHAKE' }),
  new AppOrderError('cycle: a -> b -> a'),
  new NotMasterError('flow_mod', 1n),
  ...STORE_CODES.map((c) => new StoreError(c, 'key', 'why')),
  ...DECODE_CODES.map((c) => new OpenFlowDecodeError(c, 1, 2, 'why')),
  new OpenFlowEncodeError('OF_UNSUPPORTED', 'meter', 'not on 1.0'),
  new DockerError('DOCKER_UNAVAILABLE', 'dockerd at /var/run/docker.sock: ECONNREFUSED'),
  new DockerError('DOCKER_API_ERROR', 'dockerd answered 500: boom', 500),
];

/** What each code answers: [status, error]; the `error` strings are the ones clients already see. */
const EXPECTED: Record<ErrorCode, [number, ApiErrorCode]> = {
  SLU_INVALID: [400, 'validation'],
  SLU_QOS_INVALID: [400, 'validation'],
  SLU_STATICFLOW_INVALID: [400, 'validation'],
  SLU_RULE_INVALID: [400, 'validation'],
  SLU_HOSTAWARE_INVALID: [400, 'validation'],
  SLU_HOSTAWARE_PARSE: [400, 'validation'],
  SLU_NOT_FOUND: [404, 'not_found'],
  SLU_CONFLICT: [409, 'conflict'],
  SLU_OVSDB_UNAVAILABLE: [503, 'ovsdb_unavailable'],
  CTL_REQUEST_TIMEOUT: [504, 'switch_timeout'],
  CTL_OF_ERROR: [502, 'switch_error'],
  CTL_SESSION_CLOSED: [503, 'switch_error'],
  CTL_HANDSHAKE: [503, 'switch_error'],
  CTL_APP_ORDER: [500, 'internal'],
  CTL_NOT_MASTER: [409, 'conflict'],
  STORE_UNAVAILABLE: [503, 'store_unavailable'],
  STORE_CLOSED: [503, 'store_unavailable'],
  STORE_INVALID: [500, 'internal'],
  STORE_LEASE_NOT_FOUND: [500, 'internal'],
  STORE_LOCKED: [500, 'internal'],
  STORE_CORRUPT: [500, 'internal'],
  OF_UNSUPPORTED: [400, 'unsupported_by_switch'],
  OF_BAD_FIELD: [500, 'internal'],
  OF_BAD_LENGTH: [500, 'internal'],
  OF_TRUNCATED: [500, 'internal'],
  OF_BAD_VERSION: [500, 'internal'],
  OF_BAD_TYPE: [500, 'internal'],
  DOCKER_UNAVAILABLE: [503, 'docker_unavailable'],
  DOCKER_API_ERROR: [502, 'docker_error'],
};

test('the table maps every code, and every code in it is one some error carries', () => {
  assert.ok(tableIsExact && familiesCovered);
  const codes = new Set(ERRORS.map((e) => e.code));
  assert.deepEqual([...codes].sort(), Object.keys(ERROR_HTTP).sort());
  for (const [code, [status, error]] of Object.entries(EXPECTED)) {
    assert.deepEqual(ERROR_HTTP[code as ErrorCode], { status, error }, code);
  }
});

/** A route that throws ERRORS[i], as an app call would. */
const throwing: RouteArea = (app) => {
  app.get<{ Params: { i: string } }>('/test/throw/:i', async (req) => {
    throw ERRORS[Number(req.params.i)];
  });
};

test('a route throwing each coded error answers its status with {error, detail, field}', async () => {
  const api = await createApiServer({ ...fakeDeps(), routes: [throwing] });
  for (const [i, err] of ERRORS.entries()) {
    const code = err.code as ErrorCode;
    const [status, error] = EXPECTED[code];
    const res = await api.inject(`/test/throw/${i}`);
    const field = err instanceof FieldError || err instanceof NotFoundError || err instanceof ConflictError;
    const expected =
      error === 'internal'
        ? { error, detail: INTERNAL_DETAIL }
        : err instanceof OvsdbUnavailableError || err instanceof DockerError || field
          ? { error, detail: err.message, field: (err as FieldError).field }
          : { error, detail: err.message };
    assert.equal(res.statusCode, status, code);
    assert.deepEqual(res.json(), expected, code);
  }
});

test('a validation error of an app the table does not know yet still answers 400 validation', () => {
  class LaterAppError extends FieldError {
    override readonly code = 'SLU_LATER_INVALID';
  }
  const http = codedErrorToHttp(new LaterAppError('k', 'bad'));
  assert.deepEqual(
    [http?.status, http?.toBody()],
    [400, { error: 'validation', detail: 'k: bad', field: 'k' }],
  );
  assert.equal(codedErrorToHttp(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), undefined);
});

async function call(
  api: Awaited<ReturnType<typeof createApiServer>>,
  method: string,
  url: string,
  body?: unknown,
) {
  const res = await api.inject({
    method: method as 'GET',
    url,
    ...(body === undefined
      ? {}
      : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return [res.statusCode, res.body ? (JSON.parse(res.body) as unknown) : undefined];
}

test('firewall bad paths through the API: validation, not_found, conflict', async () => {
  const { ctx } = fakeAppContext(tempStore('sluice-apierr-'));
  const fw = new FirewallApp();
  await fw.start(ctx);
  const api = await createApiServer({ ...fakeDeps(), routes: [firewallRoutes(firewallView(fw))] });
  await call(api, 'POST', '/api/v1/firewall/rules', { 'src-ip': '10.0.0.1' });
  assert.deepEqual(await call(api, 'POST', '/api/v1/firewall/rules', { 'src-mac': 'zz' }), [
    400,
    {
      error: 'validation',
      detail: "src-mac: 'zz' is not a MAC address (expected aa:bb:cc:dd:ee:ff)",
      field: 'src-mac',
    },
  ]);
  assert.deepEqual(await call(api, 'DELETE', '/api/v1/firewall/rules/9'), [
    404,
    { error: 'not_found', detail: 'ruleid: no firewall rule 9', field: 'ruleid' },
  ]);
  assert.deepEqual(await call(api, 'POST', '/api/v1/firewall/rules', { 'src-ip': '10.0.0.1/32' }), [
    409,
    { error: 'conflict', detail: 'body: a similar rule already exists (ruleid 1)', field: 'body' },
  ]);
});

test('QoS bad paths through the API: validation, not_found, conflict, ovsdb_unavailable', async () => {
  const { ctx } = fakeAppContext(tempStore('sluice-apierr-'));
  const qos = new QosApp({ queueStore: () => Promise.reject(new Error('connection refused')) });
  await qos.start(ctx);
  const api = await createApiServer({ ...fakeDeps(), routes: [qosRoutes(qosView(qos))] });
  assert.deepEqual(await call(api, 'POST', '/api/v1/qos/services', { name: 'EF', tos: 'x' }), [
    400,
    { error: 'validation', detail: "tos: 'x' is not a number (decimal, 0x-hex or 0b-binary)", field: 'tos' },
  ]);
  assert.deepEqual(await call(api, 'DELETE', '/api/v1/qos/services/7'), [
    404,
    { error: 'not_found', detail: 'sid: no service with sid 7', field: 'sid' },
  ]);
  assert.deepEqual(await call(api, 'POST', '/api/v1/qos/services', { name: 'Best Effort', tos: 0 }), [
    409,
    { error: 'conflict', detail: "name: a service named 'Best Effort' exists", field: 'name' },
  ]);
  const [status, body] = await call(api, 'GET', '/api/v1/qos/queues');
  assert.equal(status, 503);
  assert.deepEqual(body, {
    error: 'ovsdb_unavailable',
    detail: (body as { detail: string }).detail,
    field: 'ovsdb',
  });
  assert.match((body as { detail: string }).detail, /^ovsdb: cannot reach OVSDB at .*connection refused/);
});

test('a store that cannot be reached answers 503 store_unavailable, not a 500 "internal" bug', async () => {
  const real = tempStore('sluice-apierr-');
  const failingPut = async () => {
    throw new StoreError('STORE_UNAVAILABLE', undefined, 'etcd: no endpoint answered');
  };
  const down = new Proxy(real, {
    get: (target, key) => {
      if (key === 'put' || key === 'compareAndSwap') return failingPut;
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const { ctx } = fakeAppContext(down);
  const fw = new FirewallApp();
  await fw.start(ctx);
  const api = await createApiServer({ ...fakeDeps(), routes: [firewallRoutes(firewallView(fw))] });
  assert.deepEqual(await call(api, 'POST', '/api/v1/firewall/rules', { 'src-ip': '10.0.0.1' }), [
    503,
    { error: 'store_unavailable', detail: 'etcd: no endpoint answered' },
  ]);
});
