import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { valuesEqual } from './atoms.js';
import { OvsdbArgumentError, OvsdbConnectionError, OvsdbProtocolError, OvsdbTimeoutError } from './errors.js';
import {
  decodeRow,
  decodeTransactResult,
  encodeOperation,
  type OpResult,
  type Operation,
  type Row,
} from './operations.js';
import { DEFAULT_REMOTE, parseRemote, type Remote } from './remote.js';
import { RpcConnection } from './rpc.js';

/** PEM file paths, as given to ovs-vsctl's --private-key / --certificate / --ca-cert. */
export interface SslFiles {
  privateKey: string;
  certificate: string;
  caCert: string;
}

/** The subset of a pino logger this folder uses. */
export interface OvsdbLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface OvsdbClientOptions {
  /** `unix:PATH`, `tcp:HOST:PORT` or `ssl:HOST:PORT`; default unix:/var/run/openvswitch/db.sock. */
  remote?: string;
  /** Required for ssl: remotes. */
  ssl?: SslFiles;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Keepalive: echo after this much silence; 0 disables. */
  echoIntervalMs?: number;
  echoTimeoutMs?: number;
  /** Reconnect with exponential backoff after an established connection drops; false to stay down. */
  reconnect?: false | { initialDelayMs?: number; maxDelayMs?: number };
  maxMessage?: number;
  log?: OvsdbLogger;
  /**
   * A connection already made, used instead of dialing `remote` (which then only names the peer): what a passive
   * listener accepted (src/ovsdb/passive.ts). Such a client never reconnects: the peer dials again.
   */
  stream?: Duplex;
}

export interface RowUpdate {
  /** Before the change: the whole row on delete, only the changed columns on modify. */
  old?: Row;
  /** After the change: every monitored column. */
  new?: Row;
}
/** table name -> row UUID -> change. */
export type TableUpdates = Record<string, Record<string, RowUpdate>>;

export interface MonitorSelect {
  initial?: boolean;
  insert?: boolean;
  delete?: boolean;
  modify?: boolean;
}
/** table name -> which columns (default all) and which kinds of change to report. */
export type MonitorRequests = Record<string, { columns?: string[]; select?: MonitorSelect }>;

export interface Monitor {
  readonly id: string;
  readonly db: string;
  /** The monitored rows as they are now (table -> UUID -> row), kept up to date across reconnects. */
  readonly tables: ReadonlyMap<string, ReadonlyMap<string, Row>>;
  cancel(): Promise<void>;
}

export interface ColumnSchema {
  type: unknown;
  ephemeral?: boolean;
  mutable?: boolean;
}
export interface TableSchema {
  columns: Record<string, ColumnSchema>;
  isRoot?: boolean;
  maxRows?: number;
  indexes?: string[][];
}
export interface DatabaseSchema {
  name: string;
  version: string;
  cksum?: string;
  tables: Record<string, TableSchema>;
}

interface MonitorState {
  id: string;
  db: string;
  requests: MonitorRequests;
  onUpdate: (updates: TableUpdates) => void;
  tables: Map<string, Map<string, Row>>;
  cancelled: boolean;
}

interface Waiter {
  resolve: (conn: RpcConnection) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const noopLog: OvsdbLogger = { debug() {}, warn() {} };

/**
 * An OVSDB client (RFC 7047) over one remote. Events: 'connected', 'disconnected' (err), 'error' (err) for
 * trouble no caller is waiting on (a monitor that could not be re-issued, a throwing update callback).
 */
export class OvsdbClient extends EventEmitter {
  readonly remote: Remote;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly log: OvsdbLogger;
  private conn: RpcConnection | undefined;
  private closing = false;
  private started = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay: number;
  private waiters: Waiter[] = [];
  private readonly monitors = new Map<string, MonitorState>();
  private nextMonitor = 1;
  private readonly opts: OvsdbClientOptions;
  private streamTaken = false;

  constructor(opts: OvsdbClientOptions = {}) {
    super();
    checkOptions(opts);
    this.opts = opts.stream ? { ...opts, reconnect: false } : opts;
    this.remote = parseRemote(opts.remote ?? DEFAULT_REMOTE);
    if (this.remote.kind === 'ssl' && !opts.ssl && !opts.stream) {
      throw new OvsdbConnectionError('ssl: remote needs options.ssl {privateKey, certificate, caCert}');
    }
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5_000;
    this.log = opts.log ?? noopLog;
    this.reconnectDelay = this.initialDelay;
  }

