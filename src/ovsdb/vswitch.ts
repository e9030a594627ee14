import { type Atom, mapOf, NamedUuid, optionalOf, setOf, stringMapOf, Uuid } from './atoms.js';
import { applyUpdates, type Monitor, type OvsdbClient } from './client.js';
import {
  OvsdbArgumentError,
  OvsdbConflictError,
  OvsdbError,
  OvsdbNotFoundError,
  OvsdbProtocolError,
  OvsdbTimeoutError,
  OvsdbTransactionError,
} from './errors.js';
import { type Condition, op, type Operation, type Row, type RowInput, rowUuid, where } from './operations.js';

export const OPEN_VSWITCH_DB = 'Open_vSwitch';

// ---------------------------------------------------------------------------------------------------------------
// Typed rows of the Open_vSwitch schema (the columns Sluice uses), decoded from select/monitor rows.

export interface BridgeRow {
  uuid: string;
  name: string;
  datapathType: string;
  datapathId?: string;
  failMode?: string;
  protocols: string[];
  ports: string[];
  controller: string[];
  otherConfig: Record<string, string>;
  externalIds: Record<string, string>;
}

export interface PortRow {
  uuid: string;
  name: string;
  interfaces: string[];
  tag?: number;
  trunks: number[];
  qos?: string;
  otherConfig: Record<string, string>;
  externalIds: Record<string, string>;
}

export interface InterfaceRow {
  uuid: string;
  name: string;
  type: string;
  options: Record<string, string>;
  /** Set by ovs-vswitchd; -1 when it could not add the interface; absent before it has looked. */
  ofport?: number;
  ofportRequest?: number;
  mtuRequest?: number;
  macInUse?: string;
  error?: string;
  externalIds: Record<string, string>;
}

export interface ControllerRow {
  uuid: string;
  target: string;
  isConnected: boolean;
  role?: string;
}

export interface QosRow {
  uuid: string;
  type: string;
  /** queue id -> Queue row UUID */
  queues: Map<number, string>;
  otherConfig: Record<string, string>;
  externalIds: Record<string, string>;
}

export interface QueueRow {
  uuid: string;
  dscp?: number;
  otherConfig: Record<string, string>;
  externalIds: Record<string, string>;
}

function col<T extends Atom>(row: Row, name: string, kind: 'string' | 'number' | 'boolean'): T {
  const v = optionalOf(row[name], name);
  if (typeof v !== kind) throw new OvsdbProtocolError(name, `expected a ${kind}`);
  return v as T;
}

function opt<T extends Atom>(row: Row, name: string, kind: 'string' | 'number' | 'boolean'): T | undefined {
  const v = optionalOf(row[name], name);
  if (v === undefined) return undefined;
  if (typeof v !== kind) throw new OvsdbProtocolError(name, `expected a ${kind}`);
  return v as T;
}

function uuids(row: Row, name: string): string[] {
  return setOf(row[name], name).map((a) => {
    if (!(a instanceof Uuid)) throw new OvsdbProtocolError(name, 'expected a set of UUIDs');
    return a.value;
  });
}

function optUuid(row: Row, name: string): string | undefined {
  const v = optionalOf(row[name], name);
  if (v !== undefined && !(v instanceof Uuid)) throw new OvsdbProtocolError(name, 'expected a UUID');
  return v?.value;
}

function strings(row: Row, name: string): string[] {
  return setOf(row[name], name).map(String);
}

export function bridgeFromRow(row: Row): BridgeRow {
  return {
    uuid: rowUuid(row),
    name: col(row, 'name', 'string'),
    datapathType: opt(row, 'datapath_type', 'string') ?? '',
    datapathId: opt(row, 'datapath_id', 'string'),
    failMode: opt(row, 'fail_mode', 'string'),
    protocols: strings(row, 'protocols'),
    ports: uuids(row, 'ports'),
    controller: uuids(row, 'controller'),
    otherConfig: stringMapOf(row.other_config, 'other_config'),
    externalIds: stringMapOf(row.external_ids, 'external_ids'),
  };
}

export function portFromRow(row: Row): PortRow {
  return {
    uuid: rowUuid(row),
    name: col(row, 'name', 'string'),
    interfaces: uuids(row, 'interfaces'),
    tag: opt(row, 'tag', 'number'),
    trunks: setOf(row.trunks, 'trunks').map(Number),
    qos: optUuid(row, 'qos'),
    otherConfig: stringMapOf(row.other_config, 'other_config'),
    externalIds: stringMapOf(row.external_ids, 'external_ids'),
  };
}

