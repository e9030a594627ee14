/**
 * Host-aware rules (issue 10, item 3): the `/api/v1/hostaware/rules` shape, its validation, and FL_HAND's rule
 * JSON (`/wm/hand/rules/json`) converted both ways. Pure: no store, no I/O; the app stores what parseRule returns.
 *
 * Kept from FL_HAND: comparators gt, lt, et, gte, lte, ne; `polling_time` in seconds (default 1); `check_limit`
 * consecutive met polls before acting (default 1); `metrics` as {"load_one": "gt-5"}; `action_string` as the
 * JSON text of the target app's body; numbers sent as strings. Done beyond it: conditions joined by all|any,
 * window aggregation, a clear threshold, clear polls and a cool-down (see HandRule), host selectors, and
 * `undoOnClear`. Every error names the field at fault (`conditions[1].comparator`, `action.params.avoid`).
 */
import * as shared from '../../util/index.js';
import { FieldError, formatDpid, parseDpid, throwingAs } from '../../util/index.js';
import { HAND_ACTION_TYPES, HAND_AGGREGATIONS, HAND_COMPARATORS } from '../../schema/vocab.js';

/** Bad host-aware input (400), naming the field at fault. */
export class HandError extends FieldError {
  override readonly code = 'SLU_HOSTAWARE_INVALID';
}
const parseIntIn = throwingAs(HandError)(shared.parseIntIn);
const parseIpv4 = throwingAs(HandError)(shared.parseIpv4);

// The wire's vocabularies (src/schema): what the rules take is what the API documents.
export const COMPARATORS = HAND_COMPARATORS;
export type Comparator = (typeof COMPARATORS)[number];
export const AGGREGATIONS = HAND_AGGREGATIONS;
export type Aggregation = (typeof AGGREGATIONS)[number];
export const ACTION_TYPES = HAND_ACTION_TYPES;
export type ActionType = (typeof ACTION_TYPES)[number];
export type Join = 'all' | 'any';

export interface Window {
  agg: Aggregation;
  /** Samples of the last `seconds` (by the sample's own timestamp) are aggregated. */
  seconds: number;
}

export interface Condition {
  metric: string;
  comparator: Comparator;
  value: number;
  window?: Window;
  /**
   * Hysteresis threshold: once the rule has acted, this condition compares against `clear` instead of `value`
   * (bytes_out gt 1e6 clear 5e5 stays met until bytes_out <= 5e5), so a value hovering at `value` does not
   * flap. Only for gt/gte (clear <= value) and lt/lte (clear >= value).
   */
  clear?: number;
}

export interface RerouteParams {
  avoid: { switch: bigint } | { link: { src: bigint; srcPort: number; dst: bigint; dstPort: number } };
}
export interface LoadBalanceParams {
  /** Service address `ip` or `ip:port` answered for the pool. */
  service: string;
  pool: string[];
  metric: string;
  pick: 'least';
}

/**
 * The action. firewall/acl/staticflow/qos carry the target app's own body (validated by that app when the rule
 * is added); drop carries nothing (it becomes an ACL deny for the host); reroute and loadbalance are checked here.
 */
export type HandAction =
  | { type: 'report' | 'drop'; params: Record<string, never> }
  | { type: 'firewall' | 'acl' | 'staticflow' | 'qos'; params: Record<string, unknown> }
  | { type: 'reroute'; params: RerouteParams }
  | { type: 'loadbalance'; params: LoadBalanceParams };

export interface HandRule {
  name: string;
  /** Host selector text; see parseHostSelector. */
  host: string;
  conditions: Condition[];
  join: Join;
  /** Seconds between evaluations (default 1). */
  pollingTime: number;
  /** Higher wins when two active rules on one host conflict (eval.ts: arbitrate); ties go to the lower name. */
  priority: number;
  /** Consecutive met polls before acting: acts on exactly the Nth (default 1). */
  checkLimit: number;
  /** Consecutive not-met polls before an active rule clears (default 1). */
  clearPolls: number;
  /** Seconds after clearing during which met polls are not counted, so the action cannot flap (default 0). */
  coolDown: number;
  active: boolean;
  /** Undo the action when the condition clears (default true); deleting/deactivating the rule always undoes. */
  undoOnClear: boolean;
  action: HandAction;
}

