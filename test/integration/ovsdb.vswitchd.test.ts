import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OvsdbClient, OvsdbTimeoutError, Vswitch } from '../../src/ovsdb/index.js';
import { startTestOvsdbServer, type TestOvsdbServer } from './helpers/ovsdb-server.js';

describe('Vswitch with a private ovs-vswitchd (userspace datapath)', () => {
  let srv: TestOvsdbServer;
  let client: OvsdbClient;
  let vs: Vswitch;

  before(async () => {
    srv = await startTestOvsdbServer();
    client = new OvsdbClient({ remote: srv.unixRemote });
    await client.connect();
    vs = new Vswitch(client);
  });

  after(async () => {
    await client?.close();
    await srv?.destroy();
  });

  test('waitApplied times out with no ovs-vswitchd to apply the change', async () => {
    await assert.rejects(vs.waitApplied(300), OvsdbTimeoutError);
  });

  test('bridges and ports we add are realised: ofport assigned, config applied', async () => {
    await srv.startVswitchd();
    await vs.addBridge('brv0', { datapathType: 'netdev', failMode: 'secure', protocols: ['OpenFlow13'] });
    await vs.addPort('brv0', 'pv1', { type: 'internal', ofportRequest: 7 });
    await vs.waitApplied(10_000);
    assert.equal(await vs.waitInterfaceOfport('pv1', 5000), 7);
    assert.equal(srv.vsctl('get', 'interface', 'pv1', 'ofport'), '7');
    assert.equal(await vs.getInterfaceOfport('pv1'), 7);
    // ovs-vswitchd filled in the datapath id of the bridge.
    assert.match((await vs.getBridge('brv0'))?.datapathId ?? '', /^[0-9a-f]{16}$/);
  });

  test('a port ovs-vswitchd cannot open makes waitInterfaceOfport fail with its error', async () => {
    await vs.addPort('brv0', 'nosuchdev0');
    await assert.rejects(vs.waitInterfaceOfport('nosuchdev0', 10_000), /could not add interface nosuchdev0/);
    assert.equal(await vs.delPort('brv0', 'nosuchdev0'), true);
    assert.equal(await vs.delBridge('brv0'), true);
    await vs.waitApplied(10_000);
  });
});
