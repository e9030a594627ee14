/**
 * `sluice hostaware ...`: host-aware networking (FL_HAND finished) through the client SDK: the module's status,
 * metric sources, monitored hosts and their metrics, rules (the /api/v1 form or FL_HAND's) and messages, live
 * with --follow. The controller validates sources and rules and names the field at fault; here only the command
 * line's own syntax is checked, each option where it enters.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type {
  FlHandRule,
  HandEventType,
  HandHost,
  HandHostMetrics,
  HandMessage,
  HandRule,
  HandRuleView,
  HandSource,
  HandSourceConfig,
  HandSourceType,
  HandStatus,
} from '../client/index.js';
import { HAND_EVENT_TYPES, HAND_SOURCE_TYPES } from '../client/index.js';
import { intArg, jsonFileArg } from './args.js';
import type { QueryOptions, VerbGroup } from './run.js';
import { ago, formatTable, keyValueText } from './table.js';

// ---- option values

export const SOURCE_TYPES: readonly HandSourceType[] = HAND_SOURCE_TYPES;
const EVENT_TYPES: readonly HandEventType[] = HAND_EVENT_TYPES;

export function sourceTypeArg(text: string): HandSourceType {
  const t = text.trim().toLowerCase() as HandSourceType;
  if (!SOURCE_TYPES.includes(t))
    throw new InvalidArgumentError(`'${text}' is not one of ${SOURCE_TYPES.join(', ')}.`);
  return t;
}

export function eventTypeArg(text: string): HandEventType {
  const t = text.trim().toUpperCase() as HandEventType;
  if (!EVENT_TYPES.includes(t))
    throw new InvalidArgumentError(`'${text}' is not one of ${EVENT_TYPES.join(', ')}.`);
  return t;
}

/** `host:port`, `host` or `[v6]:port`, as given (the controller fills in the default port). */
export function addressArg(text: string): string {
  const t = text.trim();
  const m = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(t);
  if (!m || (m[1] !== undefined && (Number(m[1]) < 1 || Number(m[1]) > 65535))) {
    throw new InvalidArgumentError(`'${text}' is not HOST[:PORT] (e.g. 127.0.0.1:8649).`);
  }
  return t;
}

/** Seconds: a positive decimal number (0.5, 5, 60). */
export function secondsArg(text: string): number {
  const n = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!(n > 0)) throw new InvalidArgumentError(`'${text}' is not a number of seconds (e.g. 5 or 0.5).`);
  return n;
}

export function sourceNameArg(text: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(text)) {
    throw new InvalidArgumentError(`'${text}' is not a source name (1-63 of A-Z a-z 0-9 . _ -).`);
  }
  return text;
}

export function ruleNameArg(text: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(text)) {
    throw new InvalidArgumentError(`'${text}' is not a rule name (1-64 of A-Z a-z 0-9 _ . -).`);
  }
  return text;
}

export function cfArg(text: string): string {
  const t = text.trim().toUpperCase();
  if (!['AVERAGE', 'MIN', 'MAX'].includes(t))
    throw new InvalidArgumentError(`'${text}' is not AVERAGE, MIN or MAX.`);
  return t;
}

/** An http(s) URL, as given. */
export function httpUrlArg(text: string): string {
  let u: URL | undefined;
  try {
    u = new URL(text);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
    throw new InvalidArgumentError(`'${text}' is not an http(s) URL (e.g. http://127.0.0.1:9100/metrics).`);
  }
  return text;
}

export function labelNameArg(text: string): string {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(text)) {
    throw new InvalidArgumentError(`'${text}' is not a Prometheus label name (e.g. instance).`);
  }
  return text;
}

export function directoryArg(text: string): string {
  if (!text.startsWith('/'))
    throw new InvalidArgumentError(`'${text}' is not an absolute path (e.g. /var/lib/ganglia/rrds).`);
  return text;
}

