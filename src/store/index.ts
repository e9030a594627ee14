export type { Clock, Entry, PutOptions, Store, WatchCallback, WatchEvent } from './types.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { LIMITS } from './validate.js';
export { systemClock, FakeClock } from './clock.js';
export { openEmbeddedStore, type EmbeddedStoreOptions } from './embedded.js';
export { collection, type Collection, type Item, type ListOptions } from './collection.js';
export { openEtcdStore, type EtcdStoreOptions } from './etcd.js';
