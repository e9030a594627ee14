/**
 * Codec errors with stable codes. A decode error also carries the OFPET/OFP*C pair the controller should
 * answer the switch with, so the session layer never has to map errors itself.
 */

export type OpenFlowDecodeErrorCode =
  'OF_TRUNCATED' | 'OF_BAD_LENGTH' | 'OF_BAD_VERSION' | 'OF_BAD_TYPE' | 'OF_BAD_FIELD' | 'OF_UNSUPPORTED';

export type OpenFlowEncodeErrorCode = 'OF_UNSUPPORTED' | 'OF_BAD_FIELD' | 'OF_BAD_LENGTH';

/** OFPET_* error types (the numbers differ between the versions past BAD_ACTION). */
export const OFPET10 = {
  HELLO_FAILED: 0,
  BAD_REQUEST: 1,
  BAD_ACTION: 2,
  FLOW_MOD_FAILED: 3,
  PORT_MOD_FAILED: 4,
  QUEUE_OP_FAILED: 5,
} as const;
export const OFPET13 = {
  HELLO_FAILED: 0,
  BAD_REQUEST: 1,
  BAD_ACTION: 2,
  BAD_INSTRUCTION: 3,
  BAD_MATCH: 4,
  FLOW_MOD_FAILED: 5,
  GROUP_MOD_FAILED: 6,
  PORT_MOD_FAILED: 7,
  TABLE_MOD_FAILED: 8,
  QUEUE_OP_FAILED: 9,
  SWITCH_CONFIG_FAILED: 10,
  ROLE_REQUEST_FAILED: 11,
  METER_MOD_FAILED: 12,
  TABLE_FEATURES_FAILED: 13,
} as const;
/** OFPHFC_INCOMPATIBLE */
export const OFPHFC_INCOMPATIBLE = 0;
/** OFPBRC_* (same numbering in both versions for these). OF1.0 calls BAD_MULTIPART BAD_STAT. */
export const OFPBRC_ALL = {
  BAD_VERSION: 0,
  BAD_TYPE: 1,
  BAD_MULTIPART: 2,
  BAD_EXPERIMENTER: 3,
  BAD_LEN: 6,
} as const;
/** OFPBAC_* */
export const OFPBAC = { BAD_TYPE: 0, BAD_LEN: 1, BAD_OUT_PORT: 4, BAD_ARGUMENT: 5 } as const;
/** OFPBIC_* (OF1.3) */
export const OFPBIC = { UNKNOWN_INST: 0, BAD_LEN: 7 } as const;
/** OFPBMC_* (OF1.3) */
export const OFPBMC = {
  BAD_TYPE: 0,
  BAD_LEN: 1,
  BAD_FIELD: 6,
  BAD_VALUE: 7,
  BAD_MASK: 8,
  DUP_FIELD: 10,
} as const;

export class OpenFlowDecodeError extends Error {
  override readonly name = 'OpenFlowDecodeError';
  /** Set once the header was read, so the controller can answer with the offending xid. */
  xid?: number;
  version?: number;
  constructor(
    readonly code: OpenFlowDecodeErrorCode,
    /** OFPET_* the controller should answer with. */
    readonly ofpErrType: number,
    /** OFP*C_* within ofpErrType. */
    readonly ofpErrCode: number,
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

export class OpenFlowEncodeError extends Error {
  override readonly name = 'OpenFlowEncodeError';
  constructor(
    readonly code: OpenFlowEncodeErrorCode,
    /** The message field at fault, e.g. `match.ipv6_src` or `instructions[1].actions[0].port`. */
    public field: string,
    readonly reason: string,
  ) {
    super(`${code} ${field}: ${reason}`);
  }

  /** Prefixes the field path; writers name fields relative to their struct so the happy path builds no strings. */
  under(prefix: string): this {
    this.field = this.field ? `${prefix}.${this.field}` : prefix;
    this.message = `${this.code} ${this.field}: ${this.reason}`;
    return this;
  }
}

/** Rethrow helper: adds `prefix` to an encode error's field path, passes anything else through. */
export function atPath(e: unknown, prefix: string): unknown {
  return e instanceof OpenFlowEncodeError ? e.under(prefix) : e;
}

/** Generic "the buffer ends before the structure does" error. */
export function truncated(what: string): OpenFlowDecodeError {
  return new OpenFlowDecodeError(
    'OF_TRUNCATED',
    OFPET13.BAD_REQUEST,
    OFPBRC_ALL.BAD_LEN,
    `${what} runs past the end`,
  );
}

export function badLength(
  what: string,
  ofpErrType: number = OFPET13.BAD_REQUEST,
  ofpErrCode: number = OFPBRC_ALL.BAD_LEN,
) {
  return new OpenFlowDecodeError('OF_BAD_LENGTH', ofpErrType, ofpErrCode, what);
}

export function unsupported(field: string, reason: string): OpenFlowEncodeError {
  return new OpenFlowEncodeError('OF_UNSUPPORTED', field, reason);
}

export function badField(field: string, reason: string): OpenFlowEncodeError {
  return new OpenFlowEncodeError('OF_BAD_FIELD', field, reason);
}
