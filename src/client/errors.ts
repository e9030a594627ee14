/**
 * What a failed call says: the API's error answer (ApiError), no answer at all (ConnectionError, with the TLS
 * reading of the failure when it looks like one), or an unusable client option (ClientOptionError). Pure, so
 * the browser build of the client shares them with the Node one.
 */

/** The API answered with an error status; fields come from its `{"error","detail","field"}` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly detail: string,
    readonly field?: string,
  ) {
    super(`${status} ${error}: ${detail}`);
    this.name = 'ApiError';
  }
}

/** No HTTP answer at all: refused, unreachable, timed out. */
export class ConnectionError extends Error {
  constructor(
    /** The client's base URL (where the API was expected). */
    readonly baseUrl: string,
    readonly url: string,
    /** ECONNREFUSED, ENOTFOUND, ETIMEDOUT, ... when known. */
    readonly code: string | undefined,
    message: string,
    /** Set when the failure looks like a TLS setup matter (which side's certificate, or http vs https). */
    readonly tls?: TlsProblem,
    /** Which Sluice server was expected there (what to start when nothing listens). */
    readonly server: 'controller' | 'agent' = 'controller',
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
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

/** The first string `code` on an error or its causes (fetch wraps the socket's error in `cause`). */
export function causeCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
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