export function pathSegmentArg(text: string): string {
  if (!/^[A-Za-z0-9._-]{1,63}$/.test(text)) {
    throw new InvalidArgumentError(`'${text}' is not one path segment (1-63 of letters, digits, . _ -).`);
  }
  return text;
}

export function hostNameArg(text: string): string {
  if (!/^[A-Za-z0-9_.:-]{1,253}$/.test(text))
    throw new InvalidArgumentError(`'${text}' is not a host name or IP.`);
  return text;
}

/** Repeatable: `--query 'up' --query 'node_load1'`. */
export function queryArg(text: string, previous: string[] | undefined): string[] {
  if (text.trim() === '') throw new InvalidArgumentError('a query must not be empty.');
  return [...(previous ?? []), text];
}

const SOURCE_FILE_EXAMPLE = '{"type": "gmond", "address": "127.0.0.1:8649"}';
const RULE_FILE_EXAMPLE = '{"name": "hot", "host": "h1", "conditions": [...], "action": {"type": "drop"}}';

// ---- what a command line describes

export interface SourceAddOptions extends QueryOptions {
  type?: HandSourceType;
  name?: string;
  interval?: number;
  timeout?: number;
  address?: string;
  query?: string[];
  directory?: string;
  cf?: string;
  window?: number;
  url?: string;
  hostLabel?: string;
  host?: string;
  path?: string;
  file?: Record<string, unknown>;
}

/** The type-specific options: the option's key, its flag, and the config key it fills. */
const TYPE_OPTIONS = [
  { opt: 'address', flag: '--address', types: ['gmond', 'gmetad'] },
  { opt: 'query', flag: '--query', types: ['gmetad', 'prometheus-query'] },
  { opt: 'directory', flag: '--directory', types: ['rrd'] },
  { opt: 'cf', flag: '--cf', types: ['rrd'] },
  { opt: 'window', flag: '--window', types: ['rrd'] },
  { opt: 'url', flag: '--url', types: ['prometheus', 'prometheus-query'] },
  { opt: 'hostLabel', flag: '--host-label', types: ['prometheus', 'prometheus-query', 'alertmanager'] },
  { opt: 'host', flag: '--host', types: ['prometheus'] },
  { opt: 'path', flag: '--path', types: ['alertmanager'] },
] as const;
const REQUIRED: Record<HandSourceType, readonly string[]> = {
  gmond: ['address'],
  gmetad: ['address'],
  rrd: ['directory'],
  prometheus: ['url'],
  'prometheus-query': ['url', 'query'],
  alertmanager: [],
};

/** The source an `add` command line describes; throws InvalidArgumentError naming the option at fault. */
export function sourceFromOptions(o: SourceAddOptions): HandSourceConfig {
  const given = TYPE_OPTIONS.filter((t) => o[t.opt] !== undefined);
  const common = (['name', 'interval', 'timeout'] as const).filter((k) => o[k] !== undefined);
  if (o.file !== undefined) {
    if (o.type !== undefined || given.length || common.length) {
      throw new InvalidArgumentError('give either --file or --type with its options, not both.');
    }
    if (typeof o.file.type !== 'string') {
      throw new InvalidArgumentError(`--file: the source has no "type" (e.g. ${SOURCE_FILE_EXAMPLE}).`);
    }
    return o.file as HandSourceConfig;
  }
  const type = o.type;
  if (type === undefined) {
    throw new InvalidArgumentError(`--type is required (${SOURCE_TYPES.join(', ')}), or give --file.`);
  }
  for (const t of given) {
    if (!(t.types as readonly string[]).includes(type)) {
      throw new InvalidArgumentError(
        `${t.flag} is not an option of a ${type} source (it is for ${t.types.join(', ')}).`,
      );
    }
  }
  for (const k of REQUIRED[type]) {
    if (o[k as keyof SourceAddOptions] === undefined) {
      const t = TYPE_OPTIONS.find((x) => x.opt === k)!;
      throw new InvalidArgumentError(`${t.flag} is required for a ${type} source.`);
    }
  }
  const cfg: Record<string, unknown> = { type };
  for (const k of common) cfg[k] = o[k];
  for (const t of given) {
    if (t.opt !== 'query') cfg[t.opt] = o[t.opt];
  }
  if (o.query !== undefined) {
    if (type === 'gmetad') {
      if (o.query.length > 1)
        throw new InvalidArgumentError('--query: a gmetad source takes one query path.');
      cfg.query = o.query[0];
    } else cfg.queries = o.query;
  }
  return cfg as HandSourceConfig;
}

