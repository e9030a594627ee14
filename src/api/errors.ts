/** The API's one error shape: `{"error": code, "detail": human text, "field": name}` with a 4xx/5xx status. */
import type { EntryError } from '../apps/staticflows/index.js';
import type { RuleError } from '../apps/firewall/index.js';
import type { QosError } from '../apps/qos/index.js';
import type { HandError } from '../apps/hostaware/index.js';
import type { ParseError } from '../apps/hostaware/sources/index.js';
import type { ControllerErrorCode } from '../controller/index.js';
import type { OpenFlowDecodeErrorCode, OpenFlowEncodeErrorCode } from '../openflow/index.js';
import type { DockerErrorCode } from '../agent/docker.js';
import type { StoreErrorCode } from '../store/index.js';
import { AppError, FieldError, type AppErrorCode } from '../util/index.js';
import { API_ERROR_CODES, type ApiErrorCode } from '../schema/index.js';

/** The `error` strings clients see (and may switch on): defined with the wire schemas. */
export { API_ERROR_CODES, type ApiErrorCode };

export interface ApiErrorBody {
  error: ApiErrorCode;
  detail: string;
  field?: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    readonly detail: string,
    readonly field?: string,
  ) {
    super(detail);
    this.name = 'HttpError';
  }

  toBody(): ApiErrorBody {
    return this.field === undefined
      ? { error: this.code, detail: this.detail }
      : { error: this.code, detail: this.detail, field: this.field };
  }
}

export const badRequest = (detail: string, field?: string) =>
  new HttpError(400, 'bad_request', detail, field);
export const notFound = (detail: string, field?: string) => new HttpError(404, 'not_found', detail, field);

