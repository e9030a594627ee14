/**
 * OpenFlow over TLS with certificates made by ovs-pki: OVS authenticates with its switch certificate
 * (`ovs-vsctl set-ssl`), the controller checks it against the switch CA; a client without a certificate is
 * refused.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Controller, type Logger } from '../../src/controller/index.js';
import type { Store } from '../../src/store/index.js';
import { addTestBridge, deleteBridge, ensureOvs, freePort, runOk, vsctl, waitFor } from './harness/index.js';

const BRIDGE = 'sitctltls';
const DPID = 0x7115n;
const warnings: string[] = [];
const log: Logger = {
  debug: () => {},
  info: () => {},
  warn: (o, m) =>
    warnings.push(`${m} ${JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`),
  error: (o, m) => warnings.push(`${m} ${JSON.stringify(o)}`),
};

let dir: string;
let controller: Controller | undefined;
let sslWasSet = false;

before(async () => {
  await ensureOvs();
  // ovs-pki puts the file prefix into the certificate's CN (at most 64 characters): keep the path short.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pk'));
  const pki = [`--dir=${path.join(dir, 'pki')}`, `--log=${path.join(dir, 'pki.log')}`];
  await runOk('ovs-pki', [...pki, 'init', '--force'], { timeoutMs: 60_000 });
  await runOk('ovs-pki', [...pki, 'req+sign', path.join(dir, 'ctl'), 'controller'], { timeoutMs: 60_000 });
  await runOk('ovs-pki', [...pki, 'req+sign', path.join(dir, 'sw'), 'switch'], { timeoutMs: 60_000 });
  sslWasSet = (await vsctl('get-ssl')).trim() !== '';
});

after(async () => {
  await controller?.stop();
  await deleteBridge(BRIDGE);
  // The SSL settings are global to this OVS: remove ours unless somebody had set their own before.
  if (!sslWasSet) await vsctl('del-ssl');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('OVS connects over TLS with its ovs-pki client certificate; a client without one is refused', async () => {
  assert.equal(sslWasSet, false, 'OVS already has SSL settings; this test would overwrite them');
  const port = await freePort();
  controller = new Controller({
    listen: [{ host: '127.0.0.1', port }],
    log,
    store: {} as Store,
    tls: {
      keyFile: path.join(dir, 'ctl-privkey.pem'),
      certFile: path.join(dir, 'ctl-cert.pem'),
      caFile: path.join(dir, 'pki', 'switchca', 'cacert.pem'),
    },
  });
  await controller.start();
  await vsctl(
    'set-ssl',
    path.join(dir, 'sw-privkey.pem'),
    path.join(dir, 'sw-cert.pem'),
    path.join(dir, 'pki', 'controllerca', 'cacert.pem'),
  );
  await addTestBridge(BRIDGE, {
    protocols: 'OpenFlow13',
    controllers: [`ssl:127.0.0.1:${port}`],
    failMode: 'secure',
    dpid: DPID.toString(16).padStart(16, '0'),
  });
  const c = controller;
  const sw = await waitFor(() => c.switches.get(DPID), {
    what: 'OVS to connect over TLS',
    timeoutMs: 30_000,
    detail: () => warnings.join('\n'),
  });
  assert.equal(sw.version, 4);
  await sw.barrier();

  // No client certificate: the TLS handshake fails and no session starts.
  const accepted = c.metrics.connectionsAccepted;
  const outcome = await new Promise<string>((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      s.write(Buffer.from('0400000800000001', 'hex'));
    });
    s.on('error', (err) => resolve(`error: ${err.message}`));
    s.on('close', () => resolve('closed'));
    s.on('data', () => resolve('got data'));
  });
  assert.notEqual(outcome, 'got data');
  assert.equal(c.metrics.connectionsAccepted, accepted);
  assert.ok(c.switches.has(DPID));
});

test('a missing TLS file is reported with the option named', async () => {
  const c = new Controller({
    listen: [{ host: '127.0.0.1', port: 0 }],
    log,
    store: {} as Store,
    tls: { keyFile: path.join(dir, 'nope.pem'), certFile: 'x', caFile: 'y' },
  });
  await assert.rejects(c.start(), /tls\.keyFile: cannot read/);
});