/** The rule in a file, in the form the flag says; a file in the other form is pointed out. */
export function ruleFromFile(body: Record<string, unknown>, floodlight: boolean): HandRule | FlHandRule {
  if (!floodlight && body.rule_name !== undefined && body.name === undefined) {
    throw new InvalidArgumentError('--file: this is FL_HAND\'s form ("rule_name"); add --floodlight.');
  }
  if (floodlight && body.name !== undefined && body.rule_name === undefined) {
    throw new InvalidArgumentError('--file: this is the /api/v1 form ("name"); drop --floodlight.');
  }
  return body as unknown as HandRule | FlHandRule;
}

// ---- human output (pure: data and `now` in, text out)

const dash = (s: string | number | undefined) => (s === undefined || s === '' ? '-' : String(s));
const when = (ms: number | undefined, now: number) => (ms === undefined ? '-' : ago(ms, now));

export function statusText(s: HandStatus): string {
  return (
    `host-aware networking ${s.enabled ? 'enabled' : 'disabled'}: ${s.sources} source(s), ${s.hosts} host(s), ` +
    `${s.rules} rule(s), ${s.activeActions} action(s) in effect, ${s.messages} message(s)\n`
  );
}

/** Where a source reads from: its address, URL, directory, or the webhook path it receives on. */
function sourceAddress(s: HandSource): string {
  const c = s.config;
  if (s.type === 'alertmanager') return `/api/v1/hostaware/alerts/${String(c.path ?? s.name)}`;
  const at = c.address ?? c.url ?? c.directory;
  const q = s.type === 'gmetad' && c.query !== undefined ? String(c.query) : '';
  return at === undefined ? '-' : String(at) + q;
}

const errorOf = (s: HandSource) => (s.error ? `${s.error.code}: ${s.error.message}` : '-');

export function sourcesText(list: readonly HandSource[], now: number): string {
  if (list.length === 0)
    return 'no sources (add one: sluice hostaware sources add --type gmond --address HOST:8649)\n';
  return formatTable(
    ['name', 'type', 'address', 'state', 'last-poll', 'hosts', 'error'],
    list.map((s) => [
      s.name,
      s.type,
      sourceAddress(s),
      s.state,
      when(s.lastPoll, now),
      String(s.hosts),
      errorOf(s),
    ]),
  );
}

export function sourceText(s: HandSource, now: number): string {
  const extra = Object.entries(s.config)
    .filter(([k]) => !['name', 'type'].includes(k))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
  return keyValueText([
    ['Name', s.name],
    ['Type', s.type],
    ['Reads', s.description],
    ['Config', extra],
    ['State', s.failures ? `${s.state} (${s.failures} failed poll(s) since the last good one)` : s.state],
    ['Polled every', `${s.pollEvery}s`],
    [
      'Last poll',
      s.lastPoll === undefined
        ? '-'
        : `${ago(s.lastPoll, now)}${s.pollMs === undefined ? '' : ` (${s.pollMs} ms)`}`,
    ],
    ['Last good', when(s.lastOk, now)],
    ['Hosts', String(s.hosts)],
    ['Samples', String(s.samples)],
    ['Error', errorOf(s)],
  ]);
}

