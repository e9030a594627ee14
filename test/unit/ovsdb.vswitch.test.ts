import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bridgeFromRow,
  decodeRow,
  interfaceFromRow,
  normaliseQosSpec,
  OvsdbArgumentError,
  OvsdbProtocolError,
  qosFromRow,
} from '../../src/ovsdb/index.js';

const U = (n: number) => `00000000-0000-0000-0000-00000000000${n}`;

test('typed rows decode the wire forms of set, optional and map columns', () => {
  const br = bridgeFromRow(
    decodeRow(
      {
        _uuid: ['uuid', U(1)],
        name: 'br0',
        datapath_type: 'netdev',
        datapath_id: ['set', []],
        fail_mode: 'secure',
        protocols: 'OpenFlow13',
        ports: ['uuid', U(2)],
        controller: [
          'set',
          [
            ['uuid', U(3)],
            ['uuid', U(4)],
          ],
        ],
        other_config: ['map', []],
        external_ids: ['map', [['owner', 'sluice']]],
      },
      'Bridge',
    ),
  );
  assert.deepEqual(br, {
    uuid: U(1),
    name: 'br0',
    datapathType: 'netdev',
    datapathId: undefined,
    failMode: 'secure',
    protocols: ['OpenFlow13'],
    ports: [U(2)],
    controller: [U(3), U(4)],
    otherConfig: {},
    externalIds: { owner: 'sluice' },
  });
  const iface = interfaceFromRow(
    decodeRow({ _uuid: ['uuid', U(5)], name: 'p1', type: '', ofport: 3 }, 'Interface'),
  );
  assert.equal(iface.ofport, 3);
  assert.equal(iface.ofportRequest, undefined);
  const qos = qosFromRow(
    decodeRow({ _uuid: ['uuid', U(6)], type: 'linux-htb', queues: ['map', [[0, ['uuid', U(7)]]]] }, 'QoS'),
  );
  assert.deepEqual(qos.queues, new Map([[0, U(7)]]));
  assert.throws(
    () => bridgeFromRow(decodeRow({ _uuid: ['uuid', U(1)], name: 5 }, 'Bridge')),
    OvsdbProtocolError,
  );
  assert.throws(() => bridgeFromRow(decodeRow({ name: 'x' }, 'Bridge')), /_uuid/);
});

test('QoS specs are validated and normalised', () => {
  const n = normaliseQosSpec({ maxRate: 1000, queues: { 0: { minRate: 10 }, 4294967295: { priority: 0 } } });
  assert.equal(n.type, 'linux-htb');
  assert.equal(n.maxRate, 1000);
  assert.deepEqual([...n.queues.keys()], [0, 4294967295]);
  const bad: [unknown, RegExp][] = [
    [{ maxRate: 1.5 }, /qos.maxRate/],
    [{ type: '' }, /qos.type/],
    [{ queues: { x: {} } }, /qos.queues.x/],
    [{ queues: { 4294967296: {} } }, /queue id/],
    [{ queues: { 1: { burst: -1 } } }, /qos.queues.1.burst/],
    [{ queues: { 1: { dscp: 64 } } }, /qos.queues.1.dscp/],
    [{ queues: { 1: null } }, /qos.queues.1: must be an object/],
  ];
  for (const [spec, reason] of bad) {
    assert.throws(
      () => normaliseQosSpec(spec as never),
      (err: unknown) => {
        assert.ok(err instanceof OvsdbArgumentError, JSON.stringify(spec));
        assert.match(err.message, reason);
        return true;
      },
    );
  }
});
