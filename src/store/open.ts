import { StoreError } from './errors.js';
import { openEmbeddedStore, type EmbeddedStoreOptions } from './embedded.js';
import { openEtcdStore } from './etcd.js';
import type { Store } from './types.js';

export type StoreConfig =
  | { backend: 'embedded'; dataDir: string }
  | { backend: 'etcd'; endpoints: string[]; namespace?: string; requestTimeoutMs?: number };

/**
 * Opens the backend a config section names (the daemon's `store:` section). `config` is checked here, where
 * it enters from a file, with errors naming `<field>` (e.g. `store.backend`).
 */
export function openStore(
  config: unknown,
  field = 'store',
  opts: Pick<EmbeddedStoreOptions, 'onError'> = {},
): Store {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new StoreError('STORE_INVALID', field, 'must be an object');
  }
  const c = config as Record<string, unknown>;
  const allowed: Record<string, string[]> = {
    embedded: ['backend', 'dataDir'],
    etcd: ['backend', 'endpoints', 'namespace', 'requestTimeoutMs'],
  };
  const backend = c.backend;
  if (typeof backend !== 'string' || !(backend in allowed)) {
    throw new StoreError(
      'STORE_INVALID',
      `${field}.backend`,
      `must be 'embedded' or 'etcd', got ${String(backend)}`,
    );
  }
  for (const k of Object.keys(c)) {
    if (!allowed[backend].includes(k)) {
      throw new StoreError('STORE_INVALID', `${field}.${k}`, `unknown setting for the ${backend} backend`);
    }
  }
  try {
    if (backend === 'embedded') return openEmbeddedStore(c.dataDir as string, opts);
    return openEtcdStore({
      endpoints: c.endpoints as string[],
      namespace: c.namespace as string | undefined,
      requestTimeoutMs: c.requestTimeoutMs as number | undefined,
      onError: opts.onError,
    });
  } catch (err) {
    // The backends name their own options (dataDir, endpoints[0]); prefix them with where they sit in the config.
    if (err instanceof StoreError && err.code === 'STORE_INVALID' && err.field !== undefined) {
      throw new StoreError('STORE_INVALID', `${field}.${err.field}`, err.reason, { cause: err });
    }
    throw err;
  }
}
