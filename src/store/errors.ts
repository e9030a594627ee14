import { SluiceError } from '../util/index.js';

export type StoreErrorCode =
  | 'STORE_INVALID' // a key, value, prefix, TTL or option failed validation
  | 'STORE_LEASE_NOT_FOUND'
  | 'STORE_CLOSED'
  | 'STORE_LOCKED' // another process (or another Store in this one) holds the data directory
  | 'STORE_CORRUPT' // the database file or a stored record cannot be read
  | 'STORE_UNAVAILABLE'; // the backend cannot be reached (etcd)

/** Every store failure; one class, the `code` says which (the store's callers branch on it). */
export class StoreError extends SluiceError {
  constructor(
    override readonly code: StoreErrorCode,
    /** What was wrong: 'key', 'value.rules[2].port', 'ttlSeconds', the key of a corrupt record, a file path... */
    readonly field: string | undefined,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(field === undefined ? reason : `${field}: ${reason}`, options);
  }
}

export function invalid(field: string, reason: string): StoreError {
  return new StoreError('STORE_INVALID', field, reason);
}

/** Default sink for errors no caller can receive (a throwing watcher, a failed background expiry). */
export function warnInBackground(err: unknown, context: string): void {
  process.emitWarning(`store: ${context}: ${err instanceof Error ? err.message : String(err)}`, {
    code: 'SLUICE_STORE',
  });
}
