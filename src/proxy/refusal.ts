/**
 * How an adapter says no. Protocol v1 has no way for a pre-hook to answer the client itself, so a refusal is
 * an error answer in Docker's own shape: status 400 (bad parameter), 403 (forbidden) or 409 (conflict), the
 * statuses dockerd uses for a request it refuses, with a body `{"message": "..."}`. The proxy stops the chain
 * and the client gets that status and `sluice proxy: adapter "x" refused the request: <message>`, instead of
 * the 502 of a broken adapter. Shared by the SDK's server (which answers that way) and the caller (which
 * reads it back, and maps in-process adapters' errors the same way).
 */
import { AppError, ConflictError } from '../util/index.js';

export type RefusalStatus = 400 | 403 | 409;
export const REFUSAL_STATUSES: ReadonlySet<number> = new Set<RefusalStatus>([400, 403, 409]);

/** Thrown by a hook to refuse the request; `refuse()` is the short way. */
export class Refusal extends Error {
  constructor(
    message: string,
    readonly status: RefusalStatus = 403,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

/** Refuses the request being hooked: the docker CLI prints the message (status 403 unless told). */
export function refuse(message: string, status: RefusalStatus = 403): never {
  throw new Refusal(message, status);
}

/**
 * The HTTP status an adapter answers when its hook throws `err`: a Refusal's own, 400 for Sluice's
 * validation errors (FieldError naming a key, such as a bad SOCKETPLANE_CIDR), 409 for a ConflictError, any
 * other error with a numeric 4xx/5xx `status` its own, and 500 for the rest (a bug in the adapter).
 */
export function hookErrorStatus(err: unknown): number {
  if (err instanceof ConflictError) return 409;
  if (err instanceof AppError && err.code.endsWith('_INVALID')) return 400;
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599) return status;
  return 500;
}
