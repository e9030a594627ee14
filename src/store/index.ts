/**
 * Durable state behind one interface (`Store`): JSON values under '/'-separated keys, a store-wide revision
 * (etcd's mod_revision), compare-and-swap, prefix list/watch and leases.
 *
 *   openEmbeddedStore(dataDir, {clock?, onError?})   one SQLite file (WAL, synchronous=FULL), one process
 *   openEtcdStore({endpoints, namespace?, ...})       etcd v3, keys under `namespace` (default '/sluice')
 *   openStore(configSection)                          either, from a validated config section
 *   collection(store, '/apps/x/items/', validate)     typed records by name, validated on write and read
 *   store.batch?(ops)                                 embedded only: several puts/deletes in one commit
 *
 * Every failure is a StoreError {code, field, reason}; codes: STORE_INVALID, STORE_LEASE_NOT_FOUND,
 * STORE_CLOSED, STORE_LOCKED, STORE_CORRUPT, STORE_UNAVAILABLE.
 */
export type { BatchOp, Clock, Entry, PutOptions, Store, WatchCallback, WatchEvent } from './types.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { LIMITS } from './validate.js';
export { systemClock, FakeClock } from './clock.js';
export { openEmbeddedStore, type EmbeddedStoreOptions } from './embedded.js';
export {
  openEtcdStore,
  validateEtcdEndpoints,
  validateEtcdNamespace,
  ETCD_DEFAULT_NAMESPACE,
  type EtcdStoreOptions,
} from './etcd.js';
export { openStore, type StoreConfig } from './open.js';
export { collection, type Collection, type Item, type ListOptions } from './collection.js';
