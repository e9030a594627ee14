/**
 * gmond's and gmetad's XML (the dump on 8649/8651, the answer to a `/cluster/host` query on gmetad's
 * interactive port 8652) as a SourceSnapshot. The structure follows the GANGLIA_XML DTD that both write in
 * their prologue: GANGLIA_XML > (GRID > (GRID | CLUSTER)* | CLUSTER | HOST)*, CLUSTER > HOST*, HOST > METRIC*,
 * METRIC > EXTRA_DATA > EXTRA_ELEMENT*. gmetad's summary elements (HOSTS, METRICS) are skipped: rules act per host.
 */
import { ParseError } from './errors.js';
import type { HostInfo, MetricSample, SourceSnapshot } from './types.js';
import { scanXml, type XmlElement, type XmlOptions } from './xml.js';

/** The METRIC TYPE values of the DTD that carry a number; `string` (and anything else) becomes a host fact. */
const NUMERIC_TYPES = new Set([
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float',
  'double',
  'timestamp',
]);

/** gmond's float/double format (%f, %.2f...) and plain integers; Ganglia writes no hex or exponents, but
 * gmetric passes the user's text through, so an exponent is accepted. */
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

export interface GangliaOptions extends XmlOptions {
  /** The configured source name, copied into every HostInfo. */
  source: string;
}

function fail(where: string, reason: string): never {
  throw new ParseError('ganglia-xml', where, reason);
}

function attr(el: Tag, key: string, where: string): string {
  const v = el.attrs[key];
  if (v === undefined) fail(`${where} (line ${el.line})`, `missing attribute ${key}`);
  return v;
}

/** An integer count of seconds (REPORTED, LOCALTIME, TN, TMAX): gmond writes them unsigned. */
function seconds(el: Tag, key: string, where: string, required: boolean): number | undefined {
  const v = el.attrs[key];
  if (v === undefined) {
    if (required) fail(`${where} (line ${el.line})`, `missing attribute ${key}`);
    return undefined;
  }
  if (!/^\d{1,15}$/.test(v.trim()))
    fail(`${where} (line ${el.line}) attribute ${key}`, `'${v}' is not a count of seconds`);
  return Number(v.trim());
}

/** A start tag as the scan reports it. */
type Tag = Pick<XmlElement, 'name' | 'attrs' | 'line'>;

/**
 * What the reader is inside: a part whose children are walked (the root, a GRID, a CLUSTER), a HOST (its
 * METRICs), or something skipped whole (a METRIC's EXTRA_DATA, gmetad's summaries).
 */
type Frame = { kind: 'walk'; scope: Scope } | { kind: 'host'; host: HostScope } | { kind: 'skip' };

/**
 * Read as the scan goes, without a tree: a gmond of 1,000 hosts sends some 50,000 elements a poll. A structural
 * error is kept and thrown once the whole text has been read, so a text that is not even well-formed XML
 * still says that first, as it did when the tree was built before the walk.
 */
export function parseGangliaXml(text: string, opts: GangliaOptions): SourceSnapshot {
  const snap: SourceSnapshot = { source: opts.source, hosts: [], samples: [] };
  const stack: Frame[] = [];
  let error: unknown;
  const SKIP: Frame = { kind: 'skip' };
  scanXml(text, opts, {
    open(name, attrs, line) {
      if (error !== undefined) return;
      const tag: Tag = { name, attrs, line };
      const top = stack[stack.length - 1];
      try {
        if (!top) {
          if (name !== 'GANGLIA_XML') {
            fail(
              `<${name}> (line ${line})`,
              'root element is not GANGLIA_XML (not a gmond or gmetad answer)',
            );
          }
          stack.push({ kind: 'walk', scope: { snap, source: opts.source } });
        } else if (top.kind === 'walk') stack.push(walk(tag, top.scope) ?? SKIP);
        else if (top.kind === 'host') {
          metric(tag, top.host);
          stack.push(SKIP);
        } else stack.push(SKIP);
      } catch (err) {
        error = err;
      }
    },
    close() {
      stack.pop();
    },
  });
  if (error !== undefined) throw error;
  return snap;
}

/** Where a walk is: the snapshot being filled and the enclosing cluster and its clock. */
interface Scope {
  snap: SourceSnapshot;
  source: string;
  cluster?: string;
  localtime?: number;
}

/** A HOST being read: its scope, what it reported, and its clock. */
interface HostScope {
  scope: Scope;
  info: HostInfo;
  where: string;
  now: number;
}