export function interfaceFromRow(row: Row): InterfaceRow {
  return {
    uuid: rowUuid(row),
    name: col(row, 'name', 'string'),
    type: opt(row, 'type', 'string') ?? '',
    options: stringMapOf(row.options, 'options'),
    ofport: opt(row, 'ofport', 'number'),
    ofportRequest: opt(row, 'ofport_request', 'number'),
    mtuRequest: opt(row, 'mtu_request', 'number'),
    macInUse: opt(row, 'mac_in_use', 'string'),
    error: opt(row, 'error', 'string'),
    externalIds: stringMapOf(row.external_ids, 'external_ids'),
  };
}

export function controllerFromRow(row: Row): ControllerRow {
  return {
    uuid: rowUuid(row),
    target: col(row, 'target', 'string'),
    isConnected: opt(row, 'is_connected', 'boolean') ?? false,
    role: opt(row, 'role', 'string'),
  };
}

export function qosFromRow(row: Row): QosRow {
  const queues = new Map<number, string>();
  for (const [k, v] of mapOf(row.queues, 'queues')) {
    if (typeof k !== 'number' || !(v instanceof Uuid))
      throw new OvsdbProtocolError('queues', 'expected integer -> UUID');
    queues.set(k, v.value);
  }
  return {
    uuid: rowUuid(row),
    type: opt(row, 'type', 'string') ?? '',
    queues,
    otherConfig: stringMapOf(row.other_config, 'other_config'),
    externalIds: stringMapOf(row.external_ids, 'external_ids'),
  };
}

export function queueFromRow(row: Row): QueueRow {
  return {
    uuid: rowUuid(row),
    dscp: opt(row, 'dscp', 'number'),
    otherConfig: stringMapOf(row.other_config, 'other_config'),
    externalIds: stringMapOf(row.external_ids, 'external_ids'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// QoS specs: the plain shape callers give and get back.

export interface QueueSpec {
  /** bits/s */
  minRate?: number;
  /** bits/s */
  maxRate?: number;
  /** bits */
  burst?: number;
  /** 0 is the highest (linux-htb) */
  priority?: number;
  dscp?: number;
}

export interface QosSpec {
  /** default 'linux-htb' */
  type?: string;
  /** bits/s for the whole port */
  maxRate?: number;
  /** queue id (0 .. 4294967295) -> queue */
  queues?: Record<number, QueueSpec>;
}

export interface PortQos {
  uuid: string;
  type: string;
  maxRate?: number;
  queues: Record<number, QueueSpec & { uuid: string }>;
}

const QUEUE_KEYS = [
  ['minRate', 'min-rate'],
  ['maxRate', 'max-rate'],
  ['burst', 'burst'],
  ['priority', 'priority'],
] as const;

function checkUint(field: string, v: number | undefined, max = Number.MAX_SAFE_INTEGER): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new OvsdbArgumentError(field, `must be an integer from 0 to ${max}, got ${v}`);
  }
}

/** Validates a QoS spec and returns it with the type filled in and queue ids as numbers. */
export function normaliseQosSpec(spec: QosSpec): Required<Pick<QosSpec, 'type'>> & {
  maxRate?: number;
  queues: Map<number, QueueSpec>;
} {
  const type = spec.type ?? 'linux-htb';
  if (typeof type !== 'string' || type === '')
    throw new OvsdbArgumentError('qos.type', 'must be a non-empty string');
  checkUint('qos.maxRate', spec.maxRate);
  const queues = new Map<number, QueueSpec>();
  for (const [idText, q] of Object.entries(spec.queues ?? {})) {
    const id = Number(idText);
    if (!/^\d+$/.test(idText) || id > 4294967295) {
      throw new OvsdbArgumentError(
        `qos.queues.${idText}`,
        'queue id must be an integer from 0 to 4294967295',
      );
    }
    if (typeof q !== 'object' || q === null)
      throw new OvsdbArgumentError(`qos.queues.${idText}`, 'must be an object');
    for (const [key] of QUEUE_KEYS) checkUint(`qos.queues.${idText}.${key}`, q[key]);
    checkUint(`qos.queues.${idText}.dscp`, q.dscp, 63);
    queues.set(id, q);
  }
  return { type, maxRate: spec.maxRate, queues };
}

function queueOtherConfig(q: QueueSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, wire] of QUEUE_KEYS) if (q[key] !== undefined) out[wire] = String(q[key]);
  return out;
}

