import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_MTU,
  checkClashes,
  nextFreeVni,
  parseNetworkRequest,
  pickDefaultSubnet,
  type Network,
} from '../../src/agent/index.js';
import { ConflictError, FieldError } from '../../src/util/index.js';

const net = (over: Partial<Network>): Network => ({
  id: 'x',
  name: 'a',
  subnet: '10.1.0.0/16',
  gateway: '10.1.0.1',
  vni: 1,
  mtu: DEFAULT_MTU,
  labels: {},
  nat: false,
  ...over,
});

function throwsField(
  fn: () => unknown,
  Err: typeof FieldError | typeof ConflictError,
  field: string,
  reason?: RegExp,
) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Err, `expected ${Err.name}, got ${String(err)}`);
    assert.equal(err.field, field);
    if (reason) assert.match(err.reason, reason);
    return true;
  });
}

test('a minimal request gets the first host as gateway, the VXLAN MTU and no VNI yet', () => {
  assert.deepEqual(parseNetworkRequest({ name: 'web', subnet: '10.1.0.0/16' }), {
    name: 'web',
    subnet: '10.1.0.0/16',
    gateway: '10.1.0.1',
    mtu: 1450,
    labels: {},
    nat: false,
  });
  assert.deepEqual(
    parseNetworkRequest({
      name: 'db.1',
      subnet: '192.168.5.0/24',
      gateway: '192.168.5.254',
      vni: '0x10',
      mtu: 1400,
      labels: { team: 'x' },
      nat: true,
    }),
    {
      name: 'db.1',
      subnet: '192.168.5.0/24',
      gateway: '192.168.5.254',
      vni: 16,
      mtu: 1400,
      labels: { team: 'x' },
      nat: true,
    },
  );
});

test('bad create requests are refused naming the field', () => {
  const ok = { name: 'web', subnet: '10.1.0.0/16' };
  const cases: [Record<string, unknown> | unknown, string, RegExp][] = [
    [null, 'body', /JSON object/],
    [[], 'body', /JSON object/],
    [{ ...ok, colour: 'red' }, 'colour', /not a known key/],
    [{ subnet: '10.1.0.0/16' }, 'name', /1\.\.63/],
    [{ ...ok, name: '-web' }, 'name', /starting with/],
    [{ ...ok, name: 'a b' }, 'name', /letters/],
    [{ ...ok, name: 'x'.repeat(64) }, 'name', /1\.\.63/],
    [{ ...ok, name: 7 }, 'name', /1\.\.63/],
    [{ name: 'web' }, 'subnet', /required/],
    [{ ...ok, subnet: 'banana' }, 'subnet', /not a CIDR/],
    [{ ...ok, subnet: '10.1.0.0' }, 'subnet', /not a CIDR/],
    [{ ...ok, subnet: '10.1.0.0/33' }, 'subnet', /0\.\.32/],
    [{ ...ok, subnet: '300.1.0.0/16' }, 'subnet', /not an IPv4/],
    [{ ...ok, subnet: '10.1.0.0/31' }, 'subnet', /8\.\.30/],
    [{ ...ok, subnet: '10.0.0.0/7' }, 'subnet', /8\.\.30/],
    [{ ...ok, subnet: '10.1.2.3/16' }, 'subnet', /host bits set \(did you mean 10\.1\.0\.0\/16\?\)/],
    [{ ...ok, gateway: '10.2.0.1' }, 'gateway', /outside the subnet/],
    [{ ...ok, gateway: '10.1.0.0' }, 'gateway', /network or broadcast/],
    [{ ...ok, gateway: '10.1.255.255' }, 'gateway', /network or broadcast/],
    [{ ...ok, gateway: '10.1.0.01' }, 'gateway', /not an IPv4/],
    [{ ...ok, gateway: 5 }, 'gateway', /string/],
    [{ ...ok, vni: 0 }, 'vni', /1\.\.16777215/],
    [{ ...ok, vni: 16777216 }, 'vni', /1\.\.16777215/],
    [{ ...ok, vni: 1.5 }, 'vni', /out of range/],
    [{ ...ok, vni: 'ten' }, 'vni', /not a number/],
    [{ ...ok, vni: true }, 'vni', /integer/],
    [{ ...ok, mtu: 575 }, 'mtu', /576\.\.9000/],
    [{ ...ok, mtu: 9001 }, 'mtu', /576\.\.9000/],
    [{ ...ok, labels: 'x' }, 'labels', /object/],
    [{ ...ok, labels: { 'a b': 'x' } }, 'labels.a b', /label keys/],
    [{ ...ok, labels: { a: 1 } }, 'labels.a', /string/],
    [{ ...ok, nat: 'yes' }, 'nat', /true or false, got "yes"/],
    [{ ...ok, nat: 1 }, 'nat', /true or false/],
    [{ ...ok, nat: null }, 'nat', /true or false, got null/],
  ];
  for (const [body, field, reason] of cases)
    throwsField(() => parseNetworkRequest(body), FieldError, field, reason);
});

test('clashes with existing networks are refused naming the field', () => {
  const existing = [net({ name: 'a', subnet: '10.1.0.0/16', vni: 5 })];
  const spec = (over: object) => parseNetworkRequest({ name: 'b', subnet: '10.2.0.0/16', ...over });
  checkClashes(spec({}), existing); // no clash
  throwsField(() => checkClashes(spec({ name: 'a' }), existing), ConflictError, 'name', /named a exists/);
  throwsField(() => checkClashes(spec({ vni: 5 }), existing), ConflictError, 'vni', /used by network a/);
  throwsField(
    () => checkClashes(spec({ subnet: '10.1.4.0/24' }), existing),
    ConflictError,
    'subnet',
    /overlaps 10\.1\.0\.0\/16/,
  );
  throwsField(
    () => checkClashes(spec({ subnet: '10.0.0.0/8' }), existing),
    ConflictError,
    'subnet',
    /overlaps/,
  );
});

test('VNI auto-assignment takes the lowest free one', () => {
  assert.equal(nextFreeVni([]), 1);
  assert.equal(nextFreeVni([net({ vni: 1 }), net({ vni: 2 }), net({ vni: 4 })]), 3);
});

test("default subnet: Socketplane's 10.1.0.0/16 unless a host route overlaps it", () => {
  assert.equal(pickDefaultSubnet([]), '10.1.0.0/16');
  assert.equal(pickDefaultSubnet(['default', '0.0.0.0/0', '192.168.1.0/24']), '10.1.0.0/16');
  assert.equal(pickDefaultSubnet(['10.1.3.0/24', '10.2.0.0/15']), '10.4.0.0/16');
  assert.equal(pickDefaultSubnet(['172.17.0.0/16'], ['10.1.0.0/16']), '10.2.0.0/16');
  assert.equal(pickDefaultSubnet(['10.0.0.0/8']), '172.16.0.0/16');
  throwsField(
    () => pickDefaultSubnet(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']),
    ConflictError,
    'subnet',
    /every default subnet/,
  );
  throwsField(() => pickDefaultSubnet(['10.1.0.0/16', 'nope']), FieldError, 'routes[1]');
});
