import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CA_KEY, lazyClusterCa, openClusterCa } from '../../src/pki/index.js';
import { FieldError } from '../../src/util/index.js';
import { tempStore } from './apps.testctx.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
} as const;

async function keysOf(alg: typeof EC | (typeof RSA & { modulusLength: number })) {
  return (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

/** A request as a node makes one (`openssl req -new`), with whatever subject it likes. */
async function csrOf(keys: webcrypto.CryptoKeyPair, subject = 'CN=evil,O=elsewhere', alg: object = EC) {
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject,
    keys,
    signingAlgorithm: alg as webcrypto.Algorithm,
  });
  return req.toString('pem');
}

const spki = async (k: webcrypto.CryptoKey) =>
  Buffer.from(await webcrypto.subtle.exportKey('spki', k)).toString('hex');

test('the CA is made once, stored at /pki/ca, and read back the same by another controller', async () => {
  const store = tempStore();
  const a = await openClusterCa(store);
  const stored = (await store.get(CA_KEY))?.value as Record<string, string>;
  assert.equal(stored.certificate, a.certificate);
  assert.match(stored.private_key, /^-----BEGIN PRIVATE KEY-----/);
  const b = await openClusterCa(store);
  assert.equal(b.certificate, a.certificate);
  assert.equal(b.fingerprint, a.fingerprint);
  const cert = new X509Certificate(a.certificate);
  assert.equal(cert.ca, true);
  assert.equal(a.fingerprint, cert.fingerprint256);
  assert.match(a.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.deepEqual(a.info(), { certificate: a.certificate, fingerprint: a.fingerprint });
  await store.close();
});

test('two controllers starting together end with one CA', async () => {
  const store = tempStore();
  const [a, b, c] = await Promise.all([openClusterCa(store), openClusterCa(store), lazyClusterCa(store)()]);
  assert.equal(a.certificate, b.certificate);
  assert.equal(a.certificate, c.certificate);
  await store.close();
});

test('a stored CA whose key does not match its certificate is refused, not replaced', async () => {
  const store = tempStore();
  const first = (await (await openClusterCa(store)).issue({ commonName: 'x' })) as {
    certificate: string;
    privateKey: string;
  };
  const ca = (await store.get(CA_KEY))!.value as Record<string, string>;
  await store.put(CA_KEY, { ...ca, private_key: first.privateKey });
  await assert.rejects(
    openClusterCa(store),
    /\/pki\/ca: the stored cluster CA cannot be used .*does not belong/,
  );
  assert.equal(((await store.get(CA_KEY))!.value as Record<string, string>).certificate, ca.certificate);
  await store.put(CA_KEY, { certificate: 'x' });
  await assert.rejects(openClusterCa(store), /\/pki\/ca: expected \{certificate, private_key, created\}/);
  await store.close();
});

test('signing: CN is the node name whatever the request says, the key is the request key', async () => {
  const store = tempStore();
  const ca = await openClusterCa(store);
  const keys = await keysOf(EC);
  const now = Date.parse('2026-12-06T05:00:00Z');
  const signed = await ca.sign('hv-1', await csrOf(keys), now);
  const cert = new X509Certificate(signed.certificate);
  assert.equal(cert.subject, 'CN=hv-1');
  assert.ok(cert.verify(new X509Certificate(ca.certificate).publicKey), 'signed by the CA');
  assert.equal(cert.checkIssued(new X509Certificate(ca.certificate)), true);
  assert.equal(cert.ca, false);
  assert.equal(signed.ca, ca.certificate);
  assert.equal(signed.fingerprint, cert.fingerprint256);
  assert.equal(
    cert.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'),
    await spki(keys.publicKey),
  );
  assert.deepEqual(cert.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  // About two years from now, and already valid for a node whose clock lags a little.
  assert.equal(signed.not_after, new Date(Date.parse(cert.validTo)).toISOString());
  const days = (Date.parse(cert.validTo) - now) / 86400e3;
  assert.ok(days > 700 && days < 740, `valid ${days} days`);
  assert.ok(Date.parse(cert.validFrom) < now);
  // Random serials: two certificates for the same request differ.
  const again = new X509Certificate((await ca.sign('hv-1', await csrOf(keys), now)).certificate);
  assert.notEqual(again.serialNumber, cert.serialNumber);
  // The controller's own certificate: its id and listen addresses.
  const own = await ca.issue({ commonName: 'ctl-7', altNames: ['127.0.0.1', 'ctl.example'] });
  const ownCert = new X509Certificate(own.certificate);
  assert.equal(ownCert.subject, 'CN=ctl-7');
  assert.equal(ownCert.subjectAltName, 'IP Address:127.0.0.1, DNS:ctl.example');
  assert.ok(ownCert.checkPrivateKey((await import('node:crypto')).createPrivateKey(own.privateKey)));
  await store.close();
});

test('an RSA request (what provisioning makes) is signed; a short RSA key is refused', async () => {
  const store = tempStore();
  const ca = await openClusterCa(store);
  const rsa = await keysOf({ ...RSA, modulusLength: 2048 });
  const signed = await ca.sign('gw', await csrOf(rsa, 'CN=gw', RSA));
  assert.equal(new X509Certificate(signed.certificate).subject, 'CN=gw');
  const weak = await keysOf({ ...RSA, modulusLength: 1024 });
  await assert.rejects(
    ca.sign('gw', await csrOf(weak, 'CN=gw', RSA)),
    (e: unknown) =>
      e instanceof FieldError && e.field === 'csr' && /1024 bits; use at least 2048/.test(e.reason),
  );
  await store.close();
});

test('garbage, certificates, forged and altered requests are refused naming csr', async () => {
  const store = tempStore();
  const ca = await openClusterCa(store);
  const csrFault = (pattern: RegExp) => (e: unknown) =>
    e instanceof FieldError && e.field === 'csr' && pattern.test(e.reason);
  await assert.rejects(ca.sign('n1', 'hello world'), csrFault(/not a PEM certificate request/));
  await assert.rejects(ca.sign('n1', ca.certificate), csrFault(/not a PEM certificate request/));
  const garbage = '-----BEGIN CERTIFICATE REQUEST-----\nAAAABBBBCCCC\n-----END CERTIFICATE REQUEST-----\n';
  await assert.rejects(ca.sign('n1', garbage), csrFault(/not a PKCS#10 certificate request/));
  // Someone else's public key in a request signed with the forger's own key.
  const victim = await keysOf(EC);
  const forger = await keysOf(EC);
  const forged = await csrOf({ publicKey: victim.publicKey, privateKey: forger.privateKey });
  await assert.rejects(ca.sign('n1', forged), csrFault(/signature does not match its key/));
  // A signed request altered afterwards (one bit of its signature).
  const good = await csrOf(await keysOf(EC));
  const der = Buffer.from(x509.PemConverter.decode(good)[0]);
  der[der.length - 1] ^= 0x01;
  const altered = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
  await assert.rejects(ca.sign('n1', altered), csrFault(/signature does not match its key/));
  await assert.rejects(
    ca.sign('bad name/..', good),
    (e: unknown) => e instanceof FieldError && e.field === 'node',
  );
  await store.close();
});