function qosOtherConfig(maxRate: number | undefined): Record<string, string> {
  return maxRate === undefined ? {} : { 'max-rate': String(maxRate) };
}

function intOf(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d+$/.test(s)) return undefined;
  return Number(s);
}

function sameStringMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sb = new Set(b);
  return a.length === sb.size && new Set(a).size === a.length && a.every((x) => sb.has(x));
}

// ---------------------------------------------------------------------------------------------------------------
// ovs-vsctl-like verbs.

export interface AddBridgeOptions {
  /** 'netdev' for the userspace datapath (the only one on machines without the kernel module); 'system' default. */
  datapathType?: string;
  failMode?: 'standalone' | 'secure';
  protocols?: string[];
  /** Controller targets, e.g. ['tcp:127.0.0.1:6653']. */
  controller?: string[];
  otherConfig?: Record<string, string>;
  externalIds?: Record<string, string>;
}

export interface AddPortOptions {
  /** Interface type: '' (system), 'internal', 'patch', 'vxlan', ... */
  type?: string;
  options?: Record<string, string>;
  /** Access VLAN; null clears it. */
  tag?: number | null;
  ofportRequest?: number;
  mtuRequest?: number;
  /** Interface external_ids (container_id, iface-id, ...). */
  externalIds?: Record<string, string>;
}

const RETRYABLE = new Set(['timed out', 'referential integrity violation', 'constraint violation']);
const NAME_RE = /^[^\s/]{1,255}$/;

function checkName(field: string, name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new OvsdbArgumentError(
      field,
      `must be 1-255 characters without whitespace or '/', got ${JSON.stringify(name)}`,
    );
  }
}

/**
 * The Open_vSwitch database seen through ovs-vsctl's verbs. Every verb is idempotent (adding what exists
 * converges it to the options given, deleting what is absent returns false) and runs as one transaction that
 * guards what it read with `wait` or a checked row count; a transaction that lost a race is re-read and retried.
 */
export class Vswitch {
  private readonly db: string;
  private readonly attempts: number;

  constructor(
    readonly client: OvsdbClient,
    opts: { db?: string; attempts?: number } = {},
  ) {
    this.db = opts.db ?? OPEN_VSWITCH_DB;
    this.attempts = opts.attempts ?? 5;
  }

  /** Rows of `table` matching `conditions` (all rows when empty). */
  async select(table: string, conditions: Condition[] = [], columns?: string[]): Promise<Row[]> {
    const [r] = await this.client.transact(this.db, [op.select(table, conditions, columns)]);
    return r.rows ?? [];
  }

  async listBridges(): Promise<string[]> {
    const rows = await this.select('Bridge', [], ['name']);
    return rows.map((r) => String(optionalOf(r.name))).sort();
  }

  async getBridge(name: string): Promise<BridgeRow | undefined> {
    const [row] = await this.select('Bridge', [where.eq('name', name)]);
    return row && bridgeFromRow(row);
  }

  async getPort(name: string): Promise<PortRow | undefined> {
    const [row] = await this.select('Port', [where.eq('name', name)]);
    return row && portFromRow(row);
  }

  async getInterface(name: string): Promise<InterfaceRow | undefined> {
    const [row] = await this.select('Interface', [where.eq('name', name)]);
    return row && interfaceFromRow(row);
  }

  /** The OpenFlow port number ovs-vswitchd gave the interface; undefined until it has, -1 if it failed. */
  async getInterfaceOfport(name: string): Promise<number | undefined> {
    const iface = await this.getInterface(name);
    if (!iface) throw new OvsdbNotFoundError('Interface', name);
    return iface.ofport;
  }

