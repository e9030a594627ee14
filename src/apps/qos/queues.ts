/**
 * Port queues (OVSDB QoS + Queue rows): the body that sets them,
 * `{port, type?, max-rate, queues: {"<id>": {min-rate, max-rate, burst?, priority?}}}`, rates in bit/s
 * (what ovs-vsctl's other-config takes), their API shape, and the verbs that read and write them in OVSDB.
 */
import type { Logger } from '../../controller/index.js';
import {
  OvsdbArgumentError,
  OvsdbClient,
  OvsdbError,
  OvsdbNotFoundError,
  Vswitch,
  type PortQos,
  type QosSpec,
  type QueueSpec,
} from '../../ovsdb/index.js';
import { NotFoundError, OvsdbUnavailableError } from '../../util/index.js';
import { objectOf, QosError, textOf, uintOf } from './policy.js';

export const DEFAULT_OVSDB_REMOTE = 'unix:/var/run/openvswitch/db.sock';

/** What the queue verbs need of OVSDB (a Vswitch; tests pass a fake). */
export type QueueStore = Pick<
  Vswitch,
  'listBridges' | 'listPorts' | 'getPortQos' | 'setPortQos' | 'clearPortQos'
>;

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

/** The queue verbs over one OVSDB connection, made on first use (and again after a failed attempt). */
export class PortQueues {
  private queueStore?: Promise<QueueStore>;
  private client?: OvsdbClient;

  constructor(
    private readonly log: Logger,
    private readonly remote = DEFAULT_OVSDB_REMOTE,
    private readonly factory?: () => Promise<QueueStore>,
  ) {}

  /** Ports with a QoS row (all bridges), or one port (404 when it has none). */
  async list(portRaw?: unknown): Promise<PortQueuesView[]> {
    const vs = await this.queues();
    if (portRaw !== undefined) {
      const port = portNameOf('port', portRaw);
      const q = await ovsdbCall(() => vs.getPortQos(port));
      return q ? [portQosView(port, q)] : [];
    }
    const out: PortQueuesView[] = [];
    for (const br of await ovsdbCall(() => vs.listBridges())) {
      for (const port of await ovsdbCall(() => vs.listPorts(br))) {
        const q: PortQos | undefined = await ovsdbCall(() => vs.getPortQos(port));
        if (q) out.push(portQosView(port, q));
      }
    }
    return out.sort((a, b) => a.port.localeCompare(b.port));
  }

  async set(body: unknown): Promise<{ changed: boolean; queues: PortQueuesView }> {
    const { port, spec } = parseQueuesBody(body);
    const vs = await this.queues();
    const changed = await ovsdbCall(() => vs.setPortQos(port, spec));
    const now = await ovsdbCall(() => vs.getPortQos(port));
    this.log.info({ port, changed }, 'port queues set');
    return { changed, queues: portQosView(port, now!) };
  }

  async clear(portRaw: unknown): Promise<{ port: string; cleared: boolean }> {
    if (portRaw === undefined) throw new QosError('port', 'is required');
    const port = portNameOf('port', portRaw);
    const vs = await this.queues();
    const cleared = await ovsdbCall(() => vs.clearPortQos(port));
    this.log.info({ port, cleared }, 'port queues cleared');
    return { port, cleared };
  }

  async close(): Promise<void> {
    await this.client?.close();
  }

  private async queues(): Promise<QueueStore> {
    if (!this.queueStore) {
      const attempt = this.factory ? this.factory() : this.connect();
      this.queueStore = attempt;
      attempt.catch(() => {
        if (this.queueStore === attempt) this.queueStore = undefined;
      });
    }
    try {
      return await this.queueStore;
    } catch (err) {
      throw new OvsdbUnavailableError(
        'ovsdb',
        `cannot reach OVSDB at ${this.remote}: ${(err as Error).message}`,
      );
    }
  }

  private async connect(): Promise<QueueStore> {
    const client = new OvsdbClient({ remote: this.remote, reconnect: { maxDelayMs: 5000 } });
    await client.connect();
    this.client = client;
    return new Vswitch(client);
  }
}

/** OVSDB failures: a bad argument or an unknown port is the caller's (400/404), the rest is OVSDB's (503). */
async function ovsdbCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof OvsdbArgumentError) throw new QosError(`queues.${err.field}`, err.reason);
    if (err instanceof OvsdbNotFoundError) {
      throw new NotFoundError('port', `OVSDB has no ${err.table} '${err.key}'`);
    }
    if (err instanceof OvsdbError) throw new OvsdbUnavailableError('ovsdb', err.message);
    throw err;
  }
}
