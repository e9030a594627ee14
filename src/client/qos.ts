/**
 * QoS methods (/api/v1/qos): services, policies, QoS paths and port queues. Reply types are the schemas'
 * (src/schema); policies, paths and queues are open on the wire, their static types declared there.
 */
import type { Static } from '@sinclair/typebox';
import type * as S from '../schema/index.js';

/** A request body (hand-written): keys as Floodlight's QoS module takes them; values strings or numbers. */
export type QosPolicyFields = Record<string, string | number>;

export type QosStatus = Static<typeof S.QosStatus>;
export type QosService = Static<typeof S.QosService>;
/** A policy in the module's keys (policy-id, name, sw, priority, eth-type, ..., queue | service | rate-kbps). */
export type QosPolicy = Static<typeof S.QosPolicy>;
export type QosPath = Static<typeof S.QosPath>;
/** Rates in bit/s. */
export type QosPortQueues = Static<typeof S.QosPortQueues>;
export type { QosPlacement, QosQueue } from '../schema/index.js';

/** A request body (hand-written): a QoS path to add. */
export interface QosPathRequest {
  name: string;
  'src-ip': string;
  'dst-ip': string;
  /** A policy without sw, ip-src, ip-dst, enqueue-port, out-port and name (the path fills them in per hop). */
  policy: QosPolicyFields;
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
