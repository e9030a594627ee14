/**
 * A metric source as configured (`POST /api/v1/hostaware/sources`, `sluice hostaware sources add`): checked on
 * add so a typo is refused naming the field rather than found as a source that never reports. Unknown keys
 * are refused for the same reason. Times are seconds, as the rules' pollingTime.
 */
import * as shared from '../../../util/index.js';
import { throwingAs } from '../../../util/index.js';
import { HAND_SOURCE_TYPES } from '../../../schema/vocab.js';
import { HandError } from '../rules.js';
import { CONSOLIDATIONS, type Consolidation } from './rrd.js';

const parseIntIn = throwingAs(HandError)(shared.parseIntIn);

/** The wire's vocabulary (src/schema). */
export const SOURCE_TYPES = HAND_SOURCE_TYPES;
export type SourceType = (typeof SOURCE_TYPES)[number];

/** Ganglia's default ports: gmond's XML, gmetad's XML dump and gmetad's interactive query port. */
export const GMOND_PORT = 8649;
export const GMETAD_XML_PORT = 8651;
export const GMETAD_QUERY_PORT = 8652;

interface Common {
  name: string;
  /** Seconds between polls (pushed sources: how long an alert's state holds without news). */
  interval: number;
  /** Seconds a poll may take before the source counts as down. */
  timeout: number;
}
export interface HostPort {
  host: string;
  port: number;
}
export type SourceConfig = Common &
  (
    | { type: 'gmond'; address: HostPort }
    /** `query` (`/cluster/host`, `/web?filter=summary`) selects the interactive port. */
    | { type: 'gmetad'; address: HostPort; query?: string }
    | { type: 'rrd'; directory: string; cf: Consolidation; window: number }
    | { type: 'prometheus'; url: string; hostLabel: string; host?: string }
    | { type: 'prometheus-query'; url: string; queries: string[]; hostLabel: string }
    | { type: 'alertmanager'; path: string; hostLabel: string }
  );

const COMMON_KEYS = ['type', 'name', 'interval', 'timeout'];
const TYPE_KEYS: Record<SourceType, string[]> = {
  gmond: ['address'],
  gmetad: ['address', 'query'],
  rrd: ['directory', 'cf', 'window'],
  prometheus: ['url', 'hostLabel', 'host'],
  'prometheus-query': ['url', 'queries', 'hostLabel'],
  alertmanager: ['path', 'hostLabel'],
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function str(field: string, raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new HandError(field, 'must be a non-empty string');
  return raw.trim();
}

/** Seconds, a JSON number or its text, in min..max. */
function secs(field: string, raw: unknown, min: number, max: number): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n)) throw new HandError(field, `'${String(raw)}' is not a number of seconds`);
  if (n < min || n > max) throw new HandError(field, `${n} is out of range ${min}..${max} s`);
  return n;
}

/** `host:port`, `host` (default port), `[v6]:port`; host an IPv4 address, an IPv6 one in brackets or a name. */
export function parseHostPort(field: string, raw: unknown, defaultPort: number): HostPort {
  const text = str(field, raw);
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\S+))?$/.exec(text);
  if (!m) throw new HandError(field, `'${text}' is not host:port`);
  const host = m[1] ?? m[2];
  if (m[2] !== undefined && !HOSTNAME.test(host))
    throw new HandError(field, `'${host}' is not a host name or address`);
  const port = m[3] === undefined ? defaultPort : parseIntIn(field, m[3], 1, 65535);
  return { host, port };
}

