/** QoS methods (/api/v1/qos): services, policies, QoS paths and port queues. */

/** Keys as Floodlight's QoS module takes them; values as strings or numbers. */
export type QosPolicyFields = Record<string, string | number>;

export interface QosStatus {
  enabled: boolean;
  services: number;
  policies: number;
  paths: number;
}

export interface QosService {
  sid: number;
  name: string;
  /** The ToS byte (DSCP << 2). */
  tos: number;
}

export interface QosPlacement {
  switch: string;
  'out-port'?: number;
  problem?: { field: string; reason: string };
}

/** A policy in the module's keys (policy-id, name, sw, priority, eth-type, ..., queue | service | rate-kbps). */
export type QosPolicy = Record<string, unknown> & {
  'policy-id': number;
  name: string;
  sw: string;
  priority: number;
  placements: QosPlacement[];
};

export interface QosPathRequest {
  name: string;
  'src-ip': string;
  'dst-ip': string;
  /** A policy without sw, ip-src, ip-dst, enqueue-port, out-port and name (the path fills them in per hop). */
  policy: QosPolicyFields;
}

export interface QosPath {
  path: {
    'path-id': number;
    name: string;
    'src-ip': string;
    'dst-ip': string;
    policy: Record<string, unknown>;
  };
  state: 'active' | 'waiting';
  reason?: string;
  hops: { switch: string; 'in-port': number; 'out-port': number }[];
}

export interface QosQueue {
  'min-rate'?: number;
  'max-rate'?: number;
  burst?: number;
  priority?: number;
}

/** Rates in bit/s. */
export interface QosPortQueues {
  port: string;
  type?: string;
  'max-rate': number;
  queues: Record<string, QosQueue>;
}

type Request = <T>(
  method: string,
  path: string,
  opts?: { query?: Record<string, string | undefined>; body?: unknown },
) => Promise<T>;

const seg = (s: string | number) => encodeURIComponent(String(s));

export function qosMethods(request: Request) {
  return {
    status: () => request<QosStatus>('GET', '/api/v1/qos'),
    enable: () => request<{ enabled: boolean }>('PUT', '/api/v1/qos', { body: { enabled: true } }),
    disable: () => request<{ enabled: boolean }>('PUT', '/api/v1/qos', { body: { enabled: false } }),
    services: () => request<QosService[]>('GET', '/api/v1/qos/services'),
    addService: (service: { name: string; tos: number | string }) =>
      request<QosService>('POST', '/api/v1/qos/services', { body: service }),
    deleteService: (sid: number | string) =>
      request<{ deleted: QosService }>('DELETE', `/api/v1/qos/services/${seg(sid)}`),
    policies: () => request<QosPolicy[]>('GET', '/api/v1/qos/policies'),
    policy: (id: number | string) => request<QosPolicy>('GET', `/api/v1/qos/policies/${seg(id)}`),
    addPolicy: (policy: QosPolicyFields) =>
      request<QosPolicy>('POST', '/api/v1/qos/policies', { body: policy }),
    deletePolicy: (id: number | string) =>
      request<{ deleted: Record<string, unknown> }>('DELETE', `/api/v1/qos/policies/${seg(id)}`),
    paths: () => request<QosPath[]>('GET', '/api/v1/qos/paths'),
    addPath: (path: QosPathRequest) => request<QosPath>('POST', '/api/v1/qos/paths', { body: path }),
    deletePath: (name: string) => request<{ deleted: QosPath }>('DELETE', `/api/v1/qos/paths/${seg(name)}`),
    /** Every port with a QoS (or one port), as OVSDB has it. */
    queues: (port?: string) => request<QosPortQueues[]>('GET', '/api/v1/qos/queues', { query: { port } }),
    setQueues: (spec: QosPortQueues) =>
      request<{ changed: boolean; queues: QosPortQueues }>('PUT', '/api/v1/qos/queues', { body: spec }),
    clearQueues: (port: string) =>
      request<{ port: string; cleared: boolean }>('DELETE', '/api/v1/qos/queues', { query: { port } }),
  };
}

export type QosMethods = ReturnType<typeof qosMethods>;
