/**
 * Certificates made and read with @peculiar/x509 over Node's WebCrypto: the CA's self-signed certificate, a leaf
 * signed by it (a node's, from its PKCS#10 request, or the controller's own), and the checks on a request.
 * No openssl process: the controller must sign without tools on its host.
 */
// @peculiar/x509 resolves its ASN.1 parsers through tsyringe, which needs the Reflect metadata API first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { FieldError } from '../util/index.js';

type CryptoKey = webcrypto.CryptoKey;

x509.cryptoProvider.set(webcrypto);

/** ECDSA P-256 with SHA-256: small keys, fast to make, understood by every OpenSSL that OVS links. */
const SIGNING = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;
export const CA_LIFETIME_MS = 10 * 365 * DAY_MS;
export const LEAF_LIFETIME_MS = 730 * DAY_MS;
/** Certificates start a little in the past: a node whose clock lags must not see them as not yet valid. */
const BACKDATE_MS = 5 * 60 * 1000;
const MIN_RSA_BITS = 2048;
const CURVES = new Set(['P-256', 'P-384', 'P-521']);

/** A private key and its certificate, PEM. */
export interface KeyPair {
  certificate: string;
  privateKey: string;
}

/** SHA-256 of a certificate, colon-separated upper-case hex (Node's X509Certificate.fingerprint256). */
export function fingerprintOf(certificatePem: string): string {
  return new X509Certificate(certificatePem).fingerprint256;
}

/** A positive 127-bit serial: random, so two controllers of a cluster never issue the same one. */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x01;
  return b.toString('hex');
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(SIGNING, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** A new CA: self-signed, allowed to sign end-entity certificates only (path length 0). */
export async function createCa(now: number, name: string): Promise<KeyPair> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: new x509.Name([{ CN: [name] }, { O: ['Sluice'] }]),
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_LIFETIME_MS),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate: cert.toString('pem'), privateKey: await pkcs8Pem(keys.privateKey) };
}

/** A CA read back (from the store): its certificate and signing key, checked to belong together. */
export interface LoadedCa {
  certificate: x509.X509Certificate;
  pem: string;
  signingKey: CryptoKey;
}

export async function loadCa(pair: KeyPair): Promise<LoadedCa> {
  const certificate = new x509.X509Certificate(pair.certificate);
  const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ type: 'spki', format: 'der' });
  if (
    !spki(createPublicKey(createPrivateKey(pair.privateKey))).equals(
      spki(new X509Certificate(pair.certificate).publicKey),
    )
  ) {
    throw new Error('the private key does not belong to the certificate');
  }
  const der = x509.PemConverter.decode(pair.privateKey)[0];
  const signingKey = await webcrypto.subtle.importKey('pkcs8', der, SIGNING, false, ['sign']);
  return { certificate, pem: certificate.toString('pem'), signingKey };
}

/** What a leaf certificate says about its holder. */
export interface LeafSubject {
  commonName: string;
  /** subjectAltName entries: IP addresses and DNS names. */
  altNames?: string[];
}

async function issue(ca: LoadedCa, publicKey: x509.PublicKey, who: LeafSubject, now: number) {
  const rsa = publicKey.algorithm.name.startsWith('RSA');
  const usage = x509.KeyUsageFlags.digitalSignature | (rsa ? x509.KeyUsageFlags.keyEncipherment : 0);
  const names = (who.altNames ?? []).map((n) =>
    isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n },
  );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    // The holder's name is ours to give: a request's own subject is never copied.
    subject: new x509.Name([{ CN: [who.commonName] }]),
    issuer: ca.certificate.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + LEAF_LIFETIME_MS),
    signingAlgorithm: SIGNING,
    publicKey,
    signingKey: ca.signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usage, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.clientAuth,
        x509.ExtendedKeyUsage.serverAuth,
      ]),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names)] : []),
    ],
  });
  return cert;
}

const CSR_PEM =
  /^\s*-----BEGIN (NEW )?CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END (NEW )?CERTIFICATE REQUEST-----\s*$/;

/**
 * The public key of a PKCS#10 request whose self-signature holds (proof that the requester has the private
 * key). Everything else in the request (subject, extensions) is ignored. Throws FieldError naming `csr`.
 */
export async function requestedKey(csrPem: string): Promise<x509.PublicKey> {
  if (!CSR_PEM.test(csrPem)) {
    throw new FieldError(
      'csr',
      'is not a PEM certificate request (-----BEGIN CERTIFICATE REQUEST----- ... as `openssl req -new` writes)',
    );
  }
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new FieldError('csr', `is not a PKCS#10 certificate request: ${(err as Error).message}`);
  }
  const alg = csr.publicKey.algorithm as { name: string; modulusLength?: number; namedCurve?: string };
  if (alg.name.startsWith('RSA')) {
    if ((alg.modulusLength ?? 0) < MIN_RSA_BITS)
      throw new FieldError('csr', `its RSA key has ${alg.modulusLength} bits; use at least ${MIN_RSA_BITS}`);
  } else if (alg.name === 'ECDSA' || alg.name === 'EC') {
    if (!CURVES.has(alg.namedCurve ?? ''))
      throw new FieldError('csr', `its EC key is on curve ${alg.namedCurve}; use P-256, P-384 or P-521`);
  } else {
    throw new FieldError('csr', `its key type ${alg.name} is not supported: use RSA or EC (P-256)`);
  }
  let valid = false;
  try {
    valid = await csr.verify();
  } catch (err) {
    throw new FieldError('csr', `its signature cannot be checked: ${(err as Error).message}`);
  }
  if (!valid)
    throw new FieldError('csr', 'its signature does not match its key (a forged or altered request)');
  return csr.publicKey;
}

/** A node's certificate for the key of its request, CN = the node's name. */
export async function signRequest(
  ca: LoadedCa,
  csrPem: string,
  commonName: string,
  now: number,
): Promise<{ certificate: string; notAfter: Date }> {
  const key = await requestedKey(csrPem);
  const cert = await issue(ca, key, { commonName }, now);
  return { certificate: cert.toString('pem'), notAfter: cert.notAfter };
}

/** A fresh key and its certificate (the controller's own, for its listeners); the key never leaves memory. */
export async function issueKeyPair(ca: LoadedCa, who: LeafSubject, now: number): Promise<KeyPair> {
  const keys = await newKeys();
  const publicKey = await x509.PublicKey.create(keys.publicKey, webcrypto);
  const cert = await issue(ca, publicKey, who, now);
  return { certificate: cert.toString('pem'), privateKey: await pkcs8Pem(keys.privateKey) };
}
