/**
 * The cluster's PKI: a CA kept in the store (made on first use), node certificates signed from PKCS#10
 * requests (CN = the node's name), and the controller's own certificates for the listeners nodes dial.
 */
export { CA_KEY, ClusterCa, lazyClusterCa, openClusterCa } from './ca.js';
export {
  CA_LIFETIME_MS,
  LEAF_LIFETIME_MS,
  fingerprintOf,
  requestedKey,
  type KeyPair,
  type LeafSubject,
} from './x509.js';
