/**
 * What a failed call says: the API's error answer (ApiError), no answer at all (ConnectionError, with the TLS
 * reading of the failure when it looks like one), or an unusable client option (ClientOptionError). Pure, so
 * the browser build of the client shares them with the Node one.
 *
 * Every one carries a stable `code` (SLUICE_E_*, as undici's UND_ERR_*): callers switch on it rather than on
 * messages or classes. ApiError's code comes from the HTTP status; the API's own `error` string (not_found,
 * switch_timeout...) stays on `error` for a finer reading.
 */

/** The stable codes of the client's errors, each with what it means. */
export const SLUICE_ERROR_CODES = {
  /** ApiError 400 (and 413, 422): the request was refused as invalid; `field` names what is wrong. */
  SLUICE_E_BAD_REQUEST: 'the API refused the request as invalid (400)',
  /** ApiError 401 or 403: a missing or wrong token. */
  SLUICE_E_UNAUTHORIZED: 'the API refused the token (401/403)',
  /** ApiError 404: no such thing (or no such route: a feature not running there). */
  SLUICE_E_NOT_FOUND: 'not found (404)',
  /** ApiError 409: the state does not allow it (a name taken, a network with endpoints...). */
  SLUICE_E_CONFLICT: 'conflict with the current state (409)',
  /** ApiError 501: the route exists for compatibility but does nothing here; `detail` says what to do. */
  SLUICE_E_NOT_IMPLEMENTED: 'not implemented here (501)',
  /** ApiError 503: a part the call needs (OVSDB, the store, Docker) is not available now; retry later. */
  SLUICE_E_UNAVAILABLE: 'a part the call needs is unavailable (503)',
  /** Any other ApiError status (500, 502 switch_error, 504 switch_timeout...). */
  SLUICE_E_API: 'the API answered with an error',
  /** ConnectionError: no HTTP answer (refused, unreachable, timed out, TLS); `socketCode` says which. */
  SLUICE_E_CONNECTION: 'no answer from the API',
  /** ClientOptionError: a client option is unusable; `field` names it. */
  SLUICE_E_CLIENT_OPTION: 'a client option is unusable',
} as const;

export type SluiceErrorCode = keyof typeof SLUICE_ERROR_CODES;
/** The codes an ApiError can carry. */
export type SluiceApiErrorCode = Exclude<SluiceErrorCode, 'SLUICE_E_CONNECTION' | 'SLUICE_E_CLIENT_OPTION'>;

/** ApiError's code for an HTTP status. */
export function apiErrorCode(status: number): SluiceApiErrorCode {
  if (status === 400 || status === 413 || status === 422) return 'SLUICE_E_BAD_REQUEST';
  if (status === 401 || status === 403) return 'SLUICE_E_UNAUTHORIZED';
  if (status === 404) return 'SLUICE_E_NOT_FOUND';
  if (status === 409) return 'SLUICE_E_CONFLICT';
  if (status === 501) return 'SLUICE_E_NOT_IMPLEMENTED';
  if (status === 503) return 'SLUICE_E_UNAVAILABLE';
  return 'SLUICE_E_API';
}

/**
 * Every error the client throws: `if (e instanceof SluiceClientError) switch (e.code) ...`. (src/util's
 * SluiceError is the server side's, with its own codes.)
 */
export abstract class SluiceClientError extends Error {
  abstract readonly code: SluiceErrorCode;
}

/** The API answered with an error status; fields come from its `{"error","detail","field"}` body. */
export class ApiError extends SluiceClientError {
  /** From the status (apiErrorCode). */
  readonly code: SluiceApiErrorCode;

  constructor(
    readonly status: number,
    /** The API's own error string (bad_request, not_found, switch_timeout...: docs/contracts.md). */
    readonly error: string,
    readonly detail: string,
    readonly field?: string,
  ) {
    super(`${status} ${error}: ${detail}`);
    this.name = 'ApiError';
    this.code = apiErrorCode(status);
  }
}

/** No HTTP answer at all: refused, unreachable, timed out. */
export class ConnectionError extends SluiceClientError {
  readonly code = 'SLUICE_E_CONNECTION';

  constructor(
    /** The client's base URL (where the API was expected). */
    readonly baseUrl: string,
    readonly url: string,
    /** ECONNREFUSED, ENOTFOUND, ETIMEDOUT, ... when known. */
    readonly socketCode: string | undefined,
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
export class ClientOptionError extends SluiceClientError {
  readonly code = 'SLUICE_E_CLIENT_OPTION';

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