/** The frame for an element met where GRID, CLUSTER or HOST may stand; undefined to skip it whole. */
function walk(el: Tag, scope: Scope): Frame | undefined {
  switch (el.name) {
    case 'GRID': {
      attr(el, 'NAME', 'GRID');
      const localtime = seconds(el, 'LOCALTIME', `GRID[${el.attrs.NAME}]`, false) ?? scope.localtime;
      return { kind: 'walk', scope: { ...scope, localtime } };
    }
    case 'CLUSTER': {
      const name = attr(el, 'NAME', 'CLUSTER');
      // LOCALTIME is #REQUIRED on CLUSTER: the clock against which the hosts' TN ages are counted.
      const localtime = seconds(el, 'LOCALTIME', `CLUSTER[${name}]`, true);
      return { kind: 'walk', scope: { ...scope, cluster: name, localtime } };
    }
    case 'HOST':
      return { kind: 'host', host: host(el, scope) };
    case 'HOSTS':
    case 'METRICS':
      return undefined; // gmetad's summary form: counts and sums per cluster, no per-host values.
    default:
      fail(`<${el.name}> (line ${el.line})`, 'unexpected element (expected GRID, CLUSTER or HOST)');
  }
}

function host(el: Tag, scope: Scope): HostScope {
  const { snap, source, cluster, localtime } = scope;
  const name = attr(el, 'NAME', 'HOST');
  if (name === '') fail(`HOST (line ${el.line}) attribute NAME`, 'empty host name');
  const where = `HOST[${name}]`;
  const ip = attr(el, 'IP', where);
  const reported = seconds(el, 'REPORTED', where, true)!;
  // gmond writes the cluster's LOCALTIME; a HOST answered alone (no CLUSTER around it) ages from REPORTED + TN.
  const now = localtime ?? reported + (seconds(el, 'TN', where, false) ?? 0);
  const info: HostInfo = { name, source, reported: reported * 1000 };
  if (ip !== '') info.ip = ip;
  if (cluster !== undefined) info.cluster = cluster;
  // gmond's host names are FQDNs when it can resolve them: the rest after the first dot is the domain.
  const dot = name.indexOf('.');
  if (dot > 0 && !/^\d+\.\d+\.\d+\.\d+$/.test(name)) info.domain = name.slice(dot + 1);
  if (el.attrs.LOCATION) (info.facts ??= {}).location = el.attrs.LOCATION;
  snap.hosts.push(info);
  return { scope, info, where, now };
}

function metric(m: Tag, { scope, info, where, now }: HostScope): void {
  const { snap, cluster } = scope;
  const name = info.name;
  const ip = info.ip ?? '';
  if (m.name !== 'METRIC')
    fail(`<${m.name}> in ${where} (line ${m.line})`, 'unexpected element (expected METRIC)');
  const mname = attr(m, 'NAME', `METRIC in ${where}`);
  const mwhere = `${where} METRIC[${mname}]`;
  const val = attr(m, 'VAL', mwhere);
  const type = attr(m, 'TYPE', mwhere);
  if (!NUMERIC_TYPES.has(type)) {
    (info.facts ??= {})[mname] = val;
    return;
  }
  const trimmed = val.trim();
  // gmond prints a NaN float as 'nan' (printf %f); keep it as NaN so rules skip it instead of reading 0.
  let value: number;
  if (/^[-+]?nan$/i.test(trimmed)) value = NaN;
  else if (/^[-+]?inf(inity)?$/i.test(trimmed)) value = trimmed.startsWith('-') ? -Infinity : Infinity;
  else if (NUMBER.test(trimmed)) value = Number(trimmed);
  else fail(`${mwhere} (line ${m.line}) attribute VAL`, `'${val}' is not a number for TYPE ${type}`);
  const tn = seconds(m, 'TN', mwhere, false);
  const tmax = seconds(m, 'TMAX', mwhere, false);
  const sample: MetricSample = { host: name, name: mname, value, at: (now - (tn ?? 0)) * 1000 };
  if (ip !== '') sample.ip = ip;
  if (cluster !== undefined) sample.cluster = cluster;
  const units = m.attrs.UNITS?.trim();
  if (units) sample.units = units;
  if (tn !== undefined) sample.tn = tn;
  if (tmax !== undefined) sample.tmax = tmax;
  // Ganglia's own test (gmetad, the web front end): a metric not heard for four of its promised intervals
  // is stale. TMAX 0 means no promise, so never stale by this test.
  sample.stale = tn !== undefined && tmax !== undefined && tmax > 0 && tn > 4 * tmax;
  snap.samples.push(sample);
}