/** One ajv error as Fastify attaches it to a validation failure. */
export interface AjvErrorLike {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * Maps the first ajv error to the field it concerns: `/match/in_port` -> `match.in_port`; a missing property
 * names the property itself; a query/param error names the parameter.
 */
export function ajvErrorToHttpError(errors: AjvErrorLike[], context: string | undefined): HttpError {
  const first = errors[0];
  if (!first) return new HttpError(400, 'validation', `invalid ${context ?? 'request'}`);
  const path = first.instancePath
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const missing = first.params.missingProperty;
  const extra = first.params.additionalProperty;
  if (typeof missing === 'string') path.push(missing);
  else if (typeof extra === 'string') path.push(extra);
  const field = path.join('.') || context || 'body';
  const where =
    context === 'querystring' ? 'query parameter' : context === 'params' ? 'path parameter' : 'field';
  const reason =
    typeof missing === 'string'
      ? 'is required'
      : typeof extra === 'string'
        ? 'is not a known field'
        : Array.isArray(first.params.allowedValues)
          ? `must be one of ${first.params.allowedValues.join(', ')}`
          : (first.message ?? 'is invalid');
  return new HttpError(400, 'validation', `${where} '${field}' ${reason}`, field);
}

/** `Unexpected token } in JSON at position 12` -> 12 (V8 wording differs between versions; all carry it). */
export function jsonErrorPosition(message: string): number | undefined {
  const m = /position (\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** Every stable `code` an error that reaches a route can carry (the apps translate OVSDB's own). */
export type ErrorCode =
  | Exclude<AppErrorCode, `SLU_${string}_INVALID`>
  | QosError['code']
  | EntryError['code']
  | RuleError['code']
  | HandError['code']
  | ParseError['code']
  | ControllerErrorCode
  | StoreErrorCode
  | DockerErrorCode
  | OpenFlowEncodeErrorCode
  | OpenFlowDecodeErrorCode;

const INTERNAL = { status: 500, error: 'internal' } as const;
export const INTERNAL_DETAIL = 'internal error; see the controller log';
/** The agent's 500s point at its own log (the controller may not even run). */
export const AGENT_INTERNAL_DETAIL = 'internal error; see the agent log';

/**
 * The one table from error codes to what the client gets. A missing code fails to compile; `internal` replies
 * hide the message (it is logged instead).
 */
export const ERROR_HTTP: { readonly [C in ErrorCode]: { status: number; error: ApiErrorCode } } = {
  SLU_INVALID: { status: 400, error: 'validation' },
  SLU_QOS_INVALID: { status: 400, error: 'validation' },
  SLU_STATICFLOW_INVALID: { status: 400, error: 'validation' },
  SLU_RULE_INVALID: { status: 400, error: 'validation' },
  SLU_HOSTAWARE_INVALID: { status: 400, error: 'validation' },
  // A pushed payload (an Alertmanager webhook) the receiver cannot read.
  SLU_HOSTAWARE_PARSE: { status: 400, error: 'validation' },
  SLU_NOT_FOUND: { status: 404, error: 'not_found' },
  SLU_CONFLICT: { status: 409, error: 'conflict' },
  SLU_OVSDB_UNAVAILABLE: { status: 503, error: 'ovsdb_unavailable' },
  CTL_REQUEST_TIMEOUT: { status: 504, error: 'switch_timeout' },
  CTL_OF_ERROR: { status: 502, error: 'switch_error' },
  CTL_SESSION_CLOSED: { status: 503, error: 'switch_error' },
  CTL_HANDSHAKE: { status: 503, error: 'switch_error' },
  CTL_APP_ORDER: INTERNAL,
  // A slave's change request: another member masters the switch (and applies the config from the store).
  CTL_NOT_MASTER: { status: 409, error: 'conflict' },
  // A store that cannot be reached (etcd down, the database file unopenable) or is shutting down: retry later.
  STORE_UNAVAILABLE: { status: 503, error: 'store_unavailable' },
  STORE_CLOSED: { status: 503, error: 'store_unavailable' },
  // The agent's dockerd: not answering (retry once it runs), or refusing what the agent asked of it.
  DOCKER_UNAVAILABLE: { status: 503, error: 'docker_unavailable' },
  DOCKER_API_ERROR: { status: 502, error: 'docker_error' },
  // The rest are bugs or a damaged data directory: apps validate what they store.
  STORE_INVALID: INTERNAL,
  STORE_LEASE_NOT_FOUND: INTERNAL,
  STORE_LOCKED: INTERNAL,
  STORE_CORRUPT: INTERNAL,
  OF_UNSUPPORTED: { status: 400, error: 'unsupported_by_switch' },
  OF_BAD_FIELD: INTERNAL,
  OF_BAD_LENGTH: INTERNAL,
  OF_TRUNCATED: INTERNAL,
  OF_BAD_VERSION: INTERNAL,
  OF_BAD_TYPE: INTERNAL,
};

const isErrorCode = (code: unknown): code is ErrorCode =>
  typeof code === 'string' && Object.hasOwn(ERROR_HTTP, code);

/**
 * An error with a stable `code` -> the API's error (an AppError's field named). Undefined for an `internal`
 * one (the error handler logs the original, then answers 500 without its message) and for uncoded errors.
 * A validation error of an app not in the table yet still answers 400 validation.
 */
export function codedErrorToHttp(err: unknown): HttpError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  const key = isErrorCode(code) ? code : err instanceof FieldError ? 'SLU_INVALID' : undefined;
  if (key === undefined || ERROR_HTTP[key].error === 'internal') return undefined;
  const { status, error } = ERROR_HTTP[key];
  // AppErrors name the request field; Docker's errors name `docker` (what is at fault is dockerd).
  const field = err instanceof AppError || key.startsWith('DOCKER_') ? (err as AppError).field : undefined;
  return new HttpError(status, error, (err as Error).message, field);
}

/** Runs an app call, its coded errors turned into the API's. */
export async function callApp<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw codedErrorToHttp(err) ?? err;
  }
}

/** A JSON object body (curl clients send it with any Content-Type); 400 naming `body` otherwise. */
export function objectBody(body: unknown, example: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'validation', `body: must be a JSON object ${example}`, 'body');
  }
  return body as Record<string, unknown>;
}
