import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  op,
  OvsdbArgumentError,
  OvsdbClient,
  OvsdbNotFoundError,
  Vswitch,
  where,
} from '../../src/ovsdb/index.js';
import { startTestOvsdbServer, type TestOvsdbServer } from './helpers/ovsdb-server.js';

describe('Vswitch verbs, checked with ovs-vsctl', () => {
  let srv: TestOvsdbServer;
  let client: OvsdbClient;
  let vs: Vswitch;

  before(async () => {
    srv = await startTestOvsdbServer();
    client = new OvsdbClient({ remote: srv.unixRemote, requestTimeoutMs: 3000 });
    await client.connect();
    vs = new Vswitch(client);
  });

  after(async () => {
    await client?.close();
    await srv?.destroy();
  });

  test('addBridge creates a bridge ovs-vsctl sees, and is idempotent', async () => {
    const created = await vs.addBridge('br0', {
      datapathType: 'netdev',
      failMode: 'secure',
      protocols: ['OpenFlow10', 'OpenFlow13'],
      controller: ['tcp:127.0.0.1:6653'],
    });
    assert.equal(created, true);
    assert.equal(srv.vsctl('list-br'), 'br0');
    assert.equal(srv.vsctl('get', 'bridge', 'br0', 'datapath_type'), 'netdev');
    assert.equal(srv.vsctl('get-fail-mode', 'br0'), 'secure');
    assert.equal(srv.vsctl('get', 'bridge', 'br0', 'protocols'), '[OpenFlow10, OpenFlow13]');
    assert.equal(srv.vsctl('get-controller', 'br0'), 'tcp:127.0.0.1:6653');
    assert.equal(srv.vsctl('get', 'interface', 'br0', 'type'), 'internal');
    assert.equal(srv.vsctl('list-ports', 'br0'), '');
    assert.equal(srv.vsctl('--bare', '--columns=name', 'list', 'port'), 'br0');

    const uuid = srv.vsctl('get', 'bridge', 'br0', '_uuid');
    assert.equal(
      await vs.addBridge('br0', { datapathType: 'netdev', controller: ['tcp:127.0.0.1:6653'] }),
      false,
    );
    assert.equal(srv.vsctl('get', 'bridge', 'br0', '_uuid'), uuid);
    assert.equal(srv.list('controller').length, 1);

    // Converges what differs, keeps the bridge.
    await vs.addBridge('br0', {
      failMode: 'standalone',
      controller: ['tcp:127.0.0.1:6654', 'tcp:127.0.0.1:6655'],
    });
    assert.equal(srv.vsctl('get', 'bridge', 'br0', '_uuid'), uuid);
    assert.equal(srv.vsctl('get-fail-mode', 'br0'), 'standalone');
    assert.deepEqual(srv.vsctl('get-controller', 'br0').split('\n').sort(), [
      'tcp:127.0.0.1:6654',
      'tcp:127.0.0.1:6655',
    ]);
    assert.equal(srv.list('controller').length, 2, 'old Controller rows are garbage-collected');
    assert.deepEqual(await vs.listBridges(), ['br0']);
    const br = await vs.getBridge('br0');
    assert.equal(br?.datapathType, 'netdev');
    assert.deepEqual(br?.protocols.sort(), ['OpenFlow10', 'OpenFlow13']);
  });

  test('setController / getController', async () => {
    assert.equal(await vs.setController('br0', ['tcp:127.0.0.1:6653']), true);
    assert.equal(srv.vsctl('get-controller', 'br0'), 'tcp:127.0.0.1:6653');
    assert.deepEqual(await vs.getController('br0'), ['tcp:127.0.0.1:6653']);
    assert.equal(await vs.setController('br0', ['tcp:127.0.0.1:6653']), false);
    srv.vsctl('set-controller', 'br0', 'tcp:127.0.0.1:7000');
    assert.deepEqual(await vs.getController('br0'), ['tcp:127.0.0.1:7000']);
    assert.equal(await vs.setController('br0', []), true);
    assert.equal(srv.vsctl('get-controller', 'br0'), '');
    await assert.rejects(vs.setController('br0', ['6653']), OvsdbArgumentError);
    await assert.rejects(vs.setController('nobr', []), OvsdbNotFoundError);
  });

  test('addPort / listPorts / delPort match ovs-vsctl', async () => {
    assert.equal(await vs.addPort('br0', 'p1', { type: 'internal', tag: 10, ofportRequest: 5 }), true);
    assert.equal(srv.vsctl('list-ports', 'br0'), 'p1');
    assert.equal(srv.vsctl('get', 'port', 'p1', 'tag'), '10');
    assert.equal(srv.vsctl('get', 'interface', 'p1', 'type'), 'internal');
    assert.equal(srv.vsctl('get', 'interface', 'p1', 'ofport_request'), '5');
    assert.equal(srv.vsctl('port-to-br', 'p1'), 'br0');

    assert.equal(await vs.addPort('br0', 'p1', { type: 'internal', tag: 10 }), false);
    await vs.addPort('br0', 'p1', { tag: 20, externalIds: { container_id: 'c1' } });
    assert.equal(srv.vsctl('get', 'port', 'p1', 'tag'), '20');
    assert.equal(srv.vsctl('get', 'interface', 'p1', 'external_ids:container_id'), 'c1');
    await vs.addPort('br0', 'p1', { tag: null });
    assert.equal(srv.vsctl('get', 'port', 'p1', 'tag'), '[]');

    srv.vsctl('add-port', 'br0', 'p2', '--', 'set', 'interface', 'p2', 'type=internal');
    await vs.addPort('br0', 'p3', { type: 'patch', options: { peer: 'p4' } });
    assert.equal(srv.vsctl('get', 'interface', 'p3', 'options:peer'), 'p4');
    assert.deepEqual(await vs.listPorts('br0'), ['p1', 'p2', 'p3']);
    assert.equal(srv.vsctl('list-ports', 'br0'), 'p1\np2\np3');

    await vs.addBridge('br1', { datapathType: 'netdev' });
    await assert.rejects(vs.addPort('br1', 'p1'), /already exists on bridge br0/);
    await assert.rejects(vs.addPort('nobr', 'px'), OvsdbNotFoundError);
    await assert.rejects(vs.addPort('br0', 'bad name'), OvsdbArgumentError);
    await assert.rejects(vs.addPort('br0', 'px', { tag: 4096 }), /tag/);

    await assert.rejects(vs.delPort('br1', 'p2'), OvsdbNotFoundError);
    assert.equal(await vs.delPort('br0', 'p2'), true);
    assert.equal(await vs.delPort(undefined, 'p3'), true);
    assert.equal(await vs.delPort('br0', 'p3'), false);
    assert.equal(srv.vsctl('list-ports', 'br0'), 'p1');
    assert.equal(srv.list('interface').length, 3, 'br0, br1 and p1 interfaces remain');
  });

  test('concurrent addPort calls on one bridge all land', async () => {
    const names = ['c1', 'c2', 'c3', 'c4', 'c5'];
    await Promise.all(names.map((n) => vs.addPort('br1', n)));
    assert.equal(srv.vsctl('list-ports', 'br1'), names.join('\n'));
    await Promise.all(names.map((n) => vs.delPort('br1', n)));
    assert.equal(srv.vsctl('list-ports', 'br1'), '');
  });

  test('getInterfaceOfport reads what ovs-vswitchd would write', async () => {
    assert.equal(await vs.getInterfaceOfport('p1'), undefined);
    // No ovs-vswitchd here: write the column the way it would.
    await client.transact('Open_vSwitch', [op.update('Interface', [where.eq('name', 'p1')], { ofport: 5 })]);
    assert.equal(await vs.getInterfaceOfport('p1'), 5);
    await assert.rejects(vs.getInterfaceOfport('nope'), OvsdbNotFoundError);
  });

  test('setPortQos creates QoS+Queue rows in one go, replaces and garbage-collects them', async () => {
    const spec = {
      type: 'linux-htb',
      maxRate: 10_000_000,
      queues: {
        0: { minRate: 1_000_000, maxRate: 5_000_000 },
        1: { maxRate: 2_000_000, burst: 8000, priority: 1 },
      },
    };
    assert.equal(await vs.setPortQos('p1', spec), true);
    const [qos] = srv.list('qos');
    assert.equal(qos.type, 'linux-htb');
    assert.deepEqual(qos.other_config, ['map', [['max-rate', '10000000']]]);
    assert.equal(srv.vsctl('get', 'port', 'p1', 'qos'), (qos._uuid as string[])[1]);
    const queues = srv.list('queue');
    assert.equal(queues.length, 2);
    const q1uuid = srv.vsctl('get', 'qos', (qos._uuid as string[])[1], 'queues:1');
    assert.deepEqual(srv.list('queue', q1uuid)[0].other_config, [
      'map',
      [
        ['burst', '8000'],
        ['max-rate', '2000000'],
        ['priority', '1'],
      ],
    ]);

    const got = await vs.getPortQos('p1');
    assert.equal(got?.type, 'linux-htb');
    assert.equal(got?.maxRate, 10_000_000);
    assert.deepEqual(got?.queues[0], { uuid: got?.queues[0].uuid, minRate: 1_000_000, maxRate: 5_000_000 });
    assert.deepEqual(got?.queues[1], { uuid: q1uuid, maxRate: 2_000_000, burst: 8000, priority: 1 });

    assert.equal(await vs.setPortQos('p1', spec), false, 'same spec: nothing to do');
    assert.equal(srv.list('qos').length, 1);

    await vs.setPortQos('p1', { maxRate: 20_000_000, queues: { 2: { maxRate: 1_000 } } });
    assert.equal(srv.list('qos').length, 1, 'old QoS deleted');
    assert.equal(srv.list('queue').length, 1, 'old queues deleted');
    assert.equal(
      srv.vsctl('get', 'qos', srv.vsctl('get', 'port', 'p1', 'qos'), 'other_config:max-rate'),
      '"20000000"',
    );

    // A QoS another port also uses survives the change.
    srv.vsctl('add-port', 'br0', 'p9');
    srv.vsctl('set', 'port', 'p9', `qos=${srv.vsctl('get', 'port', 'p1', 'qos')}`);
    await vs.setPortQos('p1', { maxRate: 1_000 });
    assert.equal(srv.list('qos').length, 2);
    assert.equal(srv.list('queue').length, 1);

    assert.equal(await vs.clearPortQos('p1'), true);
    assert.equal(await vs.clearPortQos('p1'), false);
    assert.equal(srv.vsctl('get', 'port', 'p1', 'qos'), '[]');
    assert.equal(await vs.getPortQos('p1'), undefined);
    assert.equal(srv.list('qos').length, 1, "p9's QoS stays");

    // Deleting the last user of a QoS deletes it and its queues.
    assert.equal(await vs.delPort('br0', 'p9'), true);
    assert.deepEqual(srv.list('qos'), []);
    assert.deepEqual(srv.list('queue'), []);

    await assert.rejects(vs.setPortQos('p1', { maxRate: -1 }), /qos.maxRate/);
    await assert.rejects(vs.setPortQos('p1', { queues: { [-1]: {} } }), /queue id/);
    await assert.rejects(vs.setPortQos('nope', {}), OvsdbNotFoundError);
  });

  test('delBridge removes the bridge, its ports and their QoS', async () => {
    await vs.setPortQos('p1', { maxRate: 5_000, queues: { 0: { maxRate: 1_000 } } });
    assert.equal(await vs.delBridge('br0'), true);
    assert.equal(await vs.delBridge('br0'), false);
    assert.equal(srv.vsctl('list-br'), 'br1');
    assert.deepEqual(
      srv.list('port').map((p) => p.name),
      ['br1'],
    );
    assert.deepEqual(srv.list('qos'), []);
    assert.deepEqual(srv.list('queue'), []);
    // A bridge we made is an ordinary bridge to ovs-vsctl.
    srv.vsctl('del-br', 'br1');
    assert.deepEqual(await vs.listBridges(), []);
    await assert.rejects(vs.listPorts('br1'), OvsdbNotFoundError);
  });
});