  /**
   * Waits until ovs-vswitchd has given the interface an OpenFlow port number and returns it. Rejects when it
   * reports failure (ofport -1, with the Interface's error column) or after `timeoutMs`.
   */
  async waitInterfaceOfport(name: string, timeoutMs = 10_000): Promise<number> {
    const ofport = await this.waitUntil(
      'Interface',
      ['name', 'ofport', 'error'],
      timeoutMs,
      `ofport of ${name}`,
      (rows) => {
        const row = rows.find((r) => optionalOf(r.name) === name);
        const port = row && opt<number>(row, 'ofport', 'number');
        if (port === -1) {
          throw new OvsdbError(
            `ovs-vswitchd could not add interface ${name}: ${opt(row!, 'error', 'string') ?? 'no reason given'}`,
          );
        }
        return port !== undefined && port > 0 ? port : undefined;
      },
    );
    return ofport;
  }

  /**
   * Waits until ovs-vswitchd has applied every change committed so far (ovs-vsctl's default --wait): bumps
   * Open_vSwitch.next_cfg and waits for cur_cfg to catch up. Needs a running ovs-vswitchd.
   */
  async waitApplied(timeoutMs = 10_000): Promise<void> {
    const [, sel] = await this.client.transact(this.db, [
      op.mutate('Open_vSwitch', [], [['next_cfg', '+=', 1]]),
      op.select('Open_vSwitch', [], ['next_cfg']),
    ]);
    const target = Number(optionalOf(sel.rows?.[0]?.next_cfg));
    if (!Number.isInteger(target)) {
      throw new OvsdbError('the Open_vSwitch table has no row: initialise the database (ovs-vsctl init)');
    }
    await this.waitUntil(
      'Open_vSwitch',
      ['cur_cfg'],
      timeoutMs,
      `ovs-vswitchd to apply cfg ${target}`,
      (rows) => rows.some((r) => Number(optionalOf(r.cur_cfg)) >= target) || undefined,
    );
  }

  /** Monitors `columns` of `table` until `check` returns a value (or throws), then stops monitoring. */
  private async waitUntil<T>(
    table: string,
    columns: string[],
    timeoutMs: number,
    what: string,
    check: (rows: Row[]) => T | undefined,
  ): Promise<T> {
    let settle!: { resolve: (v: T) => void; reject: (e: Error) => void };
    const done = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
    done.catch(() => undefined); // handled by the await below; this only keeps an early rejection from being "unhandled".
    let finished = false;
    const evaluate = (tables: ReadonlyMap<string, ReadonlyMap<string, Row>>): void => {
      if (finished) return;
      try {
        const v = check([...(tables.get(table)?.values() ?? [])]);
        if (v === undefined) return;
        finished = true;
        settle.resolve(v);
      } catch (err) {
        finished = true;
        settle.reject(err as Error);
      }
    };
    const timer = setTimeout(() => {
      if (finished) return;
      finished = true;
      settle.reject(new OvsdbTimeoutError(`waiting for ${what}`, timeoutMs));
    }, timeoutMs);
    // Our own replica: the initial snapshot reaches the callback before monitor() has returned its handle.
    const replica = new Map<string, Map<string, Row>>();
    let monitor: Monitor | undefined;
    try {
      monitor = await this.client.monitor(this.db, { [table]: { columns } }, (updates) => {
        applyUpdates(replica, updates);
        evaluate(replica);
      });
      return await done;
    } finally {
      clearTimeout(timer);
      await monitor?.cancel().catch(() => undefined);
    }
  }

  /** Port names of a bridge, without the bridge's own internal port (as `ovs-vsctl list-ports`). */
  async listPorts(bridge: string): Promise<string[]> {
    const br = await this.requireBridge(bridge);
    const ports = await this.select('Port', [], ['_uuid', 'name']);
    const mine = new Set(br.ports);
    return ports
      .filter((p) => mine.has(rowUuid(p)))
      .map((p) => String(optionalOf(p.name)))
      .filter((n) => n !== bridge)
      .sort();
  }

  async getController(bridge: string): Promise<string[]> {
    const br = await this.requireBridge(bridge);
    const rows = await this.controllerRows(br);
    return rows.map((c) => c.target).sort();
  }

