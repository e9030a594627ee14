/**
 * TLS for the API client: checking the PEM material it is given, the undici dispatcher that presents it, and
 * what a failed connection says about the TLS setup (so callers can tell the user which option to fix).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Socket } from 'node:net';
import { Agent, buildConnector } from 'undici';

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

/** A client option is unusable; `field` names it (`tls.cert`, or the CLI flag the caller named it by). */
export class ClientOptionError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'ClientOptionError';
  }
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

/**
 * What went wrong in TLS, as far as the client can tell:
 * - server-cert-untrusted: the API's certificate does not chain to a CA we trust (give `ca`);
 * - server-name-mismatch: it is not valid for the URL's host;
 * - server-cert-expired: it has expired or is not valid yet;
 * - client-cert-required: the API asked for a client certificate and we had none;
 * - client-cert-rejected: the API refused ours (or closed the connection right after the handshake);
 * - not-tls: an https URL, but the server speaks plain HTTP;
 * - maybe-tls-server: an http URL, and the server closed the connection without an answer (as an HTTPS
 *   server does when spoken to in plain HTTP).
 */
export type TlsProblem =
  | 'server-cert-untrusted'
  | 'server-name-mismatch'
  | 'server-cert-expired'
  | 'client-cert-required'
  | 'client-cert-rejected'
  | 'not-tls'
  | 'maybe-tls-server';

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
/** Alerts a server sends about our certificate (TLS 1.2 and 1.3 spellings). */
const CLIENT_CERT_REFUSED = new Set([
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
]);

export interface FailureFacts {
  /** The error code (the TLS alert seen on the connection when there was one). */
  code: string | undefined;
  https: boolean;
  /** Whether we presented a client certificate. */
  clientCert: boolean;
  /** The server closed a connection opened for this request without sending anything back. */
  closedUnanswered: boolean;
}

/** Pure: the TLS reading of a connection failure, undefined when it does not look like a TLS matter. */
export function tlsProblemOf(f: FailureFacts): TlsProblem | undefined {
  const code = f.code ?? '';
  if (!f.https) return f.closedUnanswered ? 'maybe-tls-server' : undefined;
  if (UNTRUSTED.has(code)) return 'server-cert-untrusted';
  if (EXPIRED.has(code)) return 'server-cert-expired';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'server-name-mismatch';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') return 'not-tls';
  if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') return 'client-cert-required';
  // TLS 1.2 has no dedicated alert: a bare handshake failure without a certificate of ours means we lacked one.
  if (code === 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE') {
    return f.clientCert ? 'client-cert-rejected' : 'client-cert-required';
  }
  if (CLIENT_CERT_REFUSED.has(code)) return 'client-cert-rejected';
  // Node's TLS server checks a presented client certificate after the handshake and just closes the socket.
  if (f.closedUnanswered) return f.clientCert ? 'client-cert-rejected' : 'client-cert-required';
  return undefined;
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
