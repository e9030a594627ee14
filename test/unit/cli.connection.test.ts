import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../src/api/index.js';
import { ConnectionError, type TlsProblem } from '../../src/client/node.js';
import { clientOptionsFrom, tlsAdvice } from '../../src/cli/connection.js';
import { runCli } from '../../src/cli/run.js';
import { recordingIo } from './cli.io.js';
import { makeTestPki, type TestPki } from '../support/pki.js';
import { fakeDeps } from './api.fakes.js';

let pki: TestPki;
let app: FastifyInstance;
let api: string;

before(async () => {
  pki = await makeTestPki();
  app = await createApiServer({
    ...fakeDeps(),
    https: {
      cert: pki.read(pki.serverCert),
      key: pki.read(pki.serverKey),
      ca: pki.read(pki.caCert),
      requestCert: true,
      rejectUnauthorized: true,
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  api = `https://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

after(async () => {
  await app?.close();
  pki?.remove();
});

async function sluice(args: string[], env: Record<string, string> = {}) {
  const io = recordingIo(env);
  const code = await runCli(args, io.cli);
  return { code, stdout: io.out(), stderr: io.err() };
}

const trusted = () => pki.cliFlags();

test('--cacert, --cert and --key reach an API that requires client certificates', async () => {
  const r = await sluice(['switches', '--json', '--api', api, ...trusted()]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    JSON.parse(r.stdout).map((s: { dpid: string }) => s.dpid),
    ['00:00:00:00:00:00:00:01', '00:00:00:00:00:00:00:02'],
  );
  // The same from the environment, for the verbs of other groups too.
  const env = {
    SLUICE_API: api,
    SLUICE_API_CACERT: pki.caCert,
    SLUICE_API_CERT: pki.clientCert,
    SLUICE_API_KEY: pki.clientKey,
  };
  const fromEnv = await sluice(['links', '--json'], env);
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  assert.ok(Array.isArray(JSON.parse(fromEnv.stdout)));
  // A flag wins over its variable.
  const flagWins = await sluice(['switches', '--json', '--cacert', pki.caCert], {
    ...env,
    SLUICE_API_CACERT: pki.otherCaCert,
  });
  assert.equal(flagWins.code, 0, flagWins.stderr);
});

test('TLS failures say what to pass (exit 1)', async () => {
  const noCert = await sluice(['switches', '--api', api, '--cacert', pki.caCert]);
  assert.equal(noCert.code, 1);
  assert.match(noCert.stderr, /asked for a client certificate.*: pass --cert and --key/);

  const wrongCa = await sluice(['switches', '--api', api, ...trusted(), '--cacert', pki.otherCaCert]);
  assert.equal(wrongCa.code, 1);
  assert.match(wrongCa.stderr, /certificate signed by an unknown CA.*: pass --cacert/);

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
  assert.match(plain.stderr, /closed the connection without answering.*use an https:\/\/ URL/);
});

test('bad PEM files and options that do not go together are usage errors naming the flag (exit 2)', async () => {
  const missing = await sluice(['switches', '--api', api, '--cacert', path.join(pki.dir, 'nope.pem')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /option '--cacert <file>' argument .*nope\.pem does not exist/);

  const keyAsCert = await sluice(['switches', '--api', api, '--cert', pki.clientKey, '--key', pki.clientKey]);
  assert.equal(keyAsCert.code, 2);
  assert.match(keyAsCert.stderr, /option '--cert <file>'.*holds PRIVATE KEY, not a PEM certificate/);

  const certAsKey = await sluice(['flows', '0x1', '--api', api, '--key', pki.caCert]);
  assert.equal(certAsKey.code, 2);
  assert.match(certAsKey.stderr, /option '--key <file>'.*not a PEM private key/);

  const noKey = await sluice(['switches', '--api', api, '--cacert', pki.caCert, '--cert', pki.clientCert]);
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /error: --key: missing: --cert is set/);

  const mismatched = await sluice(['switches', '--api', api, ...trusted(), '--key', pki.strangerKey]);
  assert.equal(mismatched.code, 2);
  assert.match(mismatched.stderr, /--key: does not belong to the certificate in --cert/);

  const overHttp = await sluice(['switches', '--api', 'http://127.0.0.1:8080', '--cacert', pki.caCert]);
  assert.equal(overHttp.code, 2);
  assert.match(overHttp.stderr, /--api: --cacert needs an https:\/\/ URL/);

  const badEnv = await sluice(['switches', '--api', api], {
    SLUICE_API_CERT: path.join(pki.dir, 'gone.pem'),
  });
  assert.equal(badEnv.code, 2);
  assert.match(badEnv.stderr, /SLUICE_API_CERT: .*gone\.pem does not exist/);

  const envKeyOnly = await sluice(['switches', '--api', api, '--cacert', pki.caCert], {
    SLUICE_API_KEY: pki.clientKey,
  });
  assert.equal(envKeyOnly.code, 2);
  assert.match(envKeyOnly.stderr, /--cert: missing: SLUICE_API_KEY is set/);

  const help = await sluice(['qos', 'status', '--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--cacert <file>', '--cert <file>', '--key <file>', '--token <token>']) {
    assert.ok(help.stdout.includes(flag), `${flag} in:\n${help.stdout}`);
  }
  assert.match(help.stdout, /SLUICE_API_CACERT/);
});

test('clientOptionsFrom: contents from flags, files from variables, token passed on', () => {
  const pem = pki.read(pki.caCert);
  assert.deepEqual(clientOptionsFrom({ api: 'http://127.0.0.1:8080', token: 't' }, {}), {
    baseUrl: 'http://127.0.0.1:8080',
    token: 't',
  });
  assert.deepEqual(clientOptionsFrom({ api }, { SLUICE_API_CACERT: pki.caCert }), {
    baseUrl: api,
    tls: { ca: pem },
  });
  const notPem = path.join(pki.dir, 'notes.txt');
  fs.writeFileSync(notPem, 'hello\n');
  assert.throws(
    () => clientOptionsFrom({ api }, { SLUICE_API_CACERT: notPem }),
    /SLUICE_API_CACERT: .*notes\.txt is not a PEM certificate/,
  );
});

test('tlsAdvice names the flags to change for each TLS problem', () => {
  const advice = (tls: TlsProblem | undefined) =>
    tlsAdvice(new ConnectionError('https://h:1', 'https://h:1/x', 'CODE', 'm', tls));
  assert.match(advice('client-cert-required') ?? '', /pass --cert and --key/);
  assert.match(advice('client-cert-rejected') ?? '', /--api-tls-ca/);
  assert.match(advice('server-cert-untrusted') ?? '', /pass --cacert/);
  assert.match(advice('server-name-mismatch') ?? '', /subjectAltName/);
  assert.match(advice('server-cert-expired') ?? '', /renew/);
  assert.match(advice('not-tls') ?? '', /use an http:\/\/ URL/);
  assert.match(advice('maybe-tls-server') ?? '', /use an https:\/\/ URL/);
  assert.equal(advice(undefined), undefined);
});