  get connected(): boolean {
    return this.conn !== undefined && !this.conn.closed;
  }

  /** Connects once; rejects if that attempt fails. After it succeeds, drops are healed by reconnecting. */
  async connect(): Promise<void> {
    if (this.started) throw new OvsdbConnectionError('connect() was already called');
    this.started = true;
    try {
      this.adopt(await this.open());
    } catch (err) {
      this.closing = true;
      throw err;
    }
  }

  /** Closes the connection and stops reconnecting; pending requests fail. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new OvsdbConnectionError('client closed'));
    }
    this.conn?.close();
    this.conn = undefined;
  }

  /** Resolves once connected (at once if already), rejects after `timeoutMs`. */
  async waitConnected(timeoutMs = this.requestTimeoutMs): Promise<void> {
    await this.ready(timeoutMs, 'waitConnected');
  }

  /** A raw JSON-RPC request; waits for a reconnect (within the timeout) when the connection is down. */
  async request(
    method: string,
    params: unknown[],
    opts: { timeoutMs?: number; onResult?: (r: unknown) => void } = {},
  ): Promise<unknown> {
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    const started = Date.now();
    const conn = await this.ready(timeoutMs, method);
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    return conn.request(method, params, { timeoutMs: left, onResult: opts.onResult });
  }

  async listDbs(): Promise<string[]> {
    const r = await this.request('list_dbs', []);
    if (!Array.isArray(r) || !r.every((x) => typeof x === 'string')) {
      throw new OvsdbProtocolError('list_dbs.result', 'must be an array of strings');
    }
    return r;
  }

  async getSchema(db: string): Promise<DatabaseSchema> {
    const r = (await this.request('get_schema', [db])) as Partial<DatabaseSchema> | null;
    if (
      !r ||
      typeof r !== 'object' ||
      typeof r.name !== 'string' ||
      typeof r.tables !== 'object' ||
      !r.tables
    ) {
      throw new OvsdbProtocolError('get_schema.result', 'must be a schema object with name and tables');
    }
    return r as DatabaseSchema;
  }

  async echo(): Promise<void> {
    const r = await this.request('echo', ['sluice']);
    if (!Array.isArray(r) || r[0] !== 'sluice')
      throw new OvsdbProtocolError('echo.result', 'does not echo params');
  }

  /**
   * Runs `ops` as one transaction. Resolves with one result per operation; a failed operation (or commit)
   * rejects with OvsdbTransactionError naming its index. A transaction is never re-sent after a disconnect.
   */
  async transact(db: string, ops: Operation[], opts: { timeoutMs?: number } = {}): Promise<OpResult[]> {
    const wire = ops.map((o, i) => encodeOperation(o, i));
    const r = await this.request('transact', [db, ...wire], opts);
    return decodeTransactResult(ops, r);
  }

  /**
   * Starts a monitor. `onUpdate` receives each change; the returned handle's `tables` holds the current rows.
   * After a reconnect the monitor is re-issued and `onUpdate` gets the difference between the rows seen before
   * the drop and the new snapshot, so consumers never see a gap.
   */
  async monitor(
    db: string,
    requests: MonitorRequests,
    onUpdate: (updates: TableUpdates) => void,
  ): Promise<Monitor> {
    const state: MonitorState = {
      id: `sluice-monitor-${this.nextMonitor++}`,
      db,
      requests,
      onUpdate,
      tables: new Map(),
      cancelled: false,
    };
    // Registered only once the server has it: a reconnect before the reply must not re-issue it twice.
    await this.request('monitor', [db, state.id, requests], {
      onResult: (result) => {
        this.monitors.set(state.id, state);
        this.applyInitial(state, result, false);
      },
    });
    return {
      id: state.id,
      db,
      tables: state.tables,
      cancel: async () => {
        if (state.cancelled) return;
        state.cancelled = true;
        this.monitors.delete(state.id);
        if (this.connected) await this.request('monitor_cancel', [state.id]);
      },
    };
  }

  private get initialDelay(): number {
    return this.opts.reconnect === false ? 0 : (this.opts.reconnect?.initialDelayMs ?? 100);
  }

