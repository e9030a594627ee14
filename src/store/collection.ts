import { StoreError } from './errors.js';
import type { PutOptions, Store } from './types.js';
import { validateKey, validatePrefix } from './validate.js';

export interface Item<T> {
  /** The key without the collection's prefix. */
  name: string;
  key: string;
  value: T;
  revision: number;
}

export interface ListOptions {
  /** Skip records that fail validation and report each here, instead of rejecting the whole list. */
  onInvalid?: (err: StoreError) => void;
}

export interface Collection<T> {
  readonly prefix: string;
  /** Direct children of the prefix, ordered by name; deeper keys belong to someone else and are left out. */
  list(opts?: ListOptions): Promise<Item<T>[]>;
  get(name: string): Promise<Item<T> | undefined>;
  /** Validates `value` before writing, so nothing is stored that would not read back. Returns the revision. */
  put(name: string, value: T, opts?: PutOptions): Promise<number>;
  compareAndSwap(name: string, expectedRevision: number, value: T, opts?: PutOptions): Promise<boolean>;
  delete(name: string): Promise<boolean>;
}

/**
 * Typed records under `prefix` (which ends with '/'). `validate` returns the typed value or throws an Error
 * saying what is wrong; a stored record it rejects reads as StoreError STORE_CORRUPT naming the key.
 */
export function collection<T>(store: Store, prefix: string, validate: (v: unknown) => T): Collection<T> {
  validatePrefix(prefix);
  if (!prefix.endsWith('/'))
    throw new StoreError('STORE_INVALID', 'prefix', `must end with '/', got ${prefix}`);

  const keyOf = (name: string): string => {
    if (typeof name !== 'string' || name.length === 0)
      throw new StoreError('STORE_INVALID', 'name', 'must be non-empty');
    if (name.includes('/'))
      throw new StoreError('STORE_INVALID', 'name', `must not contain '/', got ${name}`);
    return validateKey(prefix + name, 'name');
  };

  const checkOnWrite = (key: string, value: T): void => {
    try {
      validate(value);
    } catch (err) {
      throw new StoreError('STORE_INVALID', 'value', `${key}: ${messageOf(err)}`, { cause: err });
    }
  };

  const readBack = (key: string, value: unknown, revision: number): Item<T> => {
    let typed: T;
    try {
      typed = validate(value);
    } catch (err) {
      throw new StoreError('STORE_CORRUPT', key, `stored record is invalid: ${messageOf(err)}`, {
        cause: err,
      });
    }
    return { name: key.slice(prefix.length), key, value: typed, revision };
  };

  return {
    prefix,
    async list(opts = {}) {
      const items: Item<T>[] = [];
      for (const e of await store.list(prefix)) {
        if (e.key.length === prefix.length || e.key.indexOf('/', prefix.length) !== -1) continue;
        try {
          items.push(readBack(e.key, e.value, e.revision));
        } catch (err) {
          if (!opts.onInvalid || !(err instanceof StoreError)) throw err;
          opts.onInvalid(err);
        }
      }
      return items;
    },
    async get(name) {
      const key = keyOf(name);
      const e = await store.get(key);
      return e && readBack(key, e.value, e.revision);
    },
    async put(name, value, opts) {
      const key = keyOf(name);
      checkOnWrite(key, value);
      return store.put(key, value, opts);
    },
    async compareAndSwap(name, expectedRevision, value, opts) {
      const key = keyOf(name);
      checkOnWrite(key, value);
      return store.compareAndSwap(key, expectedRevision, value, opts);
    },
    async delete(name) {
      return store.delete(keyOf(name));
    },
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
