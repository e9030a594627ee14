import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../src/api/index.js';
import {
  ClientOptionError,
  ConnectionError,
  SluiceClient,
  pemProblem,
  tlsProblemOf,
  validateTls,
  type TlsOptions,
} from '../../src/client/node.js';
import { makeTestPki, type TestPki } from '../support/pki.js';
import { fakeDeps } from './api.fakes.js';

let pki: TestPki;
let tlsApi: FastifyInstance;
let plainApi: FastifyInstance;
let httpsUrl: string;
let plainPort: number;
/** PEM contents. */
let ca: string, cert: string, key: string, otherCa: string, strangerCert: string, strangerKey: string;

before(async () => {
  pki = await makeTestPki();
  [ca, cert, key, otherCa, strangerCert, strangerKey] = [
    pki.caCert,
    pki.clientCert,
    pki.clientKey,
    pki.otherCaCert,
    pki.strangerCert,
    pki.strangerKey,
  ].map((f) => pki.read(f));
  tlsApi = await createApiServer({
    ...fakeDeps(),
    https: {
      cert: pki.read(pki.serverCert),
      key: pki.read(pki.serverKey),
      ca,
      requestCert: true,
      rejectUnauthorized: true,
    },
  });
  await tlsApi.listen({ host: '127.0.0.1', port: 0 });
  httpsUrl = `https://127.0.0.1:${(tlsApi.server.address() as AddressInfo).port}`;
  plainApi = await createApiServer(fakeDeps());
  await plainApi.listen({ host: '127.0.0.1', port: 0 });
  plainPort = (plainApi.server.address() as AddressInfo).port;
});

after(async () => {
  await tlsApi?.close();
  await plainApi?.close();
  pki?.remove();
});

function optionError(fn: () => unknown, field: string, reason: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ClientOptionError, String(e));
    assert.equal(e.field, field);
    assert.match(e.reason, reason);
    return true;
  });
}

test('pemProblem says what a file holds instead of the PEM it should', () => {
  assert.equal(pemProblem('ca', ca + otherCa), undefined);
  assert.equal(pemProblem('cert', cert), undefined);
  assert.equal(pemProblem('key', key), undefined);
  assert.match(pemProblem('ca', 'hello') ?? '', /not a PEM certificate/);
  assert.match(pemProblem('cert', key) ?? '', /holds PRIVATE KEY, not a PEM certificate/);
  assert.match(pemProblem('key', cert) ?? '', /holds CERTIFICATE, not a PEM private key/);
  assert.match(pemProblem('key', 'nothing here') ?? '', /not a PEM private key/);
  const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
  assert.match(pemProblem('cert', broken) ?? '', /certificate 1 is not readable/);
  const encrypted = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n';
  assert.match(pemProblem('key', encrypted) ?? '', /encrypted private key/);
});

