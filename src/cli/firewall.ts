/**
 * `sluice firewall enable|disable|status|rules|add|delete` and `sluice acl list|add|delete|clear` through the
 * client SDK. The controller validates rules (naming the field); here only the command line's own syntax is
 * checked (each option's value where it enters).
 */
import { InvalidArgumentError } from 'commander';
import type { AclRule, FirewallRule, RuleFields } from '../client/index.js';
import { cidrArg, dpidArg, intArg, macArg } from './args.js';
import type { QueryOptions, VerbGroup } from './run.js';
import { formatTable } from './table.js';

export function protoArg(text: string): string {
  const t = text.trim();
  if (/^(tcp|udp|icmp)$/i.test(t)) return t.toUpperCase();
  return String(intArg('an IP protocol', 0, 255)(t));
}

export function dlTypeArg(text: string): string {
  const t = text.trim();
  if (/^(arp|ipv4)$/i.test(t)) return t.toLowerCase() === 'arp' ? 'ARP' : 'IPv4';
  if (/^0x[0-9a-f]{1,4}$/i.test(t)) return t;
  return String(intArg('an EtherType', 0, 0xffff)(t));
}

export function actionArg(text: string): 'allow' | 'deny' {
  const t = text.trim().toLowerCase();
  if (t === 'allow' || t === 'accept') return 'allow';
  if (t === 'deny' || t === 'drop') return 'deny';
  throw new InvalidArgumentError(`'${text}' is not an action (allow or deny).`);
}

export function ruleIdArg(text: string): number {
  return intArg('a rule id', 1, 0x7fffffff)(text);
}

/** `--json '{...}'`: one rule object. */
export function ruleJsonArg(text: string): RuleFields {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`--json: not valid JSON (${(e as Error).message}).`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new InvalidArgumentError('--json: must be one rule object, e.g. \'{"src-ip": "10.0.0.1/32"}\'.');
  }
  return v as RuleFields;
}

interface RuleOptions extends QueryOptions {
  switch?: string;
  inPort?: number;
  srcMac?: string;
  dstMac?: string;
  dlType?: string;
  srcIp?: string;
  dstIp?: string;
  proto?: string;
  tpSrc?: number;
  tpDst?: number;
  priority?: number;
  action?: 'allow' | 'deny';
  rule?: RuleFields;
}

const OPTION_KEYS: readonly [keyof RuleOptions, string][] = [
  ['switch', 'switchid'],
  ['inPort', 'src-inport'],
  ['srcMac', 'src-mac'],
  ['dstMac', 'dst-mac'],
  ['dlType', 'dl-type'],
  ['srcIp', 'src-ip'],
  ['dstIp', 'dst-ip'],
  ['proto', 'nw-proto'],
  ['tpSrc', 'tp-src'],
  ['tpDst', 'tp-dst'],
  ['priority', 'priority'],
  ['action', 'action'],
];

/** The rule the options describe (Floodlight keys); --rule-json and field options do not mix. */
export function ruleFromOptions(o: RuleOptions): RuleFields {
  const fields: RuleFields = {};
  for (const [opt, key] of OPTION_KEYS) {
    const v = o[opt];
    if (v !== undefined) fields[key] = v as string | number;
  }
  if (o.rule !== undefined) {
    if (Object.keys(fields).length)
      throw new InvalidArgumentError('give either --rule-json or field options, not both.');
    return o.rule;
  }
  return fields;
}

const FIREWALL_COLUMNS = [
  'ruleid',
  'priority',
  'action',
  'switchid',
  'src-inport',
  'src-mac',
  'dst-mac',
  'dl-type',
  'src-ip',
  'dst-ip',
  'nw-proto',
  'tp-src',
  'tp-dst',
] as const;
const ACL_COLUMNS = ['ruleid', 'action', 'src-ip', 'dst-ip', 'nw-proto', 'tp-dst'] as const;

function rulesTable(rows: readonly Record<string, string | undefined>[], columns: readonly string[]): string {
  if (rows.length === 0) return 'no rules\n';
  return formatTable(
    columns,
    rows.map((r) => columns.map((c) => r[c] ?? '*')),
  );
}

export function firewallRulesText(rules: readonly FirewallRule[]): string {
  return rulesTable(rules as unknown as Record<string, string>[], FIREWALL_COLUMNS);
}

export function aclRulesText(rules: readonly AclRule[]): string {
  return rulesTable(rules as unknown as Record<string, string>[], ACL_COLUMNS);
}

const RULE_JSON_HELP = 'the rule as JSON with Floodlight\'s keys, e.g. \'{"src-ip": "10.0.0.1/32"}\'';