/** MAC, SWITCH and PORT are `-` for a host the controller has not seen (not attached). */
export function hostsText(list: readonly HandHost[]): string {
  if (list.length === 0) return 'no monitored hosts (a source reports them once it is polled)\n';
  return formatTable(
    ['name', 'ip', 'cluster', 'source', 'state', 'mac', 'switch', 'port'],
    list.map((h) => [
      h.name,
      dash(h.ip),
      dash(h.cluster),
      h.source,
      h.attached ? h.state : `${h.state}, not seen`,
      dash(h.mac),
      dash(h.switch),
      dash(h.port),
    ]),
  );
}

/** A number as a person reads it: integers whole, others to 6 significant digits. */
function numberText(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

export function metricsText(m: HandHostMetrics, now: number): string {
  const rows = Object.entries(m.metrics).map(([name, v]) => [
    name,
    numberText(v.value),
    dash(v.units),
    ago(v.at, now),
    v.stale ? 'yes' : 'no',
  ]);
  if (rows.length === 0) return `no metrics for ${m.host.name}\n`;
  return formatTable(['metric', 'value', 'units', 'age', 'stale'], rows);
}

function conditionsText(r: HandRuleView['rule']): string {
  const one = (c: HandRuleView['rule']['conditions'][number]) =>
    `${c.window ? `${c.window.agg}(${c.metric},${c.window.seconds}s)` : c.metric} ${c.comparator} ${c.value}` +
    (c.clear === undefined ? '' : ` clear ${c.clear}`);
  return r.conditions.map(one).join(` ${r.join} `);
}

/** Per host: `h1:active`, `h2:pending(2/3)`; `inactive` for a deactivated rule; `-` when no host matches yet. */
function statesText(v: HandRuleView): string {
  if (!v.rule.active) return 'inactive';
  const hosts = v.hosts.map(
    (h) => `${h.host}:${h.state}${h.state === 'pending' ? `(${h.metCount}/${v.rule.checkLimit})` : ''}`,
  );
  return hosts.join(',') || '-';
}

export function rulesText(list: readonly HandRuleView[]): string {
  if (list.length === 0) return 'no rules (add one: sluice hostaware rules add --file rule.json)\n';
  return formatTable(
    ['name', 'host', 'action', 'priority', 'check', 'state(s)', 'issues'],
    list.map((v) => [
      v.rule.name,
      v.rule.host,
      v.rule.action.type,
      String(v.rule.priority),
      String(v.rule.checkLimit),
      statesText(v),
      v.issues.join('; ') || '-',
    ]),
  );
}

export function ruleText(v: HandRuleView, now: number): string {
  const r = v.rule;
  const params =
    r.action.params && Object.keys(r.action.params).length ? ` ${JSON.stringify(r.action.params)}` : '';
  const head = keyValueText([
    ['Name', r.name],
    ['Host', r.host],
    ['Conditions', conditionsText(r)],
    ['Action', r.action.type + params],
    ['Priority', String(r.priority)],
    ['Polling', `every ${r.pollingTime}s`],
    ['Check limit', `${r.checkLimit} poll(s) met before acting, ${r.clearPolls} not met to clear`],
    ['Cool-down', `${r.coolDown}s`],
    ['Active', r.active ? 'yes' : 'no'],
    ['Undo on clear', r.undoOnClear ? 'yes' : 'no'],
    ['Issues', v.issues.join('; ') || '-'],
  ]);
  if (v.hosts.length === 0) return `${head}\nno monitored host matches ${r.host} yet\n`;
  const table = formatTable(
    ['host', 'state', 'met polls', 'last values', 'last eval', 'applied'],
    v.hosts.map((h) => [
      h.host,
      h.error ? `${h.state} (${h.error})` : h.state,
      String(h.metCount),
      h.lastValues.map((x) => (x === null ? '?' : numberText(x))).join(',') || '-',
      when(h.lastEval, now),
      h.applied ? appliedText(h.applied) : '-',
    ]),
  );
  return `${head}\n${table}`;
}

function appliedText(a: { kind: string } & Record<string, unknown>): string {
  const { kind, ...rest } = a;
  const detail = Object.values(rest).map(String).join(' ');
  return detail ? `${kind} ${detail}` : kind;
}

/** `TIME TYPE rule host message`, like `docker events`: one line a message, `-` for no rule or host. */
export function messageLine(m: HandMessage): string {
  return `${new Date(m.at).toISOString()} ${m.type} ${m.rule ?? '-'} ${m.host ?? '-'} ${m.message}\n`;
}

// ---- the verbs

interface RuleAddOptions extends QueryOptions {
  file: Record<string, unknown>;
  floodlight?: boolean;
  replace?: boolean;
}

interface MessagesOptions extends QueryOptions {
  type?: HandEventType;
  rule?: string;
  host?: string;
  limit?: number;
  follow?: boolean;
}

/** `sluice hostaware ...` as a verb group (src/cli/run.ts VERB_GROUPS). */
export const hostawareVerbs: VerbGroup = (program, v) => {
  const hand = program
    .command('hostaware')
    .description(
      'host-aware networking: rules on host metrics (Ganglia, Prometheus) that change the network',
    );
  const verb = (parent: Command, name: string, description: string, isDefault = false) =>
    v.api(parent.command(name, { isDefault }).description(description));
  /** A verb on one named source or rule. */
  const named = (
    parent: Command,
    name: string,
    description: string,
    parse: (text: string) => string,
    act: (name: string, o: QueryOptions) => Promise<void>,
  ) =>
    verb(parent, name, description)
      .argument('<name>', `${parent.name().replace(/s$/, '')} name`, parse)
      .action(act);
  const now = () => v.io.now();
  const c = (o: QueryOptions) => v.client(o).hostaware;

  verb(hand, 'status', 'enabled or not; how many sources, hosts, rules, actions in effect').action(
    async (o: QueryOptions) => {
      const s = await c(o).status();
      v.print(o, s, () => statusText(s));
    },
  );
  verb(hand, 'enable', 'evaluate rules and act (the module starts enabled)').action(
    async (o: QueryOptions) => {
      const s = await c(o).enable();
      v.print(o, s, () => statusText(s));
    },
  );
  verb(hand, 'disable', 'stop acting: every action in effect is undone (sources keep being polled)').action(
    async (o: QueryOptions) => {
      const s = await c(o).disable();
      v.print(o, s, () => statusText(s));
    },
  );

  // Sources
  const sources = hand.command('sources').description('metric sources: list (default), add, show, delete');
  verb(sources, 'list', 'sources with their health (state, last poll, hosts, error)', true).action(
    async (o: QueryOptions) => {
      const list = await c(o).sources();
      v.print(o, list, () => sourcesText(list, now()));
    },
  );
  verb(sources, 'add', 'add a source: checked, then polled once (the answer shows its health)')
    .option('--type <type>', `source type: ${SOURCE_TYPES.join(', ')}`, sourceTypeArg)
    .option('--name <name>', 'source name (default: type and address)', sourceNameArg)
    .option('--interval <s>', 'seconds between polls (default 5)', secondsArg)
    .option(
      '--timeout <s>',
      'seconds a poll may take before the source counts as down (default 2)',
      secondsArg,
    )
    .option(
      '--address <host:port>',
      'gmond (default port 8649) or gmetad (8651, or 8652 with --query)',
      addressArg,
    )
    .option(
      '--query <q>',
      'gmetad: a query path (/cluster/host); prometheus-query: PromQL (repeatable)',
      queryArg,
    )
    .option('--directory <dir>', 'rrd: Ganglia’s rrds/ root (absolute)', directoryArg)
    .option('--cf <cf>', 'rrd: AVERAGE (default), MIN or MAX', cfArg)
    .option('--window <s>', 'rrd: seconds of samples to consolidate (default 60)', secondsArg)
    .option(
      '--url <url>',
      'prometheus: the /metrics URL; prometheus-query: the server’s base URL',
      httpUrlArg,
    )
    .option(
      '--host-label <label>',
      'prometheus*, alertmanager: the label naming the host (default instance)',
      labelNameArg,
    )
    .option(
      '--host <name>',
      'prometheus: the host the metrics belong to (default: the URL’s host)',
      hostNameArg,
    )
    .option(
      '--path <segment>',
      'alertmanager: receive on /api/v1/hostaware/alerts/SEGMENT (default: the name)',
      pathSegmentArg,
    )
    .option(
      '--file <source.json>',
      `the source as JSON, e.g. ${SOURCE_FILE_EXAMPLE}`,
      jsonFileArg(SOURCE_FILE_EXAMPLE),
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  sluice hostaware sources add --type gmond --address 127.0.0.1:8649 --interval 1\n' +
        '  sluice hostaware sources add --type gmetad --address ganglia:8652 --query /web\n' +
        '  sluice hostaware sources add --type rrd --directory /var/lib/ganglia/rrds --cf MAX --window 120\n' +
        '  sluice hostaware sources add --type prometheus --url http://10.0.0.1:9100/metrics --host h1\n' +
        "  sluice hostaware sources add --type prometheus-query --url http://prom:9090 --query 'node_load1'\n" +
        '  sluice hostaware sources add --type alertmanager --name am   (Alertmanager webhook_configs url: ' +
        '$API/api/v1/hostaware/alerts/am)\n' +
        '  sluice hostaware sources add --file source.json\n',
    )
    .action(async (o: SourceAddOptions) => {
      const s = await c(o).addSource(sourceFromOptions(o));
      v.print(
        o,
        s,
        () => `added source ${s.name} (${s.description}): ${s.state}\n${sourcesText([s], now())}`,
      );
    });
  named(sources, 'show', 'one source in detail', sourceNameArg, async (name, o) => {
    const s = await c(o).source(name);
    v.print(o, s, () => sourceText(s, now()));
  });
  named(
    sources,
    'delete',
    'delete a source (its hosts go unless another source reports them)',
    sourceNameArg,
    async (name, o) => {
      const s = await c(o).deleteSource(name);
      v.print(o, s, () => `deleted source ${name}\n`);
    },
  );

  // Hosts and metrics
  verb(hand, 'hosts', 'monitored hosts, joined to host tracking (MAC, switch, port; - when not seen)').action(
    async (o: QueryOptions) => {
      const list = await c(o).hosts();
      v.print(o, list, () => hostsText(list));
    },
  );
  verb(hand, 'metrics', 'a monitored host’s current metric values')
    .argument('<host>', 'monitored host name (see `sluice hostaware hosts`)', hostNameArg)
    .action(async (host: string, o: QueryOptions) => {
      const m = await c(o).metrics(host);
      v.print(o, m, () => metricsText(m, now()));
    });

  // Rules
  const rules = hand
    .command('rules')
    .description('rules: list (default), add, show, delete, activate, deactivate');
  verb(rules, 'list', 'rules with their state per host', true).action(async (o: QueryOptions) => {
    const list = await c(o).rules();
    v.print(o, list, () => rulesText(list));
  });
  verb(rules, 'add', 'add a rule from a JSON file (the /api/v1 form, or FL_HAND’s with --floodlight)')
    .requiredOption('--file <rule.json>', 'the rule as JSON', jsonFileArg(RULE_FILE_EXAMPLE))
    .option(
      '--floodlight',
      'the file is FL_HAND’s rule JSON (rule_name, attached_to, metrics, action_type, ...)',
    )
    .option('--replace', 'replace the rule of that name (its actions in effect are undone first)')
    .addHelpText(
      'after',
      '\nExamples (rule.json):\n' +
        '  {"name": "limit-h1", "host": "h1", "checkLimit": 3,\n' +
        '   "conditions": [{"metric": "bytes_out", "comparator": "gt", "value": 1000000}],\n' +
        '   "action": {"type": "qos", "params": {"ip-src": "{{ip}}", "rate-kbps": 2000}}}\n' +
        '  with --floodlight:\n' +
        '  {"rule_name": "limit-h1", "attached_to": "h1", "check_limit": "3", "metrics": {"bytes_out": "gt-1000000"},\n' +
        '   "action_type": "qos", "action_string": "{\\"ip-src\\": \\"{{ip}}\\", \\"rate-kbps\\": 2000}"}\n' +
        'Placeholders in action params: {{ip}} {{mac}} {{host}} {{dpid}} {{port}} (the host the rule acts on).\n',
    )
    .action(async (o: RuleAddOptions) => {
      const body = ruleFromFile(o.file, o.floodlight === true);
      if (o.replace && o.floodlight) {
        throw new InvalidArgumentError(
          '--replace takes the /api/v1 form only (FL_HAND’s POST cannot replace).',
        );
      }
      const client = c(o);
      let name: string;
      if (o.floodlight) name = (await client.addFloodlightRule(body as FlHandRule)).rule_name;
      else if (o.replace) name = (await client.putRule(body as HandRule)).rule.name;
      else name = (await client.addRule(body as HandRule)).rule.name;
      const r = await client.rule(name);
      v.print(o, r, () => {
        const issues = r.issues.length ? `; it cannot act yet: ${r.issues.join('; ')}` : '';
        return `${o.replace ? 'replaced' : 'added'} rule ${name}${issues}\n${rulesText([r])}`;
      });
    });
  named(
    rules,
    'show',
    'one rule: its conditions, action, and state per host',
    ruleNameArg,
    async (name, o) => {
      const r = await c(o).rule(name);
      v.print(o, r, () => ruleText(r, now()));
    },
  );
  named(rules, 'delete', 'delete a rule (its actions are undone)', ruleNameArg, async (name, o) => {
    const r = await c(o).deleteRule(name);
    v.print(o, r, () => `deleted rule ${name}\n`);
  });
  for (const [op, active, description] of [
    ['activate', true, 'activate a rule (it acts when met again)'],
    ['deactivate', false, 'deactivate a rule (its actions are undone)'],
  ] as const) {
    named(rules, op, description, ruleNameArg, async (name, o) => {
      const r = await c(o).setRuleActive(name, active);
      v.print(o, r, () => `${op}d rule ${name}\n`);
    });
  }

  // Messages
  verb(hand, 'messages', 'the module’s messages (INFO, WARN, THRESHOLD_MET, ACTION, ERROR), newest last')
    .option('--type <type>', `only this type: ${EVENT_TYPES.join(', ')}`, eventTypeArg)
    .option('--rule <name>', 'only about this rule', ruleNameArg)
    .option('--host <name>', 'only about this host', hostNameArg)
    .option('--limit <n>', 'the newest N (default 100)', intArg('a message count', 1, 1000))
    .option('-f, --follow', 'then follow: print messages as they come (Server-Sent Events) until Ctrl-C')
    .addHelpText(
      'after',
      '\nEach message is a line: TIME TYPE RULE HOST MESSAGE (- for none). With --json, one JSON object ' +
        'a line\nwhen following, else the page {messages, next, dropped}.\n',
    )
    .action(async (o: MessagesOptions) => {
      const client = c(o);
      const filter = { type: o.type, rule: o.rule, host: o.host };
      const page = await client.messages({ ...filter, limit: o.limit });
      if (!o.follow) {
        v.print(o, page, () => page.messages.map(messageLine).join(''));
        return;
      }
      const line = (m: HandMessage) => v.io.stdout(o.json ? `${JSON.stringify(m)}\n` : messageLine(m));
      page.messages.forEach(line);
      await client.follow(line, {
        ...filter,
        after: page.next,
        ...(v.io.signal && { signal: v.io.signal }),
        onReconnect: (err, ms) =>
          v.io.stderr(
            `connection lost (${(err as Error).message}); reconnecting in ${Math.round(ms / 1000)}s\n`,
          ),
      });
    });
};
