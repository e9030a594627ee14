import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  NamedUuid,
  op,
  OvsdbClient,
  OvsdbConnectionError,
  OvsdbRpcError,
  OvsdbTransactionError,
  optionalOf,
  stringMapOf,
  type TableUpdates,
  Uuid,
  where,
} from '../../src/ovsdb/index.js';
import { waitFor as harnessWaitFor } from './harness/index.js';
import { startTestOvsdbServer, type TestOvsdbServer } from './helpers/ovsdb-server.js';

const waitFor = (cond: () => boolean, timeoutMs: number, what: string) =>
  harnessWaitFor(cond, { timeoutMs, what, intervalMs: 20 });

const DB = 'Open_vSwitch';

describe('OvsdbClient against a real ovsdb-server', () => {
  let srv: TestOvsdbServer;
  let client: OvsdbClient;

  before(async () => {
    srv = await startTestOvsdbServer();
    client = new OvsdbClient({ remote: srv.unixRemote, requestTimeoutMs: 3000 });
    await client.connect();
  });

  after(async () => {
    await client?.close();
    await srv?.destroy();
  });

  test('list_dbs, get_schema and echo', async () => {
    const dbs = await client.listDbs();
    assert.ok(dbs.includes(DB), dbs.join(','));
    const schema = await client.getSchema(DB);
    const file = JSON.parse(readFileSync('/usr/share/openvswitch/vswitch.ovsschema', 'utf8'));
    assert.equal(schema.version, file.version);
    assert.ok(schema.tables.Bridge.columns.ports);
    await client.echo();
    await assert.rejects(client.getSchema('NoSuchDb'), OvsdbRpcError);
  });

  test('insert with uuid-name, select, update, mutate, wait, comment, delete; ovs-vsctl agrees', async () => {
    const [ins, qosIns, sel] = await client.transact(DB, [
      op.insert('Queue', { other_config: { 'max-rate': '1000' }, dscp: 5 }, 'q'),
      op.insert('QoS', { type: 'linux-htb', queues: new Map([[7, new NamedUuid('q')]]) }, 'qos'),
      op.select('QoS', [where.named('qos')], ['type', 'queues']),
      op.comment('integration test insert'),
    ]);
    assert.ok(ins.uuid && qosIns.uuid);
    assert.deepEqual(sel.rows, [{ type: 'linux-htb', queues: new Map([[7, new Uuid(ins.uuid)]]) }]);

    const [upd, mut] = await client.transact(DB, [
      op.update('Queue', [where.uuid(ins.uuid)], { dscp: 9 }),
      op.mutate('Queue', [where.uuid(ins.uuid)], [['other_config', 'insert', { 'min-rate': '10' }]]),
      op.wait('Queue', [where.uuid(ins.uuid)], ['dscp'], [{ dscp: 9 }]),
    ]);
    assert.equal(upd.count, 1);
    assert.equal(mut.count, 1);

    const [queue] = srv.list('queue', ins.uuid);
    assert.equal(queue.dscp, 9);
    assert.deepEqual(queue.other_config, [
      'map',
      [
        ['max-rate', '1000'],
        ['min-rate', '10'],
      ],
    ]);
    const [qos] = srv.list('qos', qosIns.uuid);
    assert.deepEqual(qos.queues, ['map', [[7, ['uuid', ins.uuid]]]]);

    const [del, delQ] = await client.transact(DB, [
      op.delete('QoS', [where.uuid(qosIns.uuid)]),
      op.delete('Queue', [where.uuid(ins.uuid)]),
    ]);
    assert.equal(del.count, 1);
    assert.equal(delQ.count, 1);
    assert.deepEqual(srv.list('queue'), []);
    assert.deepEqual(srv.list('qos'), []);
  });

  test('failed operations surface as OvsdbTransactionError naming the op', async () => {
    await assert.rejects(
      client.transact(DB, [op.comment('x'), op.wait('Bridge', [], ['name'], [{ name: 'nope' }])]),
      (err: unknown) =>
        err instanceof OvsdbTransactionError &&
        err.opIndex === 1 &&
        err.op === 'wait' &&
        err.error === 'timed out',
    );
    await assert.rejects(
      client.transact(DB, [op.insert('Queue', {}), op.abort()]),
      (err: unknown) => err instanceof OvsdbTransactionError && err.opIndex === 1 && err.error === 'aborted',
    );
    await assert.rejects(
      client.transact(DB, [op.assert('sluice_lock_we_do_not_hold')]),
      (err: unknown) =>
        err instanceof OvsdbTransactionError && err.op === 'assert' && err.error === 'not owner',
    );
    // Deleting a row that a root row still references fails at commit: the error names index ops.length.
    srv.vsctl('add-br', 'brx');
    const [br] = srv.list('bridge', 'brx');
    const uuid = (br._uuid as [string, string])[1];
    await assert.rejects(client.transact(DB, [op.delete('Bridge', [where.uuid(uuid)])]), (err: unknown) => {
      assert.ok(err instanceof OvsdbTransactionError);
      assert.equal(err.opIndex, 1);
      assert.equal(err.op, 'commit');
      assert.equal(err.error, 'referential integrity violation');
      assert.match(err.details ?? '', /Bridge/);
      return true;
    });
    // Nothing was applied.
    assert.equal(srv.vsctl('list-br'), 'brx');
    srv.vsctl('del-br', 'brx');
  });

  test('monitor: initial rows, then updates for changes made by ovs-vsctl, then cancel', async () => {
    srv.vsctl('add-br', 'brm0');
    const seen: TableUpdates[] = [];
    const mon = await client.monitor(DB, { Bridge: { columns: ['name', 'external_ids'] } }, (u) =>
      seen.push(u),
    );
    const names = () => [...(mon.tables.get('Bridge')?.values() ?? [])].map((r) => r.name).sort();
    assert.deepEqual(names(), ['brm0']);
    assert.equal(seen.length, 1, 'the initial snapshot is delivered');

    srv.vsctl('add-br', 'brm1');
    await waitFor(() => names().length === 2, 3000, 'insert update');
    const inserted = Object.values(seen[1].Bridge)[0];
    assert.equal(inserted.new?.name, 'brm1');
    assert.equal(inserted.old, undefined);

    srv.vsctl('br-set-external-id', 'brm1', 'owner', 'sluice');
    await waitFor(() => seen.length === 3, 3000, 'modify update');
    const modified = Object.values(seen[2].Bridge)[0];
    assert.deepEqual(stringMapOf(modified.new?.external_ids), { owner: 'sluice' });
    assert.deepEqual(stringMapOf(modified.old?.external_ids), {});

    srv.vsctl('del-br', 'brm0');
    await waitFor(() => names().length === 1, 3000, 'delete update');
    assert.equal(Object.values(seen[3].Bridge)[0].old?.name, 'brm0');

    await mon.cancel();
    srv.vsctl('del-br', 'brm1');
    // The echo's reply comes after any update the server would still have sent.
    await client.echo();
    assert.equal(seen.length, 4);
    assert.equal(optionalOf(mon.tables.get('Bridge')?.values().next().value?.name), 'brm1');
  });

  test('tcp remote', async () => {
    const tcp = new OvsdbClient({ remote: srv.tcpRemote });
    try {
      await tcp.connect();
      assert.ok((await tcp.listDbs()).includes(DB));
    } finally {
      await tcp.close();
    }
  });

  test('connect to a dead remote fails clearly', async () => {
    const dead = new OvsdbClient({ remote: `unix:${join(srv.dir, 'missing.sock')}` });
    await assert.rejects(dead.connect(), OvsdbConnectionError);
    await assert.rejects(dead.listDbs(), /client closed/);
  });

  test('reconnect after a server restart re-issues monitors and reports what changed meanwhile', async () => {
    const c = new OvsdbClient({ remote: srv.unixRemote, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
    await c.connect();
    try {
      srv.vsctl('add-br', 'brr0');
      const seen: TableUpdates[] = [];
      const mon = await c.monitor(DB, { Bridge: { columns: ['name'] } }, (u) => seen.push(u));
      const uuid0 = [...mon.tables.get('Bridge')!.keys()][0];
      let disconnects = 0;
      c.on('disconnected', () => disconnects++);

      await srv.stop();
      await waitFor(() => !c.connected, 3000, 'the client to notice');
      // Change the database while the server is down, the way an operator could.
      execFileSync('ovsdb-tool', [
        'transact',
        join(srv.dir, 'conf.db'),
        JSON.stringify([
          DB,
          {
            op: 'update',
            table: 'Bridge',
            where: [['name', '==', 'brr0']],
            row: { external_ids: ['map', [['k', 'v']]] },
          },
          { op: 'insert', table: 'Bridge', row: { name: 'brr1' }, 'uuid-name': 'b' },
          {
            op: 'mutate',
            table: 'Open_vSwitch',
            where: [],
            mutations: [['bridges', 'insert', ['named-uuid', 'b']]],
          },
        ]),
      ]);
      // A request made while down waits for the reconnect.
      const pending = c.listDbs();
      await srv.start();
      assert.ok((await pending).includes(DB));
      await waitFor(() => mon.tables.get('Bridge')?.size === 2, 3000, 'the monitor to resync');
      assert.equal(disconnects, 1);
      const resync = seen[seen.length - 1].Bridge;
      // Only brr1 is new: brr0's monitored column (name) did not change, so it is not reported.
      assert.deepEqual(
        Object.values(resync).map((u) => [u.old, u.new?.name]),
        [[undefined, 'brr1']],
      );
      assert.ok(mon.tables.get('Bridge')!.has(uuid0));

      // And the re-issued monitor keeps delivering.
      srv.vsctl('del-br', 'brr1');
      await waitFor(() => mon.tables.get('Bridge')?.size === 1, 3000, 'a post-reconnect update');
      srv.vsctl('del-br', 'brr0');
    } finally {
      await c.close();
    }
    // The shared client reconnected too.
    await client.waitConnected(3000);
    await client.echo();
  });
});