  /**
   * Creates the bridge (with its internal port and interface, linked from Open_vSwitch.bridges) or, when it
   * exists, sets the options given. Returns true when it created the bridge.
   */
  async addBridge(name: string, opts: AddBridgeOptions = {}): Promise<boolean> {
    checkName('bridge', name);
    return this.retry(async () => {
      const existing = await this.getBridge(name);
      if (existing) {
        await this.convergeBridge(existing, opts);
        return false;
      }
      const controllers = (opts.controller ?? []).map((target, i) =>
        op.insert('Controller', { target }, `ctl${i}`),
      );
      const row: RowInput = {
        name,
        ports: [new NamedUuid('port')],
        controller: controllers.map((_, i) => new NamedUuid(`ctl${i}`)),
      };
      if (opts.datapathType !== undefined) row.datapath_type = opts.datapathType;
      if (opts.failMode !== undefined) row.fail_mode = opts.failMode;
      if (opts.protocols !== undefined) row.protocols = opts.protocols;
      if (opts.otherConfig !== undefined) row.other_config = opts.otherConfig;
      if (opts.externalIds !== undefined) row.external_ids = opts.externalIds;
      const ops: Operation[] = [
        op.wait('Bridge', [where.eq('name', name)], ['name'], []),
        op.insert('Interface', { name, type: 'internal' }, 'iface'),
        op.insert('Port', { name, interfaces: [new NamedUuid('iface')] }, 'port'),
        ...controllers,
        op.insert('Bridge', row, 'br'),
        op.mutate('Open_vSwitch', [], [['bridges', 'insert', [new NamedUuid('br')]]]),
        op.comment(`sluice: add-br ${name}`),
      ];
      const results = await this.client.transact(this.db, ops);
      if (results[ops.length - 2].count !== 1) {
        throw new OvsdbError('the Open_vSwitch table has no row: initialise the database (ovs-vsctl init)');
      }
      return true;
    });
  }

  private async convergeBridge(br: BridgeRow, opts: AddBridgeOptions): Promise<void> {
    const row: RowInput = {};
    if (opts.datapathType !== undefined && opts.datapathType !== br.datapathType)
      row.datapath_type = opts.datapathType;
    if (opts.failMode !== undefined && opts.failMode !== br.failMode) row.fail_mode = opts.failMode;
    if (opts.protocols !== undefined && !sameSet(opts.protocols, br.protocols))
      row.protocols = opts.protocols;
    if (opts.otherConfig !== undefined && !sameStringMap(opts.otherConfig, br.otherConfig)) {
      row.other_config = opts.otherConfig;
    }
    if (opts.externalIds !== undefined && !sameStringMap(opts.externalIds, br.externalIds)) {
      row.external_ids = opts.externalIds;
    }
    const ops: Operation[] = [];
    if (opts.controller !== undefined) {
      const current = (await this.controllerRows(br)).map((c) => c.target);
      if (!sameSet(current, opts.controller)) {
        ops.push(...opts.controller.map((target, i) => op.insert('Controller', { target }, `ctl${i}`)));
        row.controller = opts.controller.map((_, i) => new NamedUuid(`ctl${i}`));
      }
    }
    if (Object.keys(row).length === 0) return;
    ops.push(
      op.update('Bridge', [where.uuid(br.uuid)], row),
      op.comment(`sluice: converge bridge ${br.name}`),
    );
    await this.transactCounted(ops, ops.length - 2);
  }

  /** Deletes the bridge with its ports (and the QoS rows only they used). Returns false if there was none. */
  async delBridge(name: string): Promise<boolean> {
    return this.retry(async () => {
      const br = await this.getBridge(name);
      if (!br) return false;
      const ports = (await this.select('Port')).map(portFromRow).filter((p) => br.ports.includes(p.uuid));
      const qosGc = await this.qosGarbage(
        new Set(ports.map((p) => p.uuid)),
        ports.map((p) => p.qos),
      );
      // Ports and interfaces are deleted explicitly, not left to garbage collection: the server checks the
      // references to a deleted QoS row before it collects the ports that hold them.
      await this.transactCounted(
        [
          op.mutate('Open_vSwitch', [], [['bridges', 'delete', [new Uuid(br.uuid)]]]),
          op.delete('Bridge', [where.uuid(br.uuid)]),
          ...ports.map((p) => op.delete('Port', [where.uuid(p.uuid)])),
          ...ports.flatMap((p) => p.interfaces.map((i) => op.delete('Interface', [where.uuid(i)]))),
          ...qosGc,
          op.comment(`sluice: del-br ${name}`),
        ],
        1,
      );
      return true;
    });
  }