  private async open(): Promise<RpcConnection> {
    const socket = await this.openSocket();
    let conn: RpcConnection | undefined = undefined;
    conn = new RpcConnection(socket, {
      maxMessage: this.opts.maxMessage,
      echoIntervalMs: this.opts.echoIntervalMs ?? 5_000,
      echoTimeoutMs: this.opts.echoTimeoutMs,
      onNotification: (method, params) => this.onNotification(method, params),
      onClose: (err) => this.onConnClose(conn!, err),
    });
    return conn;
  }

  private openSocket(): Promise<Duplex> {
    const r = this.remote;
    if (this.opts.stream) {
      if (this.streamTaken)
        return Promise.reject(new OvsdbConnectionError('the accepted connection is gone'));
      this.streamTaken = true;
      return Promise.resolve(this.opts.stream);
    }
    return new Promise((resolve, reject) => {
      let socket: net.Socket;
      let readyEvent = 'connect';
      if (r.kind === 'unix') socket = net.connect({ path: r.path });
      else if (r.kind === 'tcp') socket = net.connect({ host: r.host, port: r.port });
      else {
        const files = this.opts.ssl!;
        readyEvent = 'secureConnect';
        try {
          socket = tls.connect({
            host: r.host,
            port: r.port,
            key: readFileSync(files.privateKey),
            cert: readFileSync(files.certificate),
            ca: readFileSync(files.caCert),
            // OVS authenticates peers by the CA signature alone; its certificates do not name hosts.
            checkServerIdentity: () => undefined,
          });
        } catch (err) {
          reject(new OvsdbConnectionError(`ssl setup failed: ${(err as Error).message}`));
          return;
        }
      }
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new OvsdbTimeoutError('connect', this.connectTimeoutMs));
      }, this.connectTimeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          new OvsdbConnectionError(`cannot connect to ${this.opts.remote ?? DEFAULT_REMOTE}: ${err.message}`),
        );
      };
      socket.once('error', onError);
      socket.once(readyEvent, () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(socket);
      });
    });
  }

  private adopt(conn: RpcConnection): void {
    if (this.closing) {
      conn.close();
      return;
    }
    this.conn = conn;
    this.reconnectDelay = this.initialDelay;
    for (const m of this.monitors.values()) this.reissue(conn, m);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(conn);
    }
    this.emit('connected');
  }

  private reissue(conn: RpcConnection, m: MonitorState): void {
    conn
      .request('monitor', [m.db, m.id, m.requests], {
        timeoutMs: this.requestTimeoutMs,
        onResult: (result) => this.applyInitial(m, result, true),
      })
      .catch((err: Error) => this.report(err, `re-issuing monitor ${m.id} failed`));
  }

  private onConnClose(conn: RpcConnection, err: Error | undefined): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    if (this.closing) return;
    this.log.warn({ err }, 'OVSDB connection lost');
    this.emit('disconnected', err);
    if (this.opts.reconnect === false) {
      this.closing = true;
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new OvsdbConnectionError('connection lost and reconnect is disabled'));
      }
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const maxDelay = (this.opts.reconnect || undefined)?.maxDelayMs ?? 5_000;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(maxDelay, Math.max(1, delay) * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closing) return;
      this.open().then(
        (conn) => this.adopt(conn),
        (err: Error) => {
          this.log.debug({ err, delay: this.reconnectDelay }, 'OVSDB reconnect failed');
          if (!this.closing) this.scheduleReconnect();
        },
      );
    }, delay);
  }

  private ready(timeoutMs: number, what: string): Promise<RpcConnection> {
    if (this.conn && !this.conn.closed) return Promise.resolve(this.conn);
    if (this.closing || !this.started) {
      return Promise.reject(
        new OvsdbConnectionError(this.started ? 'client closed' : 'call connect() first'),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new OvsdbConnectionError(`${what}: not connected within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private onNotification(method: string, params: unknown[]): void {
    if (method !== 'update') return;
    const m = this.monitors.get(String(params[0]));
    if (!m) return;
    const updates = decodeTableUpdates(params[1], 'update.params[1]');
    applyUpdates(m.tables, updates);
    this.deliver(m, updates);
  }

  private applyInitial(m: MonitorState, result: unknown, resync: boolean): void {
    const snapshot = decodeTableUpdates(result, 'monitor.result');
    const fresh = new Map<string, Map<string, Row>>();
    applyUpdates(fresh, snapshot);
    const delta = resync ? diffTables(m.tables, fresh) : snapshot;
    m.tables.clear();
    for (const [t, rows] of fresh) m.tables.set(t, rows);
    if (Object.keys(delta).length > 0) this.deliver(m, delta);
  }

  private deliver(m: MonitorState, updates: TableUpdates): void {
    if (m.cancelled) return;
    try {
      m.onUpdate(updates);
    } catch (err) {
      this.report(err as Error, `monitor ${m.id} update callback threw`);
    }
  }

  private report(err: Error, msg: string): void {
    this.log.warn({ err }, msg);
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

function checkOptions(opts: OvsdbClientOptions): void {
  const durations: [string, number | undefined, number][] = [
    ['requestTimeoutMs', opts.requestTimeoutMs, 1],
    ['connectTimeoutMs', opts.connectTimeoutMs, 1],
    ['echoIntervalMs', opts.echoIntervalMs, 0],
    ['echoTimeoutMs', opts.echoTimeoutMs, 1],
    ['maxMessage', opts.maxMessage, 1],
    ['reconnect.initialDelayMs', opts.reconnect ? opts.reconnect.initialDelayMs : undefined, 1],
    ['reconnect.maxDelayMs', opts.reconnect ? opts.reconnect.maxDelayMs : undefined, 1],
  ];
  for (const [field, v, min] of durations) {
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min)) {
      throw new OvsdbArgumentError(`options.${field}`, `must be an integer >= ${min}, got ${String(v)}`);
    }
  }
}

export function decodeTableUpdates(json: unknown, field: string): TableUpdates {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new OvsdbProtocolError(field, 'table updates must be an object');
  }
  const out: TableUpdates = {};
  for (const [table, rows] of Object.entries(json)) {
    if (typeof rows !== 'object' || rows === null || Array.isArray(rows)) {
      throw new OvsdbProtocolError(`${field}.${table}`, 'must be an object of row updates');
    }
    const t: Record<string, RowUpdate> = {};
    for (const [uuid, upd] of Object.entries(rows as Record<string, unknown>)) {
      const f = `${field}.${table}.${uuid}`;
      if (typeof upd !== 'object' || upd === null) throw new OvsdbProtocolError(f, 'must be an object');
      const u = upd as { old?: unknown; new?: unknown };
      const ru: RowUpdate = {};
      if (u.old !== undefined) ru.old = decodeRow(u.old, `${f}.old`);
      if (u.new !== undefined) ru.new = decodeRow(u.new, `${f}.new`);
      t[uuid] = ru;
    }
    out[table] = t;
  }
  return out;
}

/** Applies RFC 7047 <table-updates> to a replica: a row with "new" is (re)placed, one without it is gone. */
export function applyUpdates(tables: Map<string, Map<string, Row>>, updates: TableUpdates): void {
  for (const [table, rows] of Object.entries(updates)) {
    let t = tables.get(table);
    if (!t) tables.set(table, (t = new Map()));
    for (const [uuid, u] of Object.entries(rows)) {
      if (u.new) t.set(uuid, u.new);
      else t.delete(uuid);
    }
  }
}

/** The updates that turn replica `before` into `after`, shaped like a server's update notification. */
export function diffTables(
  before: ReadonlyMap<string, ReadonlyMap<string, Row>>,
  after: ReadonlyMap<string, ReadonlyMap<string, Row>>,
): TableUpdates {
  const out: TableUpdates = {};
  const tables = new Set([...before.keys(), ...after.keys()]);
  for (const table of tables) {
    const b = before.get(table) ?? new Map<string, Row>();
    const a = after.get(table) ?? new Map<string, Row>();
    const t: Record<string, RowUpdate> = {};
    for (const [uuid, oldRow] of b) {
      const newRow = a.get(uuid);
      if (!newRow) {
        t[uuid] = { old: oldRow };
        continue;
      }
      const changed: Row = {};
      for (const [col, v] of Object.entries(oldRow)) {
        if (!(col in newRow) || !valuesEqual(v, newRow[col])) changed[col] = v;
      }
      if (Object.keys(changed).length > 0) t[uuid] = { old: changed, new: newRow };
    }
    for (const [uuid, newRow] of a) if (!b.has(uuid)) t[uuid] = { new: newRow };
    if (Object.keys(t).length > 0) out[table] = t;
  }
  return out;
}