test('TLS options are checked as a whole, naming the field at fault', () => {
  const url = 'https://127.0.0.1:8443';
  validateTls(url, { ca, cert, key });
  validateTls(url, {});
  validateTls('http://127.0.0.1:8080', {});
  optionError(() => validateTls(url, { cert }), 'tls.key', /missing: tls\.cert is set/);
  optionError(() => validateTls(url, { key, ca }), 'tls.cert', /missing: tls\.key is set/);
  optionError(() => validateTls('http://127.0.0.1:8080', { ca }), 'baseUrl', /tls\.ca needs an https:\/\//);
  optionError(
    () => validateTls('http://h', { cert, key }),
    'baseUrl',
    /tls\.cert, tls\.key need an https:\/\//,
  );
  optionError(() => validateTls(url, { cert, key: strangerKey }), 'tls.key', /does not belong to/);
  optionError(() => validateTls(url, { ca: key }), 'tls.ca', /not a PEM certificate/);
  optionError(
    () => validateTls(url, { rejectUnauthorized: 'no' } as unknown as TlsOptions),
    'tls.rejectUnauthorized',
    /true or false/,
  );
  // The CLI names its flags instead.
  optionError(
    () =>
      validateTls(url, { cert }, { baseUrl: '--api', ca: '--cacert', cert: '--cert', key: 'SLUICE_API_KEY' }),
    'SLUICE_API_KEY',
    /--cert is set/,
  );
  // The client checks in its constructor.
  optionError(() => new SluiceClient({ baseUrl: 'http://127.0.0.1:1', tls: { ca } }), 'baseUrl', /https/);
  optionError(() => new SluiceClient({ baseUrl: url, tls: { key } }), 'tls.cert', /missing/);
});

test('tlsProblemOf reads codes and unanswered closes', () => {
  const f = {
    code: undefined as string | undefined,
    https: true,
    clientCert: false,
    closedUnanswered: false,
  };
  const cases: [Partial<typeof f>, string | undefined][] = [
    [{ code: 'SELF_SIGNED_CERT_IN_CHAIN' }, 'server-cert-untrusted'],
    [{ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'server-cert-untrusted'],
    [{ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'server-name-mismatch'],
    [{ code: 'CERT_HAS_EXPIRED' }, 'server-cert-expired'],
    [{ code: 'ERR_SSL_WRONG_VERSION_NUMBER' }, 'not-tls'],
    [{ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' }, 'client-cert-required'],
    [{ code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' }, 'client-cert-required'],
    [{ code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', clientCert: true }, 'client-cert-rejected'],
    [{ code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', clientCert: true }, 'client-cert-rejected'],
    [{ code: 'UND_ERR_SOCKET', clientCert: true, closedUnanswered: true }, 'client-cert-rejected'],
    [{ code: 'UND_ERR_SOCKET', closedUnanswered: true }, 'client-cert-required'],
    [{ code: 'UND_ERR_SOCKET', https: false, closedUnanswered: true }, 'maybe-tls-server'],
    [{ code: 'ECONNREFUSED' }, undefined],
    [{ code: 'ECONNREFUSED', https: false }, undefined],
  ];
  for (const [over, want] of cases) assert.equal(tlsProblemOf({ ...f, ...over }), want, JSON.stringify(over));
});

/** The ConnectionError a client's switches() call fails with. */
async function failure(c: SluiceClient): Promise<ConnectionError> {
  try {
    await c.switches();
  } catch (e) {
    assert.ok(e instanceof ConnectionError, String(e));
    return e;
  } finally {
    await c.close();
  }
  assert.fail('the request succeeded');
}

test('over HTTPS with client-certificate auth: the right certificates work, each wrong setup is named', async () => {
  const good = new SluiceClient({ baseUrl: httpsUrl, tls: { ca, cert, key } });
  assert.equal((await good.switches()).length, 2);
  assert.equal((await good.floodlight.health()).healthy, true);
  await good.close();

  const noCert = await failure(new SluiceClient({ baseUrl: httpsUrl, tls: { ca } }));
  assert.equal(noCert.tls, 'client-cert-required');

  const stranger = await failure(
    new SluiceClient({ baseUrl: httpsUrl, tls: { ca, cert: strangerCert, key: strangerKey } }),
  );
  assert.equal(stranger.tls, 'client-cert-rejected');

  const wrongCa = await failure(new SluiceClient({ baseUrl: httpsUrl, tls: { ca: otherCa, cert, key } }));
  assert.equal(wrongCa.tls, 'server-cert-untrusted');

  const noCa = await failure(new SluiceClient({ baseUrl: httpsUrl, tls: { cert, key } }));
  assert.equal(noCa.tls, 'server-cert-untrusted');

  const plainToTls = await failure(new SluiceClient({ baseUrl: httpsUrl.replace('https:', 'http:') }));
  assert.equal(plainToTls.tls, 'maybe-tls-server');

  const tlsToPlain = await failure(
    new SluiceClient({ baseUrl: `https://127.0.0.1:${plainPort}`, tls: { ca } }),
  );
  assert.equal(tlsToPlain.tls, 'not-tls');

  // rejectUnauthorized false skips checking the API's certificate; ours is still presented.
  const insecure = new SluiceClient({ baseUrl: httpsUrl, tls: { cert, key, rejectUnauthorized: false } });
  assert.equal((await insecure.switches()).length, 2);
  await insecure.close();
});
