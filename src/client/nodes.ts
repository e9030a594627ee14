/**
 * Node methods (issue 12): the stored description of a node and of the control cluster, and transport-node
 * registrations, as `sluice node provision` uses them. Types are the schemas' (src/schema/nodes.ts). The
 * nodes app's helper extends this object with the rest of the node routes, under the same names.
 */
import type * as S from '../schema/index.js';

export type {
  ClusterDescriptionRecord,
  ControlCluster,
  NodeDescription,
  NodeDocument,
  NodeRecord,
  TransportNode,
  TransportNodeRegistration,
} from '../schema/index.js';

type Request = <T>(
  method: string,
  path: string,
  opts?: { query?: Record<string, string | undefined>; body?: unknown },
) => Promise<T>;

const seg = (s: string) => encodeURIComponent(s);

export function nodesMethods(request: Request) {
  return {
    get: (name: string) => request<S.NodeRecord>('GET', `/api/v1/nodes/${seg(name)}`),
    clusterDescription: () => request<S.ClusterDescriptionRecord>('GET', '/api/v1/cluster/description'),
    transportNode: (name: string) => request<S.TransportNode>('GET', `/api/v1/transport-nodes/${seg(name)}`),
    /** What provisioning does last: the node's description must be applied and agree. */
    register: (name: string, registration: S.TransportNodeRegistration) =>
      request<S.TransportNode>('PUT', `/api/v1/transport-nodes/${seg(name)}`, { body: registration }),
    unregister: (name: string) => request<S.TransportNode>('DELETE', `/api/v1/transport-nodes/${seg(name)}`),
  };
}

export type NodesMethods = ReturnType<typeof nodesMethods>;
