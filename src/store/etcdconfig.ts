/**
 * The etcd store's settings and their checks, apart from etcd.ts so the CLI validates its flags without
 * loading the etcd client (gRPC).
 */
import { StoreError } from './errors.js';
import * as check from './validate.js';

/** Where Sluice's keys live in etcd unless `namespace` says otherwise. */
export const ETCD_DEFAULT_NAMESPACE = '/sluice';

/** A namespace as openEtcdStore takes it ('' or '/a/b', no trailing '/'); errors name `namespace`. */
export function validateEtcdNamespace(namespace: unknown): string {
  if (namespace === '') return '';
  const ns = check.validatePrefix(namespace, 'namespace');
  if (ns.endsWith('/')) {
    throw new StoreError('STORE_INVALID', 'namespace', "must not end with '/' (keys start with one)");
  }
  return ns;
}

/** Client URLs as openEtcdStore takes them (http(s)://host:port); errors name `endpoints[i]`. */
export function validateEtcdEndpoints(endpoints: unknown): string[] {
  if (!Array.isArray(endpoints) || endpoints.length === 0) {
    throw new StoreError('STORE_INVALID', 'endpoints', 'must be a non-empty array of URLs');
  }
  const checked = endpoints.map((e, i) => {
    const field = `endpoints[${i}]`;
    if (typeof e !== 'string') throw new StoreError('STORE_INVALID', field, 'must be a string');
    let url: URL;
    try {
      url = new URL(e);
    } catch {
      throw new StoreError('STORE_INVALID', field, `not a URL: ${e}`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.port || url.pathname.length > 1) {
      throw new StoreError('STORE_INVALID', field, `must look like http://host:port, got ${e}`);
    }
    return e;
  });
  // The etcd client talks TLS to every endpoint or to none.
  if (new Set(checked.map((e) => new URL(e).protocol)).size > 1) {
    throw new StoreError('STORE_INVALID', 'endpoints', 'must all be http:// or all https://, not a mix');
  }
  return checked;
}
