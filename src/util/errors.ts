/**
 * The error model shared by controller, store and apps (ovsdb and openflow keep their own, same style): one
 * class per kind of failure, each with a stable `code` string (as undici's `UND_ERR_*`) and its class name as
 * `name`. Callers branch on `instanceof` in-process; the API maps `code` to an HTTP status in one table.
 */

/** Base of the errors with a stable `code`. */
export abstract class SluiceError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Codes of the errors apps report to their callers. Validation errors are `SLU_INVALID` or an app's own
 * `SLU_<APP>_INVALID` (its subclass of FieldError).
 */
export type AppErrorCode = ValidationErrorCode | 'SLU_NOT_FOUND' | 'SLU_CONFLICT' | 'SLU_OVSDB_UNAVAILABLE';
export type ValidationErrorCode = 'SLU_INVALID' | `SLU_${Uppercase<string>}_INVALID`;

/** An error about one named input (a body key, a path parameter, an option): what is wrong with it, and why. */
export abstract class AppError extends SluiceError {
  abstract override readonly code: AppErrorCode;
  constructor(
    /** The key or option at fault (`src-ip`, `ipv4_dst`, `switch`, `[2].name`...). */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }

  /** The same error (same class) about `prefix.field`, e.g. the third entry of a list: `[2].name`. */
  under(prefix: string): this {
    const Same = this.constructor as new (field: string, reason: string) => this;
    return new Same(prefix + this.field, this.reason);
  }
}

/** Bad input: the common validation error; each app's own (QosError, EntryError, RuleError) extends it. */
export class FieldError extends AppError {
  override readonly code: ValidationErrorCode = 'SLU_INVALID';
}

/** The input names something that does not exist (no rule 7, no service with that sid). */
export class NotFoundError extends AppError {
  override readonly code = 'SLU_NOT_FOUND';
}

/** The input clashes with what exists (a name taken, a rule that duplicates another, no id left). */
export class ConflictError extends AppError {
  override readonly code = 'SLU_CONFLICT';
}

/** The OVSDB server an operation needs cannot be reached or failed; the input may be fine. */
export class OvsdbUnavailableError extends AppError {
  override readonly code = 'SLU_OVSDB_UNAVAILABLE';
}

/**
 * The shared value parsers (parseIntIn, parseMac, parsePrefix...) throw FieldError; an app wraps them with this
 * so the same failure comes out as its own subclass (`instanceof QosError` holds for every QoS input error).
 */
export function throwingAs<E extends FieldError>(Err: new (field: string, reason: string) => E) {
  return <A extends unknown[], R>(parse: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return parse(...args);
      } catch (err) {
        if (err instanceof FieldError && !(err instanceof Err)) throw new Err(err.field, err.reason);
        throw err;
      }
    };
}
