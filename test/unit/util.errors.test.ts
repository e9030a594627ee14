import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntryError, parseEntry } from '../../src/apps/staticflows/index.js';
import { RuleError, parseRule } from '../../src/apps/firewall/index.js';
import { parseAclRule } from '../../src/apps/acl/index.js';
import { QosError, parsePolicyBody } from '../../src/apps/qos/index.js';
import {
  AppOrderError,
  ControllerError,
  OfErrorReplyError,
  RequestTimeoutError,
  SessionClosedError,
} from '../../src/controller/index.js';
import { OFP_VERSION_1_3, type ErrorMsg } from '../../src/openflow/index.js';
import {
  OvsdbArgumentError,
  OvsdbConflictError,
  OvsdbConnectionError,
  OvsdbError,
  OvsdbFieldError,
  OvsdbNotFoundError,
  OvsdbProtocolError,
  OvsdbRemoteError,
  OvsdbRpcError,
  OvsdbTimeoutError,
  OvsdbTransactionError,
} from '../../src/ovsdb/index.js';
import { StoreError } from '../../src/store/index.js';
import {
  AppError,
  ConflictError,
  FieldError,
  NotFoundError,
  OvsdbUnavailableError,
  SluiceError,
  parseMac,
  throwingAs,
} from '../../src/util/index.js';

const ofError: ErrorMsg = {
  type: 'error',
  version: OFP_VERSION_1_3,
  xid: 9,
  errType: 5,
  code: 0,
  data: Buffer.alloc(0),
};

/** [instance, code, name] for every class of the shared model (src/util, controller, store, apps). */
const SHARED: [SluiceError, string, string][] = [
  [new FieldError('f', 'r'), 'SLU_INVALID', 'FieldError'],
  [new QosError('f', 'r'), 'SLU_QOS_INVALID', 'QosError'],
  [new EntryError('f', 'r'), 'SLU_STATICFLOW_INVALID', 'EntryError'],
  [new RuleError('f', 'r'), 'SLU_RULE_INVALID', 'RuleError'],
  [new NotFoundError('f', 'r'), 'SLU_NOT_FOUND', 'NotFoundError'],
  [new ConflictError('f', 'r'), 'SLU_CONFLICT', 'ConflictError'],
  [new OvsdbUnavailableError('f', 'r'), 'SLU_OVSDB_UNAVAILABLE', 'OvsdbUnavailableError'],
  [new RequestTimeoutError('echo_request', 1, 5), 'CTL_REQUEST_TIMEOUT', 'RequestTimeoutError'],
  [new OfErrorReplyError('flow_mod', ofError), 'CTL_OF_ERROR', 'OfErrorReplyError'],
  [new SessionClosedError('eof'), 'CTL_SESSION_CLOSED', 'SessionClosedError'],
  [new AppOrderError('cycle'), 'CTL_APP_ORDER', 'AppOrderError'],
  [new StoreError('STORE_UNAVAILABLE', undefined, 'etcd down'), 'STORE_UNAVAILABLE', 'StoreError'],
];

test('every shared error class has its code and name, and is a SluiceError and an Error', () => {
  for (const [err, code, name] of SHARED) {
    assert.equal(err.code, code, name);
    assert.equal(err.name, name);
    assert.ok(err instanceof SluiceError && err instanceof Error, name);
    assert.match(String(err), new RegExp(`^${name}: `));
  }
  const ctl = SHARED.filter(([e]) => e instanceof ControllerError).map(([, , n]) => n);
  assert.deepEqual(ctl, ['RequestTimeoutError', 'OfErrorReplyError', 'SessionClosedError', 'AppOrderError']);
});

test('app errors name the field and the reason; only validation errors are FieldErrors', () => {
  for (const [err, , name] of SHARED.filter(([e]) => e instanceof AppError)) {
    const e = err as AppError;
    assert.deepEqual([e.field, e.reason, e.message], ['f', 'r', 'f: r'], name);
    assert.equal(e instanceof FieldError, e.code.endsWith('_INVALID'), name);
  }
});

