/**
 * `sluice controller` serving its API over HTTPS with client-certificate auth (certificates made here with the
 * openssl CLI), and the `sluice` CLI talking to it: with --cacert/--cert/--key (or their SLUICE_API_* variables)
 * it works; without a certificate, with a CA that did not sign the API's certificate, or with a certificate the
 * API does not trust, it fails saying which option to fix.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SluiceClient } from '../../src/client/index.js';
import { makeTestPki, type TestPki } from '../support/pki.js';
import {
  RUN_DIR,
  SLUICE_CLI,
  freePorts,
  run,
  spawnManaged,
  waitFor,
  type ManagedProcess,
} from './harness/index.js';

let pki: TestPki;
let dataDir: string;
let ctl: ManagedProcess | undefined;
let api: string;

/** Runs the CLI with only the environment given (no SLUICE_* from the caller's shell). */
function sluice(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [SLUICE_CLI, ...args], {
    env: { PATH: process.env.PATH, ...env },
    timeoutMs: 30_000,
  });
}

before(async () => {
  pki = await makeTestPki();
  // Under RUN_DIR/data with our pid first: the harness cleanup removes it if this process dies.
  fs.mkdirSync(path.join(RUN_DIR, 'data'), { recursive: true });
  dataDir = fs.mkdtempSync(path.join(RUN_DIR, 'data', `${process.pid}-`));
  const [openflowPort, apiPort] = await freePorts(2);
  api = `https://127.0.0.1:${apiPort}`;
  ctl = spawnManaged({
    name: 'sluice-controller-apitls',
    cmd: process.execPath,
    args: [
      SLUICE_CLI,
      'controller',
      '--openflow-port',
      String(openflowPort),
      '--api-port',
      String(apiPort),
      '--data-dir',
      dataDir,
      '--api-tls-cert',
      pki.serverCert,
      '--api-tls-key',
      pki.serverKey,
      '--api-tls-ca',
      pki.caCert,
      '--log-format',
      'json',
    ],
  });
  const client = new SluiceClient({
    baseUrl: api,
    tls: { ca: pki.read(pki.caCert), cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) },
    timeoutMs: 1000,
  });
  const proc = ctl;
  await waitFor(
    async () => {
      if (!proc.running) throw new Error(`the controller exited:\n${proc.logTail()}`);
      return (await client.health().catch(() => undefined)) ?? undefined;
    },
    { what: `GET ${api}/api/v1/health over TLS`, timeoutMs: 30_000, detail: () => proc.logTail() },
  );
  await client.close();
});

after(async () => {
  await ctl?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  pki?.remove();
});

test('with --cacert, --cert and --key the CLI lists the switches; the same from SLUICE_API_* variables', async () => {
  const r = await sluice(['switches', '--json', '--api', api, ...pki.cliFlags()]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), []);

  const fromEnv = await sluice(['switches', '--json'], {
    SLUICE_API: api,
    SLUICE_API_CACERT: pki.caCert,
    SLUICE_API_CERT: pki.clientCert,
    SLUICE_API_KEY: pki.clientKey,
  });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  assert.deepEqual(JSON.parse(fromEnv.stdout), []);
});

test('without a client certificate the CLI says to pass --cert and --key', async () => {
  const r = await sluice(['switches', '--json', '--api', api, '--cacert', pki.caCert]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error: the API at https:\/\/127\.0\.0\.1:\d+ asked for a client certificate/);
  assert.match(r.stderr, /pass --cert and --key/);
});

test('with a CA that did not sign the API certificate the CLI says to pass the right --cacert', async () => {
  const r = await sluice(['switches', '--json', '--api', api, ...pki.cliFlags({ ca: pki.otherCaCert })]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /presented a certificate signed by an unknown CA/);
  assert.match(r.stderr, /pass --cacert .*--api-tls-cert/);
});

test('a client certificate from another CA is refused, and plain http is pointed at https', async () => {
  const stranger = await sluice([
    'switches',
    '--api',
    api,
    ...pki.cliFlags({ cert: pki.strangerCert, key: pki.strangerKey }),
  ]);
  assert.equal(stranger.code, 1);
  assert.match(stranger.stderr, /refused the client certificate.*--api-tls-ca/);

  const plain = await sluice(['switches', '--api', api.replace('https:', 'http:')]);
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /use an https:\/\/ URL in --api/);
  assert.ok(ctl?.running, 'the controller is still running');
});