function parseUrl(field: string, raw: unknown): string {
  const text = str(field, raw);
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new HandError(field, `'${text}' is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new HandError(field, 'must be an http or https URL');
  return u.toString();
}

function parseLabel(field: string, raw: unknown): string {
  const text = raw === undefined ? 'instance' : str(field, raw);
  if (!LABEL.test(text)) throw new HandError(field, `'${text}' is not a Prometheus label name`);
  return text;
}

/** The default name when none is given: type and address, made safe for a URL path segment. */
function defaultName(type: SourceType, detail: string): string {
  return `${type}-${detail}`
    .replace(/[^A-Za-z0-9._]+/g, '-')
    .replace(/-+$/, '')
    .slice(0, 63);
}

export function parseSourceConfig(body: unknown): SourceConfig {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HandError('body', 'must be a JSON object');
  }
  const o = body as Record<string, unknown>;
  if (o.type === undefined) throw new HandError('type', 'is required');
  if (!(SOURCE_TYPES as readonly unknown[]).includes(o.type)) {
    throw new HandError('type', `'${String(o.type)}' is not one of ${SOURCE_TYPES.join(', ')}`);
  }
  const type = o.type as SourceType;
  const known = [...COMMON_KEYS, ...TYPE_KEYS[type]];
  for (const k of Object.keys(o)) {
    if (!known.includes(k))
      throw new HandError(k, `unknown key for a ${type} source (known: ${known.join(', ')})`);
  }
  const required = (k: string) => {
    if (o[k] === undefined) throw new HandError(k, `is required for a ${type} source`);
    return o[k];
  };
  let cfg: SourceConfig;
  let detail: string;
  const interval = o.interval === undefined ? 5 : secs('interval', o.interval, 0.1, 86_400);
  const timeout = o.timeout === undefined ? Math.min(2, interval) : secs('timeout', o.timeout, 0.05, 300);
  const common = { name: '', interval, timeout };
  switch (type) {
    case 'gmond': {
      const address = parseHostPort('address', required('address'), GMOND_PORT);
      cfg = { ...common, type, address };
      detail = `${address.host}-${address.port}`;
      break;
    }
    case 'gmetad': {
      const query = o.query === undefined ? undefined : str('query', o.query);
      if (query !== undefined && (!query.startsWith('/') || /[\r\n]/.test(query))) {
        throw new HandError('query', `'${query}' must be a path like /cluster/host`);
      }
      const address = parseHostPort(
        'address',
        required('address'),
        query ? GMETAD_QUERY_PORT : GMETAD_XML_PORT,
      );
      cfg = query === undefined ? { ...common, type, address } : { ...common, type, address, query };
      detail = `${address.host}-${address.port}`;
      break;
    }
    case 'rrd': {
      const directory = str('directory', required('directory'));
      if (!directory.startsWith('/'))
        throw new HandError('directory', 'must be an absolute path (Ganglia rrds/ root)');
      const cfText = o.cf === undefined ? 'AVERAGE' : str('cf', o.cf).toUpperCase();
      if (!(CONSOLIDATIONS as readonly string[]).includes(cfText)) {
        throw new HandError('cf', `'${String(o.cf)}' is not one of ${CONSOLIDATIONS.join(', ')}`);
      }
      const window = o.window === undefined ? 60 : secs('window', o.window, 1, 86_400 * 366);
      cfg = { ...common, type, directory, cf: cfText as Consolidation, window };
      detail = directory;
      break;
    }
    case 'prometheus': {
      const url = parseUrl('url', required('url'));
      const hostLabel = parseLabel('hostLabel', o.hostLabel);
      cfg = { ...common, type, url, hostLabel };
      if (o.host !== undefined) cfg.host = str('host', o.host);
      detail = new URL(url).host;
      break;
    }
    case 'prometheus-query': {
      const url = parseUrl('url', required('url'));
      const raw = required('queries');
      if (!Array.isArray(raw) || raw.length === 0)
        throw new HandError('queries', 'must be a non-empty list of PromQL');
      if (raw.length > 100) throw new HandError('queries', `${raw.length} queries is over the limit of 100`);
      const queries = raw.map((q, i) => str(`queries[${i}]`, q));
      cfg = { ...common, type, url, queries, hostLabel: parseLabel('hostLabel', o.hostLabel) };
      detail = new URL(url).host;
      break;
    }
    case 'alertmanager': {
      const path = o.path === undefined ? undefined : str('path', o.path);
      if (path !== undefined && !/^[A-Za-z0-9._-]{1,63}$/.test(path)) {
        throw new HandError('path', `'${path}' must be one path segment (letters, digits, . _ -)`);
      }
      cfg = { ...common, type, path: path ?? '', hostLabel: parseLabel('hostLabel', o.hostLabel) };
      detail = path ?? '';
      break;
    }
  }
  if (o.name === undefined) cfg.name = defaultName(type, detail);
  else {
    const name = str('name', o.name);
    if (!NAME.test(name))
      throw new HandError('name', `'${name}' must be 1..63 letters, digits, . _ - (a URL segment)`);
    cfg.name = name;
  }
  // The receiver's path defaults to the source's name: /api/v1/hostaware/alertmanager/NAME.
  if (cfg.type === 'alertmanager' && cfg.path === '') cfg.path = cfg.name;
  return cfg;
}