  /**
   * Adds a port with one interface of the same name to `bridge`, or converges the options given when the port
   * is already there. Throws if the bridge is missing or the port belongs to another bridge.
   */
  async addPort(bridge: string, name: string, opts: AddPortOptions = {}): Promise<boolean> {
    checkName('port', name);
    if (opts.tag !== undefined && opts.tag !== null) checkUint('tag', opts.tag, 4095);
    checkUint('ofportRequest', opts.ofportRequest, 65279);
    checkUint('mtuRequest', opts.mtuRequest);
    return this.retry(async () => {
      const br = await this.requireBridge(bridge);
      const port = await this.getPort(name);
      const ifaceRow: RowInput = {};
      if (opts.type !== undefined) ifaceRow.type = opts.type;
      if (opts.options !== undefined) ifaceRow.options = opts.options;
      if (opts.ofportRequest !== undefined) ifaceRow.ofport_request = opts.ofportRequest;
      if (opts.mtuRequest !== undefined) ifaceRow.mtu_request = opts.mtuRequest;
      if (opts.externalIds !== undefined) ifaceRow.external_ids = opts.externalIds;
      const portRow: RowInput = {};
      if (opts.tag !== undefined) portRow.tag = opts.tag === null ? null : opts.tag;
      if (port) {
        if (!br.ports.includes(port.uuid)) {
          const owner = (
            await this.select('Bridge', [['ports', 'includes', [new Uuid(port.uuid)]]], ['name'])
          )[0];
          throw new OvsdbArgumentError(
            'port',
            `${name} already exists on bridge ${String(owner?.name ?? '?')}`,
          );
        }
        await this.convergePort(port, portRow, ifaceRow);
        return false;
      }
      const ops: Operation[] = [
        op.insert('Interface', { name, ...ifaceRow }, 'iface'),
        op.insert('Port', { name, interfaces: [new NamedUuid('iface')], ...portRow }, 'port'),
        op.mutate('Bridge', [where.uuid(br.uuid)], [['ports', 'insert', [new NamedUuid('port')]]]),
        op.comment(`sluice: add-port ${bridge} ${name}`),
      ];
      await this.transactCounted(ops, 2);
      return true;
    });
  }

  private async convergePort(port: PortRow, portRow: RowInput, ifaceRow: RowInput): Promise<void> {
    const ops: Operation[] = [];
    const tag = portRow.tag === null ? undefined : portRow.tag;
    if ('tag' in portRow && tag !== port.tag) ops.push(op.update('Port', [where.uuid(port.uuid)], portRow));
    const [ifaceUuid] = port.interfaces;
    const [raw] = await this.select('Interface', [where.uuid(ifaceUuid)]);
    if (raw) {
      const iface = interfaceFromRow(raw);
      const differs =
        (ifaceRow.type !== undefined && ifaceRow.type !== iface.type) ||
        (ifaceRow.options !== undefined &&
          !sameStringMap(ifaceRow.options as Record<string, string>, iface.options)) ||
        (ifaceRow.ofport_request !== undefined && ifaceRow.ofport_request !== iface.ofportRequest) ||
        (ifaceRow.mtu_request !== undefined && ifaceRow.mtu_request !== iface.mtuRequest) ||
        (ifaceRow.external_ids !== undefined &&
          !sameStringMap(ifaceRow.external_ids as Record<string, string>, iface.externalIds));
      if (differs) ops.push(op.update('Interface', [where.uuid(ifaceUuid)], ifaceRow));
    }
    if (ops.length === 0) return;
    const results = await this.client.transact(this.db, ops);
    if (results.some((r) => r.count !== 1))
      throw new OvsdbConflictError(`port ${port.name} changed while updating`);
  }

  /**
   * Removes a port (and the QoS rows only it used). With `bridge` given, the port must be on that bridge.
   * Returns false if there was no such port.
   */
  async delPort(bridge: string | undefined, name: string): Promise<boolean> {
    return this.retry(async () => {
      const port = await this.getPort(name);
      if (!port) return false;
      const owners = await this.select(
        'Bridge',
        [['ports', 'includes', [new Uuid(port.uuid)]]],
        ['_uuid', 'name'],
      );
      if (bridge !== undefined && !owners.some((o) => optionalOf(o.name) === bridge)) {
        throw new OvsdbNotFoundError('Port', `${bridge}/${name}`);
      }
      const qosGc = await this.qosGarbage(new Set([port.uuid]), [port.qos]);
      await this.transactCounted(
        [
          ...owners.map((o) =>
            op.mutate('Bridge', [where.uuid(rowUuid(o))], [['ports', 'delete', [new Uuid(port.uuid)]]]),
          ),
          op.delete('Port', [where.uuid(port.uuid)]),
          ...port.interfaces.map((i) => op.delete('Interface', [where.uuid(i)])),
          ...qosGc,
          op.comment(`sluice: del-port ${name}`),
        ],
        owners.length,
      );
      return true;
    });
  }