/** `sluice firewall ...` */
export const firewallVerbs: VerbGroup = (program, v) => {
  const cmd = program
    .command('firewall')
    .description('the firewall (Floodlight-style): enable, disable, status, rules, add, delete');
  const verb = (name: string, description: string) => v.api(cmd.command(name).description(description));

  verb('enable', 'enable the firewall: from now on, packets no rule allows are denied').action(
    async (o: QueryOptions) => {
      const res = await v.client(o).firewall.enable();
      v.print(o, res, () => 'firewall enabled\n');
    },
  );
  verb('disable', 'disable the firewall (every packet passes; cached decisions are flushed)').action(
    async (o: QueryOptions) => {
      const res = await v.client(o).firewall.disable();
      v.print(o, res, () => 'firewall disabled\n');
    },
  );
  verb('status', 'enabled or not, subnet mask and rule count').action(async (o: QueryOptions) => {
    const res = await v.client(o).firewall.status();
    v.print(
      o,
      res,
      () =>
        `firewall ${res.enabled ? 'enabled' : 'disabled'}, ${res.rules} rule(s), subnet mask ${res.subnetMask}\n`,
    );
  });
  verb('rules', 'list rules in evaluation order (ascending priority; * = any)').action(
    async (o: QueryOptions) => {
      const rules = await v.client(o).firewall.rules();
      v.print(o, rules, () => firewallRulesText(rules));
    },
  );
  verb('add', 'add a rule (rules are evaluated in ascending priority; none matching means deny)')
    .option('--switch <dpid>', 'only packets entering at this switch', dpidArg)
    .option('--in-port <port>', 'only packets entering on this port', intArg('a port number', 1, 0xffffff00))
    .option('--src-mac <mac>', 'source MAC', macArg)
    .option('--dst-mac <mac>', 'destination MAC', macArg)
    .option('--dl-type <type>', 'ARP, IPv4 or an EtherType', dlTypeArg)
    .option('--src-ip <cidr>', 'source IPv4 address or prefix', cidrArg)
    .option('--dst-ip <cidr>', 'destination IPv4 address or prefix', cidrArg)
    .option('--proto <proto>', 'TCP, UDP, ICMP or an IP protocol number', protoArg)
    .option(
      '--tp-src <port>',
      'TCP/UDP source port (needs --proto TCP or UDP)',
      intArg('a TCP/UDP port', 0, 65535),
    )
    .option(
      '--tp-dst <port>',
      'TCP/UDP destination port (needs --proto TCP or UDP)',
      intArg('a TCP/UDP port', 0, 65535),
    )
    .option('--priority <n>', 'evaluation order: 0 first (default 0)', intArg('a priority', 0, 0x7fffffff))
    .option('--action <action>', 'allow or deny (default allow)', actionArg)
    .option('--rule-json <json>', RULE_JSON_HELP, ruleJsonArg)
    .addHelpText(
      'after',
      '\nExamples:\n  sluice firewall add --src-ip 10.0.0.1 --dst-ip 10.0.0.2 --proto ICMP --action allow\n' +
        '  sluice firewall add --dl-type ARP --action allow\n' +
        '  sluice firewall add --proto TCP --tp-dst 5201 --action deny --priority 0\n',
    )
    .action(async (o: RuleOptions & { ruleJson?: RuleFields }) => {
      const rule = await v.client(o).firewall.add(ruleFromOptions({ ...o, rule: o.ruleJson }));
      v.print(o, rule, () => `added rule ${rule.ruleid} (cookie tag ${rule.cookieTag})\n`);
    });
  verb('delete', 'delete a rule and exactly the flows it caused')
    .argument('<ruleid>', 'the rule id (see `sluice firewall rules`)', ruleIdArg)
    .action(async (id: number, o: QueryOptions) => {
      const res = await v.client(o).firewall.delete(id);
      v.print(o, res, () => `deleted rule ${id}\n`);
    });
};

/** `sluice acl ...` */
export const aclVerbs: VerbGroup = (program, v) => {
  const cmd = program
    .command('acl')
    .description('access control list (pushed to every switch; earlier rules win): list, add, delete, clear');
  const verb = (name: string, description: string) => v.api(cmd.command(name).description(description));

  verb('list', 'list ACL rules, earliest (strongest) first; * = any').action(async (o: QueryOptions) => {
    const rules = await v.client(o).acl.list();
    v.print(o, rules, () => aclRulesText(rules));
  });
  verb('add', 'add a rule (needs --src-ip or --dst-ip)')
    .option('--src-ip <cidr>', 'source IPv4 address or prefix', cidrArg)
    .option('--dst-ip <cidr>', 'destination IPv4 address or prefix', cidrArg)
    .option('--proto <proto>', 'TCP, UDP, ICMP or an IP protocol number', protoArg)
    .option(
      '--tp-dst <port>',
      'TCP/UDP destination port (needs --proto TCP or UDP)',
      intArg('a TCP/UDP port', 0, 65535),
    )
    .option('--action <action>', 'allow or deny (default deny)', actionArg)
    .option('--rule-json <json>', RULE_JSON_HELP, ruleJsonArg)
    .addHelpText(
      'after',
      '\nExample:\n  sluice acl add --src-ip 10.0.0.1/32 --dst-ip 10.0.0.2/32 --action deny\n',
    )
    .action(async (o: RuleOptions & { ruleJson?: RuleFields }) => {
      const rule = await v.client(o).acl.add(ruleFromOptions({ ...o, rule: o.ruleJson }));
      v.print(o, rule, () => `added ACL rule ${rule.ruleid}\n`);
    });
  verb('delete', 'delete an ACL rule (its flow goes from every switch)')
    .argument('<ruleid>', 'the rule id (see `sluice acl list`)', ruleIdArg)
    .action(async (id: number, o: QueryOptions) => {
      const res = await v.client(o).acl.delete(id);
      v.print(o, res, () => `deleted ACL rule ${id}\n`);
    });
  verb('clear', 'delete every ACL rule').action(async (o: QueryOptions) => {
    const res = await v.client(o).acl.clear();
    v.print(o, res, () => `deleted ${res.deleted} ACL rule(s)\n`);
  });
};
