import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createApiServer } from '../../src/api/index.js';
import { pkiRoutes } from '../../src/api/routes/pki.js';
import { pkiView } from '../../src/daemon/pki.js';
import { lazyClusterCa } from '../../src/pki/index.js';
import { fakeDeps } from './api.fakes.js';
import { tempStore } from './apps.testctx.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

async function csr(): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=whatever',
    keys,
    signingAlgorithm: EC,
  });
  return req.toString('pem');
}

test('GET /api/v1/pki/ca and POST /api/v1/pki/sign, behind the token; bad requests name their field', async () => {
  const store = tempStore();
  const ca = lazyClusterCa(store);
  const known = new Set(['hv1']);
  const api = await createApiServer({
    ...fakeDeps(),
    auth: { token: 'secret-token-1' },
    routes: [pkiRoutes(pkiView(ca, async (n) => known.has(n)))],
  });
  const auth = { authorization: 'Bearer secret-token-1' };

  assert.equal((await api.inject({ url: '/api/v1/pki/ca' })).statusCode, 401);
  const unsigned = await api.inject({
    method: 'POST',
    url: '/api/v1/pki/sign',
    payload: { node: 'hv1', csr: await csr() },
  });
  assert.equal(unsigned.statusCode, 401);

  const caReply = await api.inject({ url: '/api/v1/pki/ca', headers: auth });
  assert.equal(caReply.statusCode, 200);
  const caBody = caReply.json() as { certificate: string; fingerprint: string };
  assert.equal(caBody.fingerprint, new X509Certificate(caBody.certificate).fingerprint256);

  const signed = await api.inject({
    method: 'POST',
    url: '/api/v1/pki/sign',
    headers: auth,
    payload: { node: 'hv1', csr: await csr() },
  });
  assert.equal(signed.statusCode, 200, signed.body);
  const body = signed.json() as { certificate: string; ca: string; fingerprint: string; not_after: string };
  const cert = new X509Certificate(body.certificate);
  assert.equal(cert.subject, 'CN=hv1');
  assert.equal(body.ca, caBody.certificate);
  assert.equal(body.fingerprint, cert.fingerprint256);
  assert.ok(cert.verify(new X509Certificate(body.ca).publicKey));
  assert.ok(Date.parse(body.not_after) > Date.now() + 700 * 86400e3);

  const post = (payload: unknown) =>
    api.inject({ method: 'POST', url: '/api/v1/pki/sign', headers: auth, payload: payload as object });
  const cases: [unknown, number, string, RegExp][] = [
    [{ node: 'hv1', csr: 'x'.repeat(100) }, 400, 'csr', /not a PEM certificate request/],
    [{ node: 'hv1', csr: 'short' }, 400, 'csr', /./],
    [{ node: 'hv1' }, 400, 'csr', /./],
    [{ node: 'hv1', csr: await csr(), extra: 1 }, 400, 'extra', /./],
    [{ node: 'no such/node', csr: await csr() }, 400, 'node', /./],
    [{ node: 'hv2', csr: await csr() }, 404, 'node', /no description of node hv2 is applied/],
  ];
  for (const [payload, status, field, detail] of cases) {
    const r = await post(payload);
    assert.equal(r.statusCode, status, `${JSON.stringify(payload).slice(0, 60)}: ${r.body}`);
    const err = r.json() as { field?: string; detail: string };
    assert.equal(err.field, field, r.body);
    assert.match(err.detail, detail);
  }
  await api.close();
  await store.close();
});