  /** Sets the bridge's controllers to exactly `targets` (empty clears them). Returns true if anything changed. */
  async setController(bridge: string, targets: string[]): Promise<boolean> {
    targets.forEach((t, i) => {
      if (typeof t !== 'string' || !/^(tcp|ssl|unix|ptcp|pssl|punix):/.test(t)) {
        throw new OvsdbArgumentError(`targets[${i}]`, `not an OVS controller target: ${JSON.stringify(t)}`);
      }
    });
    return this.retry(async () => {
      const br = await this.requireBridge(bridge);
      const current = (await this.controllerRows(br)).map((c) => c.target);
      if (sameSet(current, targets)) return false;
      const ops: Operation[] = [
        ...targets.map((target, i) => op.insert('Controller', { target }, `ctl${i}`)),
        op.update('Bridge', [where.uuid(br.uuid)], {
          controller: targets.map((_, i) => new NamedUuid(`ctl${i}`)),
        }),
        op.comment(`sluice: set-controller ${bridge}`),
      ];
      await this.transactCounted(ops, targets.length);
      return true;
    });
  }

  /** The port's QoS and queues in the shape setPortQos takes; undefined when it has none. */
  async getPortQos(port: string): Promise<PortQos | undefined> {
    const p = await this.getPort(port);
    if (!p) throw new OvsdbNotFoundError('Port', port);
    if (!p.qos) return undefined;
    const [qosRaw] = await this.select('QoS', [where.uuid(p.qos)]);
    if (!qosRaw) return undefined;
    const qos = qosFromRow(qosRaw);
    const queueRows = new Map(
      (await this.select('Queue')).map(queueFromRow).map((q) => [q.uuid, q] as const),
    );
    const queues: PortQos['queues'] = {};
    for (const [id, uuid] of qos.queues) {
      const q = queueRows.get(uuid);
      if (!q) continue;
      const spec: QueueSpec & { uuid: string } = { uuid };
      for (const [key, wire] of QUEUE_KEYS) {
        const v = intOf(q.otherConfig[wire]);
        if (v !== undefined) spec[key] = v;
      }
      if (q.dscp !== undefined) spec.dscp = q.dscp;
      queues[id] = spec;
    }
    const out: PortQos = { uuid: qos.uuid, type: qos.type, queues };
    const maxRate = intOf(qos.otherConfig['max-rate']);
    if (maxRate !== undefined) out.maxRate = maxRate;
    return out;
  }

  /**
   * Gives the port a QoS with the queues in `spec`, created in one transaction with the Port update. The old
   * QoS/Queue rows are deleted when nothing else uses them: QoS and Queue are root tables in vswitch.ovsschema,
   * so the server would keep them forever otherwise. Returns false when the port already had this QoS.
   */
  async setPortQos(port: string, spec: QosSpec): Promise<boolean> {
    const want = normaliseQosSpec(spec);
    return this.retry(async () => {
      const p = await this.getPort(port);
      if (!p) throw new OvsdbNotFoundError('Port', port);
      const current = p.qos ? await this.getPortQos(port) : undefined;
      if (current && qosMatches(current, want)) return false;
      const ops: Operation[] = [
        op.wait('Port', [where.uuid(p.uuid)], ['qos'], [{ qos: p.qos ? [new Uuid(p.qos)] : [] }]),
      ];
      const queueRefs = new Map<Atom, Atom>();
      for (const [id, q] of want.queues) {
        const row: RowInput = { other_config: queueOtherConfig(q) };
        if (q.dscp !== undefined) row.dscp = q.dscp;
        ops.push(op.insert('Queue', row, `queue${id}`));
        queueRefs.set(id, new NamedUuid(`queue${id}`));
      }
      ops.push(
        op.insert(
          'QoS',
          { type: want.type, other_config: qosOtherConfig(want.maxRate), queues: queueRefs },
          'qos',
        ),
        op.update('Port', [where.uuid(p.uuid)], { qos: new NamedUuid('qos') }),
        ...(await this.qosGarbage(new Set([p.uuid]), [p.qos])),
        op.comment(`sluice: set port ${port} qos`),
      );
      await this.client.transact(this.db, ops);
      return true;
    });
  }

