import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { OvsdbClient, OvsdbConnectionError, Vswitch } from '../../src/ovsdb/index.js';
import { startTestOvsdbServer, type TestOvsdbServer } from './helpers/ovsdb-server.js';

describe('OvsdbClient over SSL with ovs-pki certificates', () => {
  let srv: TestOvsdbServer;

  before(async () => {
    srv = await startTestOvsdbServer({ ssl: true });
  });

  after(async () => {
    await srv?.destroy();
  });

  test('transacts over ssl: with a client certificate signed by the CA', async () => {
    const ssl = srv.ssl!;
    const client = new OvsdbClient({ remote: `ssl:127.0.0.1:${ssl.port}`, ssl });
    try {
      await client.connect();
      assert.ok((await client.listDbs()).includes('Open_vSwitch'));
      await new Vswitch(client).addBridge('brs', { datapathType: 'netdev' });
      assert.equal(srv.vsctl('list-br'), 'brs');
    } finally {
      await client.close();
    }
  });

  test('refuses a server whose certificate the CA did not sign', async () => {
    const ssl = srv.ssl!;
    // The client's own certificate stands in for a foreign CA: it did not sign the server's certificate.
    const client = new OvsdbClient({
      remote: `ssl:127.0.0.1:${ssl.port}`,
      ssl: { ...ssl, caCert: ssl.certificate },
      connectTimeoutMs: 3000,
    });
    await assert.rejects(client.connect(), (err: unknown) => {
      assert.ok(err instanceof OvsdbConnectionError);
      assert.match(err.message, /certificate/i);
      return true;
    });
  });

  test('needs the ssl files for an ssl: remote, and reports unreadable ones', async () => {
    assert.throws(() => new OvsdbClient({ remote: 'ssl:127.0.0.1:1' }), /needs options.ssl/);
    const client = new OvsdbClient({
      remote: `ssl:127.0.0.1:${srv.ssl!.port}`,
      ssl: { ...srv.ssl!, privateKey: join(srv.dir, 'missing.pem') },
    });
    await assert.rejects(client.connect(), /ssl setup failed/);
  });
});
