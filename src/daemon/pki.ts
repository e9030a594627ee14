/** The PKI routes' view: the cluster CA from the store, signing only for nodes whose description is applied. */
import type { PkiView } from '../api/routes/pki.js';
import { requestedKey, type ClusterCa } from '../pki/index.js';
import { NotFoundError } from '../util/index.js';

export function pkiView(
  ca: () => Promise<ClusterCa>,
  nodeExists: (name: string) => Promise<boolean>,
): PkiView {
  return {
    ca: async () => (await ca()).info(),
    async sign(node, csr) {
      // The request is checked first: a bad one is a 400 whatever the node.
      await requestedKey(csr);
      if (!(await nodeExists(node))) {
        throw new NotFoundError(
          'node',
          `no description of node ${node} is applied: apply it first (sluice node apply FILE)`,
        );
      }
      return (await ca()).sign(node, csr);
    },
  };
}