// ---------------------------------------------------------------------------------------------------------
// Host selectors

export type HostSelector =
  | { kind: 'all' }
  | { kind: 'cluster'; cluster: string }
  | { kind: 'glob'; re: RegExp }
  /** A host name or an IP address: matches a host whose name (any case) or IP equals it. */
  | { kind: 'exact'; text: string };

export interface HostRef {
  name: string;
  ip?: string;
  cluster?: string;
}

const HOST_TEXT = /^[A-Za-z0-9_.:*?-]{1,253}$/;

/** `*`, `cluster:NAME`, a glob on the host name (`web-*`, `h?`), or an exact host name or IP. */
export function parseHostSelector(field: string, raw: unknown): HostSelector {
  if (typeof raw !== 'string') throw new HandError(field, `must be a string, got ${typeof raw}`);
  const t = raw.trim();
  if (t === '*') return { kind: 'all' };
  if (t.startsWith('cluster:')) {
    const cluster = t.slice('cluster:'.length);
    if (!cluster) throw new HandError(field, `'${raw}' names no cluster (expected cluster:NAME)`);
    return { kind: 'cluster', cluster };
  }
  if (!HOST_TEXT.test(t)) {
    throw new HandError(field, `'${raw}' is not a host name, IP, glob, cluster:NAME or *`);
  }
  if (/[*?]/.test(t)) {
    const body = t
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    return { kind: 'glob', re: new RegExp(`^${body}$`, 'i') };
  }
  return { kind: 'exact', text: t.toLowerCase() };
}

export function selectorMatches(sel: HostSelector, host: HostRef): boolean {
  switch (sel.kind) {
    case 'all':
      return true;
    case 'cluster':
      return host.cluster === sel.cluster;
    case 'glob':
      return sel.re.test(host.name);
    case 'exact':
      return host.name.toLowerCase() === sel.text || host.ip === sel.text;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Scalars, as JSON clients (and Floodlight's) send them

function isObject(raw: unknown): raw is Record<string, unknown> {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw);
}

/** A JSON object with only `known` keys; unknown keys are refused so a typo does not silently do nothing. */
function objectOf(field: string, raw: unknown, known: readonly string[]): Record<string, unknown> {
  if (!isObject(raw)) throw new HandError(field, 'must be a JSON object');
  for (const k of Object.keys(raw)) {
    if (!known.includes(k)) {
      throw new HandError(join(field, k), `is not a known key (known: ${known.join(', ')})`);
    }
  }
  return raw;
}

/** `a.b`, `a[1]`, or `b` when the prefix is the whole body. */
function join(prefix: string, key: string): string {
  if (prefix === '' || prefix === 'body') return key;
  return key.startsWith('[') ? prefix + key : `${prefix}.${key}`;
}

const NUMBER_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** A finite number from a JSON number or its decimal text ("5", "1e6", "-0.5"). */
export function parseNumber(field: string, raw: unknown): number {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && NUMBER_TEXT.test(raw.trim())) n = Number(raw.trim());
  else throw new HandError(field, `'${String(raw)}' is not a number`);
  if (!Number.isFinite(n)) throw new HandError(field, `${String(raw)} is not a finite number`);
  return n;
}

function numberIn(field: string, raw: unknown, min: number, max: number): number {
  const n = parseNumber(field, raw);
  if (n < min || n > max) throw new HandError(field, `${n} is out of range ${min}..${max}`);
  return n;
}

function intIn(field: string, raw: unknown, min: number, max: number): number {
  if (typeof raw !== 'number' && typeof raw !== 'string') {
    throw new HandError(field, `must be an integer, got ${typeof raw}`);
  }
  return parseIntIn(field, raw, min, max);
}

/** true/false, or their text in any case, as Floodlight clients send them. */
function parseBool(field: string, raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') {
    const t = raw.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
  }
  throw new HandError(field, `'${String(raw)}' is not true or false`);
}

