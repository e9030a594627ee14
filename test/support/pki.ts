/**
 * A throwaway PKI made with the openssl CLI for TLS tests: a CA with a server certificate (for 127.0.0.1 and
 * localhost) and a client certificate, plus a second CA the server does not know with a client certificate of
 * its own. EC P-256 keys keep it fast.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPki {
  dir: string;
  /** File paths. */
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  otherCaCert: string;
  /** Signed by the other CA: a server trusting only `caCert` refuses it. */
  strangerCert: string;
  strangerKey: string;
  read(file: string): string;
  /** `--cacert F --cert F --key F` for the sluice CLI: the trusted client unless told otherwise. */
  cliFlags(files?: { ca?: string; cert?: string; key?: string }): string[];
  /** Removes the directory. */
  remove(): void;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: dir, timeout: 30_000 });
  } catch (e) {
    throw new Error(
      `openssl ${args.join(' ')}: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`,
    );
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, [
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    `${name}-key.pem`,
    '-out',
    `${name}-cert.pem`,
    '-days',
    '2',
    '-subj',
    `/CN=Sluice test ${name}`,
  ]);
}

async function makeLeaf(dir: string, name: string, ca: string, extensions: string): Promise<void> {
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
  await openssl(dir, [
    'req',
    ...EC_KEY,
    '-keyout',
    `${name}-key.pem`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  ]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}-cert.pem`,
    '-CAkey',
    `${ca}-key.pem`,
    '-CAcreateserial',
    '-out',
    `${name}-cert.pem`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  ]);
}

/** Makes the PKI in a fresh temporary directory (call remove() when done). */
export async function makeTestPki(): Promise<TestPki> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-testpki-'));
  try {
    await makeCa(dir, 'ca');
    await makeCa(dir, 'otherca');
    await makeLeaf(
      dir,
      'server',
      'ca',
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
    );
    await makeLeaf(dir, 'client', 'ca', 'extendedKeyUsage=clientAuth\n');
    await makeLeaf(dir, 'stranger', 'otherca', 'extendedKeyUsage=clientAuth\n');
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const f = (name: string) => path.join(dir, name);
  const [caCert, clientCert, clientKey] = [f('ca-cert.pem'), f('client-cert.pem'), f('client-key.pem')];
  return {
    dir,
    caCert,
    serverCert: f('server-cert.pem'),
    serverKey: f('server-key.pem'),
    clientCert,
    clientKey,
    otherCaCert: f('otherca-cert.pem'),
    strangerCert: f('stranger-cert.pem'),
    strangerKey: f('stranger-key.pem'),
    read: (file) => fs.readFileSync(file, 'utf8'),
    cliFlags: (o = {}) => [
      '--cacert',
      o.ca ?? caCert,
      '--cert',
      o.cert ?? clientCert,
      '--key',
      o.key ?? clientKey,
    ],
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
