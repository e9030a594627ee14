/**
 * /api/v1/pki: the cluster CA's certificate, and signing a node's certificate request (what `sluice node
 * provision` does for each node). The API token guards both like every route: signing hands out identities.
 */
import type { FastifyInstance } from 'fastify';
import type { CaCertificate, SignedCertificate } from '../../schema/index.js';
import type { RouteArea } from '../context.js';
import { callApp } from '../errors.js';
import { replies } from '../responses.js';
import {
  CaCertificate as CaReply,
  SignedCertificate as SignedReply,
  SignRequest,
} from '../../schema/index.js';

/** What the routes need of the PKI. Errors: FieldError `csr` (400), NotFoundError `node` (404). */
export interface PkiView {
  ca(): Promise<CaCertificate>;
  sign(node: string, csr: string): Promise<SignedCertificate>;
}

const tags = ['pki'];

export function pkiRoutes(view: PkiView): RouteArea {
  return (app: FastifyInstance) => {
    app.get(
      '/api/v1/pki/ca',
      {
        schema: {
          tags,
          summary: "The cluster CA's certificate (made on first use): what nodes trust the controller by",
          response: replies(CaReply),
        },
      },
      () => callApp(() => view.ca()),
    );
    app.post<{ Body: { node: string; csr: string } }>(
      '/api/v1/pki/sign',
      {
        schema: {
          tags,
          summary:
            "Sign a node's PKCS#10 request: a certificate for the request's key with CN = the node's name " +
            '(its description must be applied)',
          body: SignRequest,
          response: replies(SignedReply),
        },
      },
      (req) => callApp(() => view.sign(req.body.node, req.body.csr)),
    );
  };
}
