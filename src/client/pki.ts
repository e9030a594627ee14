/**
 * The cluster CA's methods (/api/v1/pki, issue 12): its certificate, and signing a node's certificate request,
 * which is how `sluice node provision` gives a node the certificate its OVSDB and OpenFlow connections present.
 */
import type * as S from '../schema/index.js';

export type { CaCertificate, SignedCertificate, SignRequest } from '../schema/index.js';

type Request = <T>(method: string, path: string, opts?: { body?: unknown }) => Promise<T>;

export function pkiMethods(request: Request) {
  return {
    ca: () => request<S.CaCertificate>('GET', '/api/v1/pki/ca'),
    /** The node's description must be applied: the certificate is for that name. */
    sign: (req: S.SignRequest) => request<S.SignedCertificate>('POST', '/api/v1/pki/sign', { body: req }),
  };
}

export type PkiMethods = ReturnType<typeof pkiMethods>;
