/**
 * The cluster CA: made on first use and kept in the store at `/pki/ca` (certificate and private key, PEM).
 *
 * Why the key lives in the store: every controller of a cluster must sign node certificates with the same CA
 * and trust the ones the others signed, and the CA must outlive a restart; the store (the embedded SQLite file
 * of a single controller, or the etcd cluster several share) is the one durable state they all have. So whoever
 * can read the store can sign certificates: keep the data directory private and etcd behind TLS and auth.
 */
import { randomBytes } from 'node:crypto';
import type { CaCertificate, SignedCertificate } from '../schema/index.js';
import type { Store } from '../store/index.js';
import { FieldError } from '../util/index.js';
import {
  createCa,
  fingerprintOf,
  issueKeyPair,
  loadCa,
  signRequest,
  type KeyPair,
  type LeafSubject,
  type LoadedCa,
} from './x509.js';

export const CA_KEY = '/pki/ca';

/** The stored record. */
interface StoredCa {
  certificate: string;
  private_key: string;
  created: string;
}

function parseStored(value: unknown): StoredCa {
  const v = value as Partial<StoredCa> | null;
  if (
    !v ||
    typeof v !== 'object' ||
    typeof v.certificate !== 'string' ||
    typeof v.private_key !== 'string' ||
    typeof v.created !== 'string'
  ) {
    throw new Error(`${CA_KEY}: expected {certificate, private_key, created} (PEM strings and a date)`);
  }
  return v as StoredCa;
}

/** The node names a certificate may carry (the descriptions' pattern): nothing to escape in a CN. */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export class ClusterCa {
  readonly certificate: string;
  readonly fingerprint: string;

  private constructor(private readonly ca: LoadedCa) {
    this.certificate = ca.pem;
    this.fingerprint = fingerprintOf(ca.pem);
  }

  static async from(pair: KeyPair): Promise<ClusterCa> {
    return new ClusterCa(await loadCa(pair));
  }

  /** GET /api/v1/pki/ca. */
  info(): CaCertificate {
    return { certificate: this.certificate, fingerprint: this.fingerprint };
  }

  /** A node's certificate from its request (400 naming `csr` for a bad one). */
  async sign(node: string, csrPem: string, now = Date.now()): Promise<SignedCertificate> {
    if (!NODE_NAME.test(node)) throw new FieldError('node', `${JSON.stringify(node)} is not a node name`);
    const { certificate, notAfter } = await signRequest(this.ca, csrPem, node, now);
    return {
      certificate,
      ca: this.certificate,
      fingerprint: fingerprintOf(certificate),
      not_after: notAfter.toISOString(),
    };
  }

  /** A key and certificate for one of the controller's own listeners (nodes check it against this CA). */
  issue(who: LeafSubject, now = Date.now()): Promise<KeyPair> {
    return issueKeyPair(this.ca, who, now);
  }
}

/**
 * The cluster's CA from the store, made and stored first when there is none. Two controllers starting together
 * both try; compare-and-swap lets one win and the other reads the winner's.
 */
export async function openClusterCa(store: Store, now = Date.now()): Promise<ClusterCa> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const entry = await store.get(CA_KEY);
    if (entry) {
      const stored = parseStored(entry.value);
      try {
        return await ClusterCa.from({ certificate: stored.certificate, privateKey: stored.private_key });
      } catch (err) {
        // Never replaced silently: every node certificate depends on it.
        throw new Error(
          `${CA_KEY}: the stored cluster CA cannot be used (${(err as Error).message}); restore it from a backup, ` +
            'or delete the key to make a new CA (then provision every node again)',
          { cause: err },
        );
      }
    }
    const made = await createCa(now, `Sluice cluster CA ${randomBytes(4).toString('hex')}`);
    const record: StoredCa = {
      certificate: made.certificate,
      private_key: made.privateKey,
      created: new Date(now).toISOString(),
    };
    if (await store.compareAndSwap(CA_KEY, 0, record)) return ClusterCa.from(made);
  }
  throw new Error(
    `${CA_KEY}: the cluster CA keeps changing in the store; is another controller rewriting it?`,
  );
}

/** The CA made or read once, on first use; a failed attempt is tried again on the next call. */
export function lazyClusterCa(store: Store): () => Promise<ClusterCa> {
  let pending: Promise<ClusterCa> | undefined;
  return () => {
    pending ??= openClusterCa(store).catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
