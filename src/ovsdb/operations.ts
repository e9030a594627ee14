import { decodeValue, encodeValue, NamedUuid, type OvsValue, type OvsValueInput, Uuid } from './atoms.js';
import { OvsdbProtocolError, OvsdbTransactionError } from './errors.js';

/** A row given to insert/update: column name to value (plain JS, encoded on the way out). */
export type RowInput = Record<string, OvsValueInput>;
/** A row read back: column name to decoded value. `_uuid` and `_version` come as Uuid atoms. */
export type Row = Record<string, OvsValue>;

export type ConditionFunction = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes';
export type Condition = [column: string, fn: ConditionFunction, value: OvsValueInput];
export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';
export type Mutation = [column: string, mutator: Mutator, value: OvsValueInput];

/** The operations of RFC 7047 section 5.2, with values in plain JS form. */
export type Operation =
  | { op: 'insert'; table: string; row: RowInput; uuidName?: string }
  | { op: 'select'; table: string; where: Condition[]; columns?: string[] }
  | { op: 'update'; table: string; where: Condition[]; row: RowInput }
  | { op: 'mutate'; table: string; where: Condition[]; mutations: Mutation[] }
  | { op: 'delete'; table: string; where: Condition[] }
  | {
      op: 'wait';
      table: string;
      where: Condition[];
      columns: string[];
      until: '==' | '!=';
      rows: RowInput[];
      timeout?: number;
    }
  | { op: 'commit'; durable: boolean }
  | { op: 'abort' }
  | { op: 'comment'; comment: string }
  | { op: 'assert'; lock: string };

/** Builders: short, and they make the intent of a transaction readable. */
export const op = {
  insert: (table: string, row: RowInput, uuidName?: string): Operation => ({
    op: 'insert',
    table,
    row,
    uuidName,
  }),
  select: (table: string, where: Condition[] = [], columns?: string[]): Operation => ({
    op: 'select',
    table,
    where,
    columns,
  }),
  update: (table: string, where: Condition[], row: RowInput): Operation => ({
    op: 'update',
    table,
    where,
    row,
  }),
  mutate: (table: string, where: Condition[], mutations: Mutation[]): Operation => ({
    op: 'mutate',
    table,
    where,
    mutations,
  }),
  delete: (table: string, where: Condition[]): Operation => ({ op: 'delete', table, where }),
  /**
   * Fails the transaction (error "timed out" with timeout 0) unless the rows matching `where`, projected on
   * `columns`, equal (`until: '=='`) or differ from (`'!='`) `rows`. With timeout 0 this is an optimistic
   * check that what we read is still true when the transaction runs.
   */
  wait: (
    table: string,
    where: Condition[],
    columns: string[],
    rows: RowInput[],
    until: '==' | '!=' = '==',
    timeout = 0,
  ): Operation => ({ op: 'wait', table, where, columns, until, rows, timeout }),
  commit: (durable = false): Operation => ({ op: 'commit', durable }),
  abort: (): Operation => ({ op: 'abort' }),
  comment: (comment: string): Operation => ({ op: 'comment', comment }),
  assert: (lock: string): Operation => ({ op: 'assert', lock }),
};

/** Shorthand conditions. */
export const where = {
  uuid: (uuid: string | Uuid): Condition => ['_uuid', '==', uuid instanceof Uuid ? uuid : new Uuid(uuid)],
  named: (name: string): Condition => ['_uuid', '==', new NamedUuid(name)],
  eq: (column: string, value: OvsValueInput): Condition => [column, '==', value],
};

function encodeRow(row: RowInput, field: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [col, v] of Object.entries(row)) out[col] = encodeValue(v, `${field}.${col}`);
  return out;
}

function encodeConditions(conds: Condition[], field: string): unknown[] {
  return conds.map(([c, fn, v], i) => [c, fn, encodeValue(v, `${field}[${i}]`)]);
}

/** RFC 7047 <id>: what uuid-names and lock names must look like. */
function checkId(id: string, field: string): string {
  if (typeof id !== 'string' || !/^[_a-zA-Z][_a-zA-Z0-9]*$/.test(id)) {
    throw new OvsdbProtocolError(
      field,
      `must be letters, digits and '_', not starting with a digit: ${JSON.stringify(id)}`,
    );
  }
  return id;
}

