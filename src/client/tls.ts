/**
 * TLS for the API client in Node (node.ts; never imported by the browser-safe index.ts): checking the PEM
 * material it is given, and the undici dispatcher that presents it and notes what a failed connection saw (so
 * errors.ts's tlsProblemOf can tell the user which option to fix).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Socket } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { ClientOptionError } from './errors.js';

/** PEM contents (not file names). */
export interface TlsOptions {
  /** CA certificate(s) the API's certificate must chain to; replaces Node's built-in CAs, like curl --cacert. */
  ca?: string | Buffer;
  /** Client certificate (optionally followed by its intermediates), for an API that requires one. */
  cert?: string | Buffer;
  /** The private key of `cert` (unencrypted). */
  key?: string | Buffer;
  /** Default true: the API's certificate must be valid for its host and chain to a trusted CA. */
  rejectUnauthorized?: boolean;
}

/** How the caller calls each option in errors (the SDK's field names by default). */
export interface TlsOptionNames {
  baseUrl: string;
  ca: string;
  cert: string;
  key: string;
}

export const SDK_TLS_NAMES: TlsOptionNames = {
  baseUrl: 'baseUrl',
  ca: 'tls.ca',
  cert: 'tls.cert',
  key: 'tls.key',
};

export type PemKind = 'ca' | 'cert' | 'key';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1], pem: m[0] }));
}

/** Why `text` is not usable as `kind` (undefined when it is): PEM, parseable, not an encrypted key. */
export function pemProblem(kind: PemKind, text: string): string | undefined {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) {
    return kind === 'key'
      ? 'is not a PEM private key (no -----BEGIN ... PRIVATE KEY----- block)'
      : 'is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)';
  }
  if (kind === 'key') {
    const key = blocks.find((b) => b.label.endsWith('PRIVATE KEY'));
    if (!key) return `holds ${blocks[0].label}, not a PEM private key`;
    if (key.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type: 4,ENCRYPTED/.test(key.pem)) {
      return 'is an encrypted private key; decrypt it first (openssl pkey -in KEY -out PLAIN)';
    }
    try {
      createPrivateKey(key.pem);
    } catch (e) {
      return `is not a readable private key: ${(e as Error).message}`;
    }
    return undefined;
  }
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  if (certs.length === 0) return `holds ${blocks[0].label}, not a PEM certificate`;
  for (const [i, c] of certs.entries()) {
    try {
      new X509Certificate(c.pem);
    } catch (e) {
      return `certificate ${i + 1} is not readable: ${(e as Error).message}`;
    }
  }
  return undefined;
}

const text = (v: string | Buffer) => (typeof v === 'string' ? v : v.toString('utf8'));

/** Checks a client's TLS options as a whole; throws ClientOptionError naming the option at fault. */
export function validateTls(baseUrl: string, tls: TlsOptions, names: TlsOptionNames = SDK_TLS_NAMES): void {
  const given = (['ca', 'cert', 'key'] as const).filter((k) => tls[k] !== undefined);
  if (given.length === 0 && tls.rejectUnauthorized === undefined) return;
  let protocol: string;
  try {
    protocol = new URL(baseUrl).protocol;
  } catch {
    throw new ClientOptionError(names.baseUrl, `'${baseUrl}' is not a URL`);
  }
  if (protocol !== 'https:') {
    const what = given.length ? given.map((k) => names[k]).join(', ') : 'TLS options';
    throw new ClientOptionError(
      names.baseUrl,
      `${what} ${given.length === 1 ? 'needs' : 'need'} an https:// URL, not ${baseUrl}`,
    );
  }
  if (tls.cert !== undefined && tls.key === undefined) {
    throw new ClientOptionError(
      names.key,
      `missing: ${names.cert} is set, and a client certificate needs its key`,
    );
  }
  if (tls.key !== undefined && tls.cert === undefined) {
    throw new ClientOptionError(names.cert, `missing: ${names.key} is set, and a key needs its certificate`);
  }
  if (tls.rejectUnauthorized !== undefined && typeof tls.rejectUnauthorized !== 'boolean') {
    throw new ClientOptionError('tls.rejectUnauthorized', 'must be true or false');
  }
  for (const k of given) {
    const problem = pemProblem(k, text(tls[k] as string | Buffer));
    if (problem) throw new ClientOptionError(names[k], problem);
  }
  if (tls.cert !== undefined && tls.key !== undefined) {
    const cert = new X509Certificate(text(tls.cert));
    let key: KeyObject;
    try {
      key = createPrivateKey(text(tls.key));
    } catch (e) {
      throw new ClientOptionError(names.key, `is not a readable private key: ${(e as Error).message}`);
    }
    if (!cert.checkPrivateKey(key)) {
      throw new ClientOptionError(names.key, `does not belong to the certificate in ${names.cert}`);
    }
  }
}

/** What the dispatcher saw on one connection (keyed by its local port, which undici's SocketError reports). */
interface ConnectionNote {
  openedAt: number;
  tlsAlert?: string;
}

/** An undici Agent that presents `tls` and notes, per connection, when it opened and which TLS alert ended it. */
export class NotingDispatcher {
  readonly agent: Agent;
  private readonly notes = new Map<number, ConnectionNote>();

  constructor(tls: TlsOptions) {
    const connect = buildConnector({
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
      ...(tls.key !== undefined ? { key: tls.key } : {}),
      rejectUnauthorized: tls.rejectUnauthorized ?? true,
    });
    this.agent = new Agent({
      connect: (opts, callback) =>
        connect(opts, (err, socket) => {
          if (socket) this.watch(socket);
          (callback as (e: Error | null, s: Socket | null) => void)(err, socket);
        }),
    });
  }

  private watch(socket: Socket): void {
    const port = socket.localPort;
    if (port === undefined) return;
    const note: ConnectionNote = { openedAt: Date.now() };
    this.notes.set(port, note);
    socket.on('error', (e: Error & { code?: unknown }) => {
      if (typeof e.code === 'string' && e.code.startsWith('ERR_SSL_')) note.tlsAlert ??= e.code;
    });
    // Kept briefly after close: the request's error is handled after the socket's close event.
    socket.once('close', () => setTimeout(() => this.notes.delete(port), 1000).unref());
  }

  /**
   * The note on the connection an error came from: the one the error names, else (a reset carries no socket
   * details) the latest connection opened since `since`.
   */
  noteOf(err: unknown, since: number): ConnectionNote | undefined {
    for (let e = err, i = 0; i < 4 && e && typeof e === 'object'; i++) {
      const port = (e as { socket?: { localPort?: unknown } }).socket?.localPort;
      if (typeof port === 'number') return this.notes.get(port);
      e = (e as { cause?: unknown }).cause;
    }
    let latest: ConnectionNote | undefined;
    for (const n of this.notes.values())
      if (n.openedAt >= since && (!latest || n.openedAt >= latest.openedAt)) latest = n;
    return latest;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
