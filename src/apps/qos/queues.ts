/**
 * Port queues (OVSDB QoS + Queue rows) in the API's shape, and the body that sets them:
 * `{port, type?, max-rate, queues: {"<id>": {min-rate, max-rate, burst?, priority?}}}`, rates in bit/s
 * (what ovs-vsctl's other-config takes). Pure: the app does the OVSDB calls.
 */
import type { PortQos, QosSpec, QueueSpec } from '../../ovsdb/index.js';
import { objectOf, QosError, textOf, uintOf } from './policy.js';

export interface QueueView {
  'min-rate'?: number;
  'max-rate'?: number;
  burst?: number;
  priority?: number;
}

export interface PortQueuesView {
  port: string;
  type: string;
  'max-rate'?: number;
  queues: Record<string, QueueView>;
}

const QOS_TYPES = ['linux-htb', 'linux-hfsc'] as const;
const BODY_KEYS = ['port', 'type', 'max-rate', 'queues'];
const QUEUE_FIELDS = [
  ['min-rate', 'minRate'],
  ['max-rate', 'maxRate'],
  ['burst', 'burst'],
  ['priority', 'priority'],
] as const;
/** Rates are 64-bit in OVS; JSON numbers are exact below 2^53, far above any link speed. */
const RATE_MAX = Number.MAX_SAFE_INTEGER;

/** An interface/port name as OVS allows it (Linux IFNAMSIZ: 15 characters). */
export function portNameOf(field: string, raw: unknown): string {
  const name = textOf(field, raw, 15);
  if (!/^[A-Za-z0-9_.:-]+$/.test(name)) throw new QosError(field, `'${name}' is not a port name`);
  return name;
}

/** The PUT body -> the port name and the OVSDB spec. Throws QosError naming the key. */
export function parseQueuesBody(body: unknown): { port: string; spec: QosSpec } {
  const raw = objectOf('body', body);
  for (const k of Object.keys(raw)) {
    if (!BODY_KEYS.includes(k)) throw new QosError(k, `is not a known key (known: ${BODY_KEYS.join(', ')})`);
  }
  if (raw.port === undefined) throw new QosError('port', 'is required');
  const port = portNameOf('port', raw.port);
  const type = raw.type === undefined ? 'linux-htb' : textOf('type', raw.type);
  if (!(QOS_TYPES as readonly string[]).includes(type)) {
    throw new QosError('type', `must be one of ${QOS_TYPES.join(', ')}`);
  }
  if (raw['max-rate'] === undefined) throw new QosError('max-rate', 'is required (bit/s for the whole port)');
  const maxRate = uintOf('max-rate', raw['max-rate'], RATE_MAX, 1);
  if (raw.queues === undefined) throw new QosError('queues', 'is required ({"<id>": {"max-rate": ...}})');
  const qraw = objectOf('queues', raw.queues);
  const ids = Object.keys(qraw);
  if (ids.length === 0) throw new QosError('queues', 'must have at least one queue');
  const queues: Record<number, QueueSpec> = {};
  for (const idText of ids) {
    const f = `queues.${idText}`;
    if (!/^\d{1,10}$/.test(idText) || Number(idText) > 0xfffffffe) {
      throw new QosError(f, 'queue ids are integers 0..4294967294');
    }
    const q = objectOf(f, qraw[idText]);
    const spec: QueueSpec = {};
    for (const k of Object.keys(q)) {
      const known = QUEUE_FIELDS.find(([key]) => key === k);
      if (!known) throw new QosError(`${f}.${k}`, 'is not a known key (min-rate, max-rate, burst, priority)');
      spec[known[1]] = uintOf(`${f}.${k}`, q[k], k === 'priority' ? 0xffffffff : RATE_MAX);
    }
    if (spec.maxRate !== undefined && spec.maxRate > maxRate) {
      throw new QosError(`${f}.max-rate`, `${spec.maxRate} is above the port's max-rate ${maxRate}`);
    }
    if (spec.minRate !== undefined && spec.maxRate !== undefined && spec.minRate > spec.maxRate) {
      throw new QosError(`${f}.min-rate`, `${spec.minRate} is above this queue's max-rate ${spec.maxRate}`);
    }
    queues[Number(idText)] = spec;
  }
  return { port, spec: { type, maxRate, queues } };
}

export function portQosView(port: string, q: PortQos): PortQueuesView {
  const queues: Record<string, QueueView> = {};
  for (const [id, spec] of Object.entries(q.queues)) {
    const v: QueueView = {};
    for (const [key, prop] of QUEUE_FIELDS) if (spec[prop] !== undefined) v[key] = spec[prop];
    queues[id] = v;
  }
  return { port, type: q.type, ...(q.maxRate !== undefined ? { 'max-rate': q.maxRate } : {}), queues };
}