/** The wire form of one operation. */
export function encodeOperation(o: Operation, index = 0): Record<string, unknown> {
  const f = `operations[${index}]`;
  switch (o.op) {
    case 'insert': {
      const out: Record<string, unknown> = {
        op: 'insert',
        table: o.table,
        row: encodeRow(o.row, `${f}.row`),
      };
      if (o.uuidName !== undefined) out['uuid-name'] = checkId(o.uuidName, `${f}.uuid-name`);
      return out;
    }
    case 'select': {
      const out: Record<string, unknown> = {
        op: 'select',
        table: o.table,
        where: encodeConditions(o.where, `${f}.where`),
      };
      if (o.columns) out.columns = o.columns;
      return out;
    }
    case 'update':
      return {
        op: 'update',
        table: o.table,
        where: encodeConditions(o.where, `${f}.where`),
        row: encodeRow(o.row, `${f}.row`),
      };
    case 'mutate':
      return {
        op: 'mutate',
        table: o.table,
        where: encodeConditions(o.where, `${f}.where`),
        mutations: o.mutations.map(([c, m, v], i) => [c, m, encodeValue(v, `${f}.mutations[${i}]`)]),
      };
    case 'delete':
      return { op: 'delete', table: o.table, where: encodeConditions(o.where, `${f}.where`) };
    case 'wait': {
      const out: Record<string, unknown> = {
        op: 'wait',
        table: o.table,
        where: encodeConditions(o.where, `${f}.where`),
        columns: o.columns,
        until: o.until,
        rows: o.rows.map((r, i) => encodeRow(r, `${f}.rows[${i}]`)),
      };
      if (o.timeout !== undefined) out.timeout = o.timeout;
      return out;
    }
    case 'commit':
      return { op: 'commit', durable: o.durable };
    case 'abort':
      return { op: 'abort' };
    case 'comment':
      return { op: 'comment', comment: o.comment };
    case 'assert':
      return { op: 'assert', lock: checkId(o.lock, `${f}.lock`) };
  }
}

/** What one successful operation returned. Only the field that its kind of operation returns is set. */
export interface OpResult {
  /** insert: the new row's UUID. */
  uuid?: string;
  /** select: the rows, decoded. */
  rows?: Row[];
  /** update, mutate, delete: how many rows matched. */
  count?: number;
}

export function decodeRow(json: unknown, field: string): Row {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new OvsdbProtocolError(field, 'a row must be an object');
  }
  const row: Row = {};
  for (const [col, v] of Object.entries(json)) row[col] = decodeValue(v, `${field}.${col}`);
  return row;
}

/**
 * Checks a transact reply against its request. RFC 7047 5.2: the reply holds one result per operation; a failed
 * operation carries {"error", "details"} and those after it are null; one extra result reports a failed commit.
 */
export function decodeTransactResult(ops: Operation[], json: unknown): OpResult[] {
  if (!Array.isArray(json)) throw new OvsdbProtocolError('transact.result', 'must be an array');
  json.forEach((r, i) => {
    if (r && typeof r === 'object' && 'error' in r && (r as { error: unknown }).error !== null) {
      const e = r as { error: unknown; details?: unknown };
      const opName = i < ops.length ? ops[i].op : 'commit';
      throw new OvsdbTransactionError(
        i,
        opName,
        String(e.error),
        typeof e.details === 'string'
          ? e.details
          : e.details === undefined
            ? undefined
            : JSON.stringify(e.details),
      );
    }
  });
  if (json.length < ops.length) {
    throw new OvsdbProtocolError('transact.result', `expected ${ops.length} results, got ${json.length}`);
  }
  return ops.map((o, i) => decodeOpResult(json[i], `transact.result[${i}]`, o.op));
}

function decodeOpResult(json: unknown, field: string, kind: Operation['op']): OpResult {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new OvsdbProtocolError(field, 'an operation result must be an object');
  }
  const r = json as Record<string, unknown>;
  const out: OpResult = {};
  if (kind === 'insert') {
    const u = decodeValue(r.uuid, `${field}.uuid`);
    if (!(u instanceof Uuid)) throw new OvsdbProtocolError(`${field}.uuid`, 'must be ["uuid", ...]');
    out.uuid = u.value;
  }
  if (kind === 'select') {
    if (!Array.isArray(r.rows)) throw new OvsdbProtocolError(`${field}.rows`, 'must be an array');
    out.rows = r.rows.map((row, i) => decodeRow(row, `${field}.rows[${i}]`));
  }
  if (kind === 'update' || kind === 'mutate' || kind === 'delete') {
    if (typeof r.count !== 'number') throw new OvsdbProtocolError(`${field}.count`, 'must be a number');
    out.count = r.count;
  }
  return out;
}

/** The UUID of a row read back (its `_uuid` column). */
export function rowUuid(row: Row): string {
  const u = row._uuid;
  if (!(u instanceof Uuid)) throw new OvsdbProtocolError('row._uuid', 'missing or not a UUID');
  return u.value;
}
