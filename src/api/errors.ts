/** The API's one error shape: `{"error": code, "detail": human text, "field": name}` with a 4xx/5xx status. */

export type ApiErrorCode =
  | 'bad_request'
  | 'bad_json'
  | 'validation'
  | 'unauthorized'
  | 'not_found'
  | 'no_route'
  | 'payload_too_large'
  | 'unsupported_by_switch'
  | 'switch_error'
  | 'switch_timeout'
  | 'internal';

export interface ApiErrorBody {
  error: ApiErrorCode | string;
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

/** Statuses of app errors that are not 'validation'. */
const APP_ERROR_CODES: Readonly<Record<number, string>> = {
  404: 'not_found',
  409: 'conflict',
  503: 'ovsdb_unavailable',
};

/**
 * App errors that name a field ({status, field, reason}: FieldError, QosError) -> the API's error shape;
 * anything else passes through.
 */
export function appErrorToHttp(err: unknown): unknown {
  const e = err as { status?: unknown; field?: unknown; reason?: unknown; message?: string };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 600 && typeof e.field === 'string') {
    const code = APP_ERROR_CODES[e.status] ?? 'validation';
    const reason = typeof e.reason === 'string' ? e.reason : (e.message ?? 'invalid');
    return new HttpError(e.status, code as ApiErrorCode, `${e.field}: ${reason}`, e.field);
  }
  return err;
}

/** Runs an app call, its field-naming errors turned into the API's. */
export async function callApp<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw appErrorToHttp(err);
  }
}

/** A JSON object body (curl clients send it with any Content-Type); 400 naming `body` otherwise. */
export function objectBody(body: unknown, example: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'validation', `body: must be a JSON object ${example}`, 'body');
  }
  return body as Record<string, unknown>;
}
