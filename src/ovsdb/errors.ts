/**
 * Stable codes, one per class (the same style as src/util/errors.ts; this folder depends on nothing of ours).
 * Callers catch OvsdbError for any OVSDB trouble and switch on `code` or `instanceof` for the kind.
 */
export type OvsdbErrorCode =
  | 'OVSDB_ERROR'
  | 'OVSDB_INVALID'
  | 'OVSDB_PROTOCOL'
  | 'OVSDB_BAD_REMOTE'
  | 'OVSDB_RPC_ERROR'
  | 'OVSDB_TRANSACTION_FAILED'
  | 'OVSDB_TIMEOUT'
  | 'OVSDB_CONNECTION'
  | 'OVSDB_NOT_FOUND'
  | 'OVSDB_BAD_ARGUMENT'
  | 'OVSDB_CONFLICT';

/** Base of every error this folder throws, so callers can catch OVSDB trouble in one place. */
export class OvsdbError extends Error {
  override name = 'OvsdbError';
  readonly code: OvsdbErrorCode = 'OVSDB_ERROR';
}

/** An error about one named field (of a wire message or of a caller's argument), with the reason. */
export class OvsdbFieldError extends OvsdbError {
  override name = 'OvsdbFieldError';
  override readonly code: OvsdbErrorCode = 'OVSDB_INVALID';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** The peer sent bytes or a message that break RFC 7047 / JSON-RPC framing; the connection is dropped. */
export class OvsdbProtocolError extends OvsdbFieldError {
  override name = 'OvsdbProtocolError';
  override readonly code: OvsdbErrorCode = 'OVSDB_PROTOCOL';
}

/** A remote string such as `tcp:1.2.3.4:6640` could not be parsed. */
export class OvsdbRemoteError extends OvsdbError {
  override name = 'OvsdbRemoteError';
  override readonly code: OvsdbErrorCode = 'OVSDB_BAD_REMOTE';
  constructor(
    readonly remote: string,
    readonly reason: string,
  ) {
    super(`bad OVSDB remote ${JSON.stringify(remote)}: ${reason}`);
  }
}

/** The server answered a JSON-RPC request with a non-null "error". */
export class OvsdbRpcError extends OvsdbError {
  override name = 'OvsdbRpcError';
  override readonly code: OvsdbErrorCode = 'OVSDB_RPC_ERROR';
  constructor(
    readonly method: string,
    readonly error: unknown,
  ) {
    super(`${method} failed: ${typeof error === 'string' ? error : JSON.stringify(error)}`);
  }
}

/**
 * One operation of a transaction failed. `opIndex` is its position in the request; when the failure comes from
 * the implicit commit (e.g. a referential integrity violation) `opIndex` equals the number of operations and
 * `op` is 'commit'.
 */
export class OvsdbTransactionError extends OvsdbError {
  override name = 'OvsdbTransactionError';
  override readonly code: OvsdbErrorCode = 'OVSDB_TRANSACTION_FAILED';
  constructor(
    readonly opIndex: number,
    readonly op: string,
    readonly error: string,
    readonly details: string | undefined,
  ) {
    super(`transaction op #${opIndex} (${op}) failed: ${error}${details ? `: ${details}` : ''}`);
  }
}

/** No reply arrived in time (request timeout or a missed keepalive echo). */
export class OvsdbTimeoutError extends OvsdbError {
  override name = 'OvsdbTimeoutError';
  override readonly code: OvsdbErrorCode = 'OVSDB_TIMEOUT';
  constructor(
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`${method}: no reply within ${timeoutMs} ms`);
  }
}

/** The connection closed (or was never up) while a request needed it. */
export class OvsdbConnectionError extends OvsdbError {
  override name = 'OvsdbConnectionError';
  override readonly code: OvsdbErrorCode = 'OVSDB_CONNECTION';
}

/** A typed Open_vSwitch helper was asked about a bridge/port/interface that does not exist. */
export class OvsdbNotFoundError extends OvsdbError {
  override name = 'OvsdbNotFoundError';
  override readonly code: OvsdbErrorCode = 'OVSDB_NOT_FOUND';
  constructor(
    readonly table: string,
    readonly key: string,
  ) {
    super(`${table} ${JSON.stringify(key)} not found`);
  }
}

/** A caller passed an argument that cannot be written to the database (bad rate, queue id, name...). */
export class OvsdbArgumentError extends OvsdbFieldError {
  override name = 'OvsdbArgumentError';
  override readonly code: OvsdbErrorCode = 'OVSDB_BAD_ARGUMENT';
}

/** What a typed helper read changed before its transaction ran; the helper retries a few times, then throws this. */
export class OvsdbConflictError extends OvsdbError {
  override name = 'OvsdbConflictError';
  override readonly code: OvsdbErrorCode = 'OVSDB_CONFLICT';
}