test('the app subclasses are distinct: a DPID error of the firewall is not a QosError, and so on', () => {
  const dpid = catchOf(() => parseRule({ switchid: 'switch-1' }));
  assert.ok(dpid instanceof RuleError && dpid instanceof FieldError);
  assert.equal(dpid.field, 'switchid');
  assert.ok(!(dpid instanceof QosError) && !(dpid instanceof EntryError));
  const shared = catchOf(() => parseMac('mac', 'nope'));
  assert.ok(shared instanceof FieldError);
  assert.ok(
    !(shared instanceof QosError) && !(shared instanceof EntryError) && !(shared instanceof RuleError),
  );
  assert.ok(!(new NotFoundError('sid', 'none') instanceof QosError));
});

test("an app's input errors are its own class, also where a shared parser found the fault", () => {
  const cases: [() => unknown, new (...a: never[]) => FieldError, string][] = [
    [
      () => parsePolicyBody({ name: 'p', 'rate-kbps': 10, 'eth-dst': 'zz' }, () => undefined),
      QosError,
      'eth-dst',
    ],
    [() => parsePolicyBody({ name: 'p', 'rate-kbps': 'fast' }, () => undefined), QosError, 'rate-kbps'],
    [() => parseRule({ 'src-mac': 'zz' }), RuleError, 'src-mac'],
    [() => parseRule({ 'src-ip': '10.0.0.300' }), RuleError, 'src-ip'],
    [() => parseAclRule({ 'src-ip': '10.0.0.1', 'tp-dst': 'http' }), RuleError, 'tp-dst'],
    [() => parseEntry({ name: 'e', switch: '1', eth_src: 'zz' }), EntryError, 'eth_src'],
    [() => parseEntry({ name: 'e', switch: '1', priority: 'high' }), EntryError, 'priority'],
  ];
  for (const [fn, Kind, field] of cases) {
    const err = catchOf(fn);
    assert.ok(err instanceof Kind, `${field}: expected ${Kind.name}, got ${String(err)}`);
    assert.equal(err.field, field);
  }
});

test('under() prefixes the field and keeps the class; throwingAs leaves other errors alone', () => {
  const nested = new ConflictError('name', 'taken').under('[2].');
  assert.ok(nested instanceof ConflictError);
  assert.deepEqual([nested.field, nested.message], ['[2].name', '[2].name: taken']);
  assert.ok(new EntryError('eth_src', 'bad').under('[0].') instanceof EntryError);

  const asQos = throwingAs(QosError);
  const boom = new TypeError('not a parse error');
  assert.throws(
    asQos(() => {
      throw boom;
    }),
    (e) => e === boom,
  );
  const own = new QosError('x', 'y');
  assert.throws(
    asQos(() => {
      throw own;
    }),
    (e) => e === own,
  );
  assert.equal(asQos((n: number) => n + 1)(1), 2);
});

test('OVSDB errors carry codes of their own, one per class', () => {
  const cases: [OvsdbError, string][] = [
    [new OvsdbError('no row'), 'OVSDB_ERROR'],
    [new OvsdbFieldError('f', 'r'), 'OVSDB_INVALID'],
    [new OvsdbProtocolError('f', 'r'), 'OVSDB_PROTOCOL'],
    [new OvsdbRemoteError('x', 'r'), 'OVSDB_BAD_REMOTE'],
    [new OvsdbRpcError('transact', 'boom'), 'OVSDB_RPC_ERROR'],
    [new OvsdbTransactionError(0, 'insert', 'constraint violation', undefined), 'OVSDB_TRANSACTION_FAILED'],
    [new OvsdbTimeoutError('echo', 5), 'OVSDB_TIMEOUT'],
    [new OvsdbConnectionError('closed'), 'OVSDB_CONNECTION'],
    [new OvsdbNotFoundError('Port', 'p1'), 'OVSDB_NOT_FOUND'],
    [new OvsdbArgumentError('f', 'r'), 'OVSDB_BAD_ARGUMENT'],
    [new OvsdbConflictError('changed'), 'OVSDB_CONFLICT'],
  ];
  for (const [err, code] of cases) {
    assert.equal(err.code, code, err.name);
    assert.ok(err instanceof OvsdbError);
    assert.ok(!(err instanceof SluiceError), 'ovsdb depends on nothing of ours');
  }
  assert.equal(new Set(cases.map(([e]) => e.code)).size, cases.length);
  assert.equal(new Set(cases.map(([e]) => e.name)).size, cases.length);
});

function catchOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a throw');
}
