/** Base of every error this folder throws, so callers can catch OVSDB trouble in one place. */
export class OvsdbError extends Error {
  override name = 'OvsdbError';
}

/** An error about one named field (of a wire message or of a caller's argument), with the reason. */
export class OvsdbFieldError extends OvsdbError {
  override name = 'OvsdbFieldError';
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
}

/** A remote string such as `tcp:1.2.3.4:6640` could not be parsed. */
export class OvsdbRemoteError extends OvsdbError {
  override name = 'OvsdbRemoteError';
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
}

/** A typed Open_vSwitch helper was asked about a bridge/port/interface that does not exist. */
export class OvsdbNotFoundError extends OvsdbError {
  override name = 'OvsdbNotFoundError';
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
}

/** What a typed helper read changed before its transaction ran; the helper retries a few times, then throws this. */
export class OvsdbConflictError extends OvsdbError {
  override name = 'OvsdbConflictError';
}
