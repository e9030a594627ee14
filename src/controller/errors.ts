/** Typed failures of switch requests; `code` strings are stable (callers and the API switch on them). */
import type { ErrorMsg } from '../openflow/index.js';
import { SluiceError } from '../util/index.js';

export type ControllerErrorCode =
  | 'CTL_REQUEST_TIMEOUT'
  | 'CTL_OF_ERROR'
  | 'CTL_SESSION_CLOSED'
  | 'CTL_HANDSHAKE'
  | 'CTL_APP_ORDER'
  | 'CTL_NOT_MASTER';

export class ControllerError extends SluiceError {
  constructor(
    override readonly code: ControllerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** No reply arrived within the request's timeout. */
export class RequestTimeoutError extends ControllerError {
  constructor(
    readonly requestType: string,
    readonly xid: number,
    readonly timeoutMs: number,
  ) {
    super('CTL_REQUEST_TIMEOUT', `${requestType} xid ${xid}: no reply within ${timeoutMs} ms`);
  }
}

/** The switch answered the request with OFPT_ERROR. */
export class OfErrorReplyError extends ControllerError {
  readonly errType: number;
  readonly errCode: number;
  constructor(
    readonly requestType: string,
    readonly reply: ErrorMsg,
  ) {
    super(
      'CTL_OF_ERROR',
      `${requestType} xid ${reply.xid}: switch error type ${reply.errType} code ${reply.code}`,
    );
    this.errType = reply.errType;
    this.errCode = reply.code;
  }
}

/** The connection closed before the reply arrived. */
export class SessionClosedError extends ControllerError {
  constructor(readonly reason: string) {
    super('CTL_SESSION_CLOSED', `switch connection closed: ${reason}`);
  }
}

/** The app graph cannot be ordered (cycle or unknown `after` name). */
export class AppOrderError extends ControllerError {
  constructor(message: string) {
    super('CTL_APP_ORDER', message);
  }
}

/** In a cluster, only a switch's master changes it: this member is its slave now. */
export class NotMasterError extends ControllerError {
  constructor(
    readonly requestType: string,
    readonly dpid: bigint,
  ) {
    super(
      'CTL_NOT_MASTER',
      `${requestType} to ${dpid.toString(16).padStart(16, '0')}: this member is not the switch's master`,
    );
  }
}
