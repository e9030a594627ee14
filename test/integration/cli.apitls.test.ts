/**
 * `sluice controller` serving its API over HTTPS with client-certificate auth (certificates made here with the
 * openssl CLI), and the `sluice` CLI talking to it: with --cacert/--cert/--key (or their SLUICE_API_* variables)
 * it works; without a certificate, with a CA that did not sign the API's certificate, or with a certificate the
 * API does not trust, it fails saying which option to fix.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestPki, type TestPki } from '../support/pki.js';
import {
  SLUICE_CLI,
  apiTlsFromPki,
  run,
  sluiceCliJson,
  sluiceCommand,
  startController,
  type RunningController,
} from './harness/index.js';

let pki: TestPki;
let ctl: RunningController | undefined;
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
  // Ready means GET /wm/core/health/json answered 200 over TLS with the PKI's client certificate.
  ctl = await startController({
    command: sluiceCommand(['--log-format', 'json']),
    apiTls: apiTlsFromPki(pki),
  });
  const url = ctl.apiUrl;
  if (!url?.startsWith('https://127.0.0.1:')) assert.fail(`an https API URL, not ${url}`);
  api = url;
});

after(async () => {
  await ctl?.stop();
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

  // The harness's sluiceCli sets the same variables from the controller's apiTls.
  assert.ok(ctl);
  assert.deepEqual(await sluiceCliJson(ctl, ['switches']), []);
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
  assert.ok(ctl?.proc.running, 'the controller is still running');
});

test('the harness refuses API TLS that asks for a client certificate it would not present', async () => {
  const noClientCert = { ...apiTlsFromPki(pki), clientCert: undefined, clientKey: undefined };
  await assert.rejects(
    startController({ apiTls: noClientCert }),
    /^Error: apiTls\.clientCert and apiTls\.clientKey: required with apiTls\.clientCa/,
  );
});