  /** Removes the port's QoS (deleting its rows when nothing else uses them). Returns false if it had none. */
  async clearPortQos(port: string): Promise<boolean> {
    return this.retry(async () => {
      const p = await this.getPort(port);
      if (!p) throw new OvsdbNotFoundError('Port', port);
      if (!p.qos) return false;
      await this.client.transact(this.db, [
        op.wait('Port', [where.uuid(p.uuid)], ['qos'], [{ qos: [new Uuid(p.qos)] }]),
        op.update('Port', [where.uuid(p.uuid)], { qos: null }),
        ...(await this.qosGarbage(new Set([p.uuid]), [p.qos])),
        op.comment(`sluice: clear port ${port} qos`),
      ]);
      return true;
    });
  }

  /**
   * Delete operations for the QoS rows in `qosUuids` that no port outside `leaving` uses, and for their queues
   * that no other QoS uses. Should another writer start using one meanwhile, the delete fails the transaction
   * with a referential integrity violation and the verb retries.
   */
  private async qosGarbage(leaving: Set<string>, qosUuids: (string | undefined)[]): Promise<Operation[]> {
    const candidates = new Set(qosUuids.filter((u): u is string => u !== undefined));
    if (candidates.size === 0) return [];
    const [portsRes, qosRes] = await this.client.transact(this.db, [
      op.select(
        'Port',
        [],
        ['_uuid', 'name', 'interfaces', 'qos', 'trunks', 'tag', 'other_config', 'external_ids'],
      ),
      op.select('QoS'),
    ]);
    const ports = (portsRes.rows ?? []).map(portFromRow);
    const qosRows = (qosRes.rows ?? []).map(qosFromRow);
    const doomed = [...candidates].filter((q) => !ports.some((p) => p.qos === q && !leaving.has(p.uuid)));
    const doomedSet = new Set(doomed);
    const keptQueues = new Set(
      qosRows.filter((q) => !doomedSet.has(q.uuid)).flatMap((q) => [...q.queues.values()]),
    );
    const queues = new Set(
      qosRows
        .filter((q) => doomedSet.has(q.uuid))
        .flatMap((q) => [...q.queues.values()])
        .filter((u) => !keptQueues.has(u)),
    );
    return [
      ...doomed.map((u) => op.delete('QoS', [where.uuid(u)])),
      ...[...queues].map((u) => op.delete('Queue', [where.uuid(u)])),
    ];
  }

  private async requireBridge(name: string): Promise<BridgeRow> {
    const br = await this.getBridge(name);
    if (!br) throw new OvsdbNotFoundError('Bridge', name);
    return br;
  }

  private async controllerRows(br: BridgeRow): Promise<ControllerRow[]> {
    if (br.controller.length === 0) return [];
    const rows = await this.select('Controller', [], ['_uuid', 'target', 'is_connected', 'role']);
    const mine = new Set(br.controller);
    return rows.map(controllerFromRow).filter((c) => mine.has(c.uuid));
  }

  /** Runs `ops`; the op at `countIndex` must have matched exactly one row, else the row vanished: retry. */
  private async transactCounted(ops: Operation[], countIndex: number): Promise<void> {
    const results = await this.client.transact(this.db, ops);
    if (results[countIndex]?.count !== 1) {
      throw new OvsdbConflictError(
        `op #${countIndex} (${ops[countIndex].op}) matched no row: it changed meanwhile`,
      );
    }
  }

  private async retry<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        const retryable =
          err instanceof OvsdbConflictError ||
          (err instanceof OvsdbTransactionError && RETRYABLE.has(err.error));
        if (!retryable || i >= this.attempts) throw err;
      }
    }
  }
}

function qosMatches(current: PortQos, want: ReturnType<typeof normaliseQosSpec>): boolean {
  if (current.type !== want.type || current.maxRate !== want.maxRate) return false;
  const ids = Object.keys(current.queues).map(Number);
  if (ids.length !== want.queues.size) return false;
  return ids.every((id) => {
    const w = want.queues.get(id);
    const c = current.queues[id];
    if (!w) return false;
    return QUEUE_KEYS.every(([k]) => w[k] === c[k]) && w.dscp === c.dscp;
  });
}