function oneOf<T extends string>(field: string, raw: unknown, allowed: readonly T[]): T {
  const t = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
  if (t === undefined || !(allowed as readonly string[]).includes(t)) {
    throw new HandError(field, `'${String(raw)}' is not one of ${allowed.join(', ')}`);
  }
  return t as T;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Ganglia metric names are free text; Prometheus ones may carry a {label="..."} selector. No control chars. */
const METRIC = /^\S{1,256}$/;

function parseName(field: string, raw: unknown): string {
  if (typeof raw !== 'string' || !NAME.test(raw)) {
    throw new HandError(field, `'${String(raw)}' is not a rule name (1-64 of A-Z a-z 0-9 _ . -)`);
  }
  return raw;
}

function parseMetric(field: string, raw: unknown): string {
  if (typeof raw !== 'string' || !METRIC.test(raw) || [...raw].some((ch) => ch.charCodeAt(0) < 0x20)) {
    throw new HandError(field, `'${String(raw)}' is not a metric name (1-256 chars, no spaces)`);
  }
  return raw;
}

// ---------------------------------------------------------------------------------------------------------
// Limits and defaults

/** Polling faster than 100 ms would out-run every source (gmond refreshes values every few seconds). */
export const POLLING_MIN_S = 0.1;
export const POLLING_MAX_S = 86_400;
export const WINDOW_MAX_S = 86_400;
export const COUNT_MAX = 10_000;
const PRIORITY_MIN = -(2 ** 31);
const PRIORITY_MAX = 2 ** 31 - 1;
const MAX_CONDITIONS = 32;

export const RULE_KEYS = [
  'name',
  'host',
  'conditions',
  'join',
  'pollingTime',
  'priority',
  'checkLimit',
  'clearPolls',
  'coolDown',
  'active',
  'undoOnClear',
  'action',
] as const;
const CONDITION_KEYS = ['metric', 'comparator', 'value', 'window', 'clear'] as const;

function parseWindow(field: string, raw: unknown): Window {
  const o = objectOf(field, raw, ['agg', 'seconds']);
  if (o.agg === undefined) throw new HandError(join(field, 'agg'), 'is required (avg, max or min)');
  if (o.seconds === undefined) throw new HandError(join(field, 'seconds'), 'is required');
  return {
    agg: oneOf(join(field, 'agg'), o.agg, AGGREGATIONS),
    seconds: numberIn(join(field, 'seconds'), o.seconds, POLLING_MIN_S, WINDOW_MAX_S),
  };
}

export function parseCondition(field: string, raw: unknown): Condition {
  const o = objectOf(field, raw, CONDITION_KEYS);
  for (const k of ['metric', 'comparator', 'value'] as const) {
    if (o[k] === undefined) throw new HandError(join(field, k), 'is required');
  }
  const c: Condition = {
    metric: parseMetric(join(field, 'metric'), o.metric),
    comparator: oneOf(join(field, 'comparator'), o.comparator, COMPARATORS),
    value: parseNumber(join(field, 'value'), o.value),
  };
  if (o.window !== undefined) c.window = parseWindow(join(field, 'window'), o.window);
  if (o.clear !== undefined) {
    const f = join(field, 'clear');
    c.clear = parseNumber(f, o.clear);
    // The clear threshold must sit on the not-met side, else the rule could never clear (or clear at once).
    if (c.comparator === 'gt' || c.comparator === 'gte') {
      if (c.clear > c.value) throw new HandError(f, `must be <= value (${c.value}) for ${c.comparator}`);
    } else if (c.comparator === 'lt' || c.comparator === 'lte') {
      if (c.clear < c.value) throw new HandError(f, `must be >= value (${c.value}) for ${c.comparator}`);
    } else {
      throw new HandError(f, `applies to gt, gte, lt and lte only, not ${c.comparator}`);
    }
  }
  return c;
}

function parseConditions(field: string, raw: unknown): Condition[] {
  if (!Array.isArray(raw)) throw new HandError(field, 'must be a list of conditions');
  if (raw.length === 0) throw new HandError(field, 'must hold at least one condition');
  if (raw.length > MAX_CONDITIONS) throw new HandError(field, `holds more than ${MAX_CONDITIONS} conditions`);
  return raw.map((c, i) => parseCondition(`${field}[${i}]`, c));
}

// ---------------------------------------------------------------------------------------------------------
// Actions

const MAX_PORT_NO = 0xffff_ff00;

function dpidOf(field: string, raw: unknown): bigint {
  const d = typeof raw === 'string' ? parseDpid(raw) : typeof raw === 'number' ? BigInt(raw) : undefined;
  if (d === undefined || d < 0n || d > 0xffff_ffff_ffff_ffffn) {
    throw new HandError(field, `'${String(raw)}' is not a switch DPID (00:00:00:00:00:00:00:01 or 0x1)`);
  }
  return d;
}

function parseReroute(field: string, raw: unknown): RerouteParams {
  const o = objectOf(field, raw, ['avoid']);
  const f = join(field, 'avoid');
  if (o.avoid === undefined) throw new HandError(f, 'is required ({switch} or {link})');
  const avoid = objectOf(f, o.avoid, ['switch', 'link']);
  if ((avoid.switch === undefined) === (avoid.link === undefined)) {
    throw new HandError(f, 'must give exactly one of switch or link');
  }
  if (avoid.switch !== undefined) return { avoid: { switch: dpidOf(join(f, 'switch'), avoid.switch) } };
  const lf = join(f, 'link');
  const l = objectOf(lf, avoid.link, ['src', 'srcPort', 'dst', 'dstPort']);
  for (const k of ['src', 'srcPort', 'dst', 'dstPort'] as const) {
    if (l[k] === undefined) throw new HandError(join(lf, k), 'is required');
  }
  return {
    avoid: {
      link: {
        src: dpidOf(join(lf, 'src'), l.src),
        srcPort: intIn(join(lf, 'srcPort'), l.srcPort, 1, MAX_PORT_NO),
        dst: dpidOf(join(lf, 'dst'), l.dst),
        dstPort: intIn(join(lf, 'dstPort'), l.dstPort, 1, MAX_PORT_NO),
      },
    },
  };
}

function parseService(field: string, raw: unknown): string {
  const t = typeof raw === 'string' ? raw.trim() : '';
  const m = /^([0-9.]+)(?::(\d{1,5}))?$/.exec(t);
  if (!m) throw new HandError(field, `'${String(raw)}' is not a service address (ip or ip:port)`);
  parseIpv4(field, m[1]!);
  if (m[2] !== undefined) parseIntIn(field, m[2], 1, 65535);
  return t;
}

function parseLoadBalance(field: string, raw: unknown): LoadBalanceParams {
  const o = objectOf(field, raw, ['service', 'pool', 'metric', 'pick']);
  for (const k of ['service', 'pool', 'metric'] as const) {
    if (o[k] === undefined) throw new HandError(join(field, k), 'is required');
  }
  const pf = join(field, 'pool');
  if (!Array.isArray(o.pool) || o.pool.length === 0)
    throw new HandError(pf, 'must be a non-empty list of hosts');
  const pool = o.pool.map((h, i) => {
    if (typeof h !== 'string' || !HOST_TEXT.test(h) || /[*?]/.test(h)) {
      throw new HandError(`${pf}[${i}]`, `'${String(h)}' is not a host name or IP`);
    }
    return h;
  });
  if (new Set(pool).size !== pool.length) throw new HandError(pf, 'names a host twice');
  return {
    service: parseService(join(field, 'service'), o.service),
    pool,
    metric: parseMetric(join(field, 'metric'), o.metric),
    pick: o.pick === undefined ? 'least' : oneOf(join(field, 'pick'), o.pick, ['least'] as const),
  };
}

/** Params of one action type; `field` names the params object (`action.params`, `action_string`). */
export function parseActionParams(field: string, type: ActionType, raw: unknown): HandAction {
  switch (type) {
    case 'report':
    case 'drop':
      // Nothing to say: `drop` is an ACL deny on the host's address, built by the app.
      if (raw !== undefined && raw !== null) objectOf(field, raw, []);
      return { type, params: {} };
    case 'firewall':
    case 'acl':
    case 'staticflow':
    case 'qos':
      // The target app validates its own body when the rule is added; here only the shape.
      if (!isObject(raw)) throw new HandError(field, `must be a JSON object (the ${type} app's body)`);
      return { type, params: { ...raw } };
    case 'reroute':
      return { type, params: parseReroute(field, raw) };
    case 'loadbalance':
      return { type, params: parseLoadBalance(field, raw) };
  }
}

function parseAction(field: string, raw: unknown): HandAction {
  const o = objectOf(field, raw, ['type', 'params']);
  if (o.type === undefined)
    throw new HandError(join(field, 'type'), `is required (${ACTION_TYPES.join(', ')})`);
  const type = oneOf(join(field, 'type'), o.type, ACTION_TYPES);
  return parseActionParams(join(field, 'params'), type, o.params);
}

// ---------------------------------------------------------------------------------------------------------
// The /api/v1 shape

/** Validates a POSTed (or stored) `/api/v1/hostaware/rules` body; defaults filled in. */
export function parseRule(body: unknown): HandRule {
  const o = objectOf('body', body, RULE_KEYS);
  for (const k of ['name', 'host', 'conditions', 'action'] as const) {
    if (o[k] === undefined) throw new HandError(k, 'is required');
  }
  parseHostSelector('host', o.host);
  return {
    name: parseName('name', o.name),
    host: (o.host as string).trim(),
    conditions: parseConditions('conditions', o.conditions),
    join: o.join === undefined ? 'all' : oneOf('join', o.join, ['all', 'any'] as const),
    pollingTime:
      o.pollingTime === undefined ? 1 : numberIn('pollingTime', o.pollingTime, POLLING_MIN_S, POLLING_MAX_S),
    priority: o.priority === undefined ? 0 : intIn('priority', o.priority, PRIORITY_MIN, PRIORITY_MAX),
    checkLimit: o.checkLimit === undefined ? 1 : intIn('checkLimit', o.checkLimit, 1, COUNT_MAX),
    clearPolls: o.clearPolls === undefined ? 1 : intIn('clearPolls', o.clearPolls, 1, COUNT_MAX),
    coolDown: o.coolDown === undefined ? 0 : numberIn('coolDown', o.coolDown, 0, WINDOW_MAX_S),
    active: o.active === undefined ? true : parseBool('active', o.active),
    undoOnClear: o.undoOnClear === undefined ? true : parseBool('undoOnClear', o.undoOnClear),
    action: parseAction('action', o.action),
  };
}

/** JSON-safe params (DPIDs as colon hex), as the API lists them and parseRule reads them back. */
export function actionParamsJson(action: HandAction): Record<string, unknown> {
  if (action.type !== 'reroute') return { ...action.params };
  const avoid = action.params.avoid;
  if ('switch' in avoid) return { avoid: { switch: formatDpid(avoid.switch) } };
  const l = avoid.link;
  return {
    avoid: {
      link: { src: formatDpid(l.src), srcPort: l.srcPort, dst: formatDpid(l.dst), dstPort: l.dstPort },
    },
  };
}

function conditionJson(c: Condition): Record<string, unknown> {
  const out: Record<string, unknown> = { metric: c.metric, comparator: c.comparator, value: c.value };
  if (c.window) out.window = { ...c.window };
  if (c.clear !== undefined) out.clear = c.clear;
  return out;
}

/** The canonical `/api/v1` JSON of a rule (every key, defaults explicit); parseRule(ruleJson(r)) equals r. */
export function ruleJson(r: HandRule): Record<string, unknown> {
  return {
    name: r.name,
    host: r.host,
    conditions: r.conditions.map(conditionJson),
    join: r.join,
    pollingTime: r.pollingTime,
    priority: r.priority,
    checkLimit: r.checkLimit,
    clearPolls: r.clearPolls,
    coolDown: r.coolDown,
    active: r.active,
    undoOnClear: r.undoOnClear,
    action: { type: r.action.type, params: actionParamsJson(r.action) },
  };
}

// ---------------------------------------------------------------------------------------------------------
// FL_HAND's rule JSON (/wm/hand/rules/json)

/**
 * FL_HAND's keys, then Sluice's extensions (snake case as FL_HAND's): `join`, `clear_polls`, `cool_down`,
 * `undo_on_clear`. A metric's text is `CMP-VALUE` (`gt-5`, `lt--1` for -1), optionally followed by
 * `;avg=30` (window agg=seconds) and `;clear=4` (clear threshold), so toFlHand loses nothing but the order of
 * conditions and a second condition on the same metric (FL_HAND keys `metrics` by metric name).
 */
export const FL_HAND_KEYS = [
  'rule_name',
  'priority',
  'polling_time',
  'active',
  'check_limit',
  'attached_to',
  'metrics',
  'action_type',
  'action_string',
  'join',
  'clear_polls',
  'cool_down',
  'undo_on_clear',
] as const;

export interface FlHandRule {
  rule_name: string;
  priority: number;
  polling_time: number;
  active: boolean;
  check_limit: number;
  attached_to: string;
  metrics: Record<string, string>;
  action_type: ActionType;
  action_string: string;
  join: Join;
  clear_polls: number;
  cool_down: number;
  undo_on_clear: boolean;
}

const FL_METRIC = /^(gte|lte|gt|lt|et|ne)-(.+)$/i;

/** `gt-5;avg=30;clear=4` -> a condition on `metric`. */
export function parseFlMetric(field: string, metric: string, raw: unknown): Condition {
  if (typeof raw !== 'string') throw new HandError(field, `must be a string like "gt-5", got ${typeof raw}`);
  const [head = '', ...opts] = raw.trim().split(';');
  const m = FL_METRIC.exec(head.trim());
  if (!m)
    throw new HandError(field, `'${raw}' is not COMPARATOR-VALUE (${COMPARATORS.join('|')}, e.g. gt-5)`);
  const body: Record<string, unknown> = { metric, comparator: m[1]!.toLowerCase(), value: m[2]!.trim() };
  for (const opt of opts) {
    const [k = '', v, extra] = opt.split('=').map((s) => s.trim());
    if (v === undefined || extra !== undefined) throw new HandError(field, `'${opt}' is not KEY=VALUE`);
    if (k === 'clear') body.clear = v;
    else if ((AGGREGATIONS as readonly string[]).includes(k)) {
      if (body.window !== undefined) throw new HandError(field, 'gives a window twice');
      body.window = { agg: k, seconds: v };
    } else throw new HandError(field, `'${k}' is not avg, max, min or clear`);
  }
  // Errors from the condition parser name the FL field itself (`metrics.load_one`), not the /api/v1 keys.
  try {
    return parseCondition('', body);
  } catch (e) {
    if (e instanceof HandError) throw new HandError(field, `${e.field}: ${e.reason}`);
    throw e;
  }
}

function flMetricText(c: Condition): string {
  let t = `${c.comparator}-${c.value}`;
  if (c.window) t += `;${c.window.agg}=${c.window.seconds}`;
  if (c.clear !== undefined) t += `;clear=${c.clear}`;
  return t;
}

/** Reads FL_HAND's rule JSON (numbers and booleans also as strings); extension keys are optional. */
export function fromFlHand(body: unknown): HandRule {
  const o = objectOf('body', body, FL_HAND_KEYS);
  for (const k of ['rule_name', 'attached_to', 'metrics', 'action_type'] as const) {
    if (o[k] === undefined) throw new HandError(k, 'is required');
  }
  if (!isObject(o.metrics)) throw new HandError('metrics', 'must be a JSON object like {"load_one": "gt-5"}');
  const conditions = Object.entries(o.metrics).map(([metric, text]) => {
    parseMetric(`metrics.${metric}`, metric);
    return parseFlMetric(`metrics.${metric}`, metric, text);
  });
  if (conditions.length === 0) throw new HandError('metrics', 'must hold at least one metric');
  const type = oneOf('action_type', o.action_type, ACTION_TYPES);
  let params: unknown;
  if (typeof o.action_string === 'string') {
    const text = o.action_string.trim();
    if (text !== '') {
      try {
        params = JSON.parse(text);
      } catch (e) {
        throw new HandError('action_string', `is not JSON text: ${(e as Error).message}`);
      }
    }
  } else if (o.action_string !== undefined && o.action_string !== null) {
    // A client that sends the body itself rather than its text means the same.
    params = o.action_string;
  }
  const input = {
    name: o.rule_name,
    host: o.attached_to,
    conditions: conditions.map(conditionJson),
    ...(o.join !== undefined && { join: o.join }),
    ...(o.polling_time !== undefined && { pollingTime: o.polling_time }),
    ...(o.priority !== undefined && { priority: o.priority }),
    ...(o.check_limit !== undefined && { checkLimit: o.check_limit }),
    ...(o.clear_polls !== undefined && { clearPolls: o.clear_polls }),
    ...(o.cool_down !== undefined && { coolDown: o.cool_down }),
    ...(o.active !== undefined && { active: o.active }),
    ...(o.undo_on_clear !== undefined && { undoOnClear: o.undo_on_clear }),
    action: { type, ...(params !== undefined && { params }) },
  };
  try {
    return parseRule(input);
  } catch (e) {
    // Name FL_HAND's key, not the /api/v1 one it was mapped to.
    if (e instanceof HandError) throw new HandError(flField(e.field), e.reason);
    throw e;
  }
}

const FL_FIELD: Readonly<Record<string, string>> = {
  name: 'rule_name',
  host: 'attached_to',
  join: 'join',
  pollingTime: 'polling_time',
  priority: 'priority',
  checkLimit: 'check_limit',
  clearPolls: 'clear_polls',
  coolDown: 'cool_down',
  active: 'active',
  undoOnClear: 'undo_on_clear',
  'action.type': 'action_type',
};

function flField(field: string): string {
  if (field === 'action.params' || field.startsWith('action.params.')) {
    return 'action_string' + field.slice('action.params'.length);
  }
  return FL_FIELD[field] ?? field;
}

/** FL_HAND's JSON of a rule; refuses (naming `conditions`) a rule with two conditions on one metric. */
export function toFlHand(r: HandRule): FlHandRule {
  const metrics: Record<string, string> = {};
  r.conditions.forEach((c, i) => {
    if (Object.hasOwn(metrics, c.metric)) {
      throw new HandError(
        `conditions[${i}].metric`,
        `FL_HAND's form holds one condition per metric (${c.metric})`,
      );
    }
    metrics[c.metric] = flMetricText(c);
  });
  const params = actionParamsJson(r.action);
  return {
    rule_name: r.name,
    priority: r.priority,
    polling_time: r.pollingTime,
    active: r.active,
    check_limit: r.checkLimit,
    attached_to: r.host,
    metrics,
    action_type: r.action.type,
    action_string: Object.keys(params).length === 0 ? '' : JSON.stringify(params),
    join: r.join,
    clear_polls: r.clearPolls,
    cool_down: r.coolDown,
    undo_on_clear: r.undoOnClear,
  };
}
