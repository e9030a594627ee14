/**
 * `sluice staticflow add|delete|list|clear`: static flow entries through the client SDK. The controller
 * validates entries (and names the field at fault); here only the command line's own syntax is checked.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { StaticFlow, StaticFlowEntry } from '../client/index.js';
import { dpidArg, intArg } from './args.js';
import type { QueryOptions, VerbGroup } from './run.js';

interface AddOptions extends QueryOptions {
  switch?: string;
  name?: string;
  priority?: number;
  table?: number;
  cookie?: string;
  idleTimeout?: number;
  hardTimeout?: number;
  inactive?: boolean;
  match?: StaticFlowEntry;
  actions?: string;
  entry?: StaticFlowEntry | StaticFlowEntry[];
  file?: StaticFlowEntry | StaticFlowEntry[];
}

/** `eth_type=0x800,ipv4_dst=10.0.0.2` -> {eth_type: '0x800', ipv4_dst: '10.0.0.2'}. */
export function matchArg(text: string): StaticFlowEntry {
  const out: StaticFlowEntry = {};
  if (text.trim() === '') return out;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    if (eq <= 0 || key === '')
      throw new InvalidArgumentError(`'${part}' is not FIELD=VALUE (e.g. eth_type=0x800).`);
    if (key in out) throw new InvalidArgumentError(`field '${key}' is given twice.`);
    out[key] = part.slice(eq + 1).trim();
  }
  return out;
}

function entriesOf(text: string, where: string): StaticFlowEntry | StaticFlowEntry[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`${where}: not valid JSON (${(e as Error).message}).`);
  }
  const isObj = (x: unknown) => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (isObj(v)) return v as StaticFlowEntry;
  if (Array.isArray(v) && v.length > 0 && v.every(isObj)) return v as StaticFlowEntry[];
  throw new InvalidArgumentError(`${where}: must be one entry object or a non-empty list of entry objects.`);
}

export function jsonArg(text: string): StaticFlowEntry | StaticFlowEntry[] {
  return entriesOf(text, '--json');
}

export function fileArg(path: string): StaticFlowEntry | StaticFlowEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InvalidArgumentError(
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
    );
  }
  return entriesOf(text, path);
}

/** The entry (or entries) an `add` command line describes; throws InvalidArgumentError naming the option. */
export function entriesFromOptions(o: AddOptions): StaticFlowEntry | StaticFlowEntry[] {
  const sources = [
    o.entry !== undefined,
    o.file !== undefined,
    o.switch !== undefined || o.name !== undefined,
  ];
  if (sources.filter(Boolean).length > 1) {
    throw new InvalidArgumentError('give either --switch/--name (with --match/--actions), --json or --file.');
  }
  if (o.entry !== undefined) return o.entry;
  if (o.file !== undefined) return o.file;
  if (o.switch === undefined) throw new InvalidArgumentError('--switch is required (or --json / --file).');
  if (o.name === undefined) throw new InvalidArgumentError('--name is required.');
  const e: StaticFlowEntry = { switch: o.switch, name: o.name, ...(o.match ?? {}) };
  if (o.priority !== undefined) e.priority = o.priority;
  if (o.table !== undefined) e.table = o.table;
  if (o.cookie !== undefined) e.cookie = o.cookie;
  if (o.idleTimeout !== undefined) e.idle_timeout = o.idleTimeout;
  if (o.hardTimeout !== undefined) e.hard_timeout = o.hardTimeout;
  if (o.inactive) e.active = 'false';
  e.actions = o.actions ?? '';
  return e;
}

/** Like `ovs-ofctl dump-flows`, one entry per line with its name, grouped by switch. */
export function staticFlowsText(flows: readonly StaticFlow[]): string {
  const bySwitch = new Map<string, StaticFlow[]>();
  for (const f of flows) bySwitch.set(f.switch, [...(bySwitch.get(f.switch) ?? []), f]);
  let out = '';
  for (const [sw, list] of [...bySwitch].sort(([a], [b]) => a.localeCompare(b))) {
    out += `${sw}:\n`;
    for (const f of list) {
      const state = f.state === 'installed' ? '' : ` (${f.state.replace(/_/g, ' ')})`;
      out += ` name=${f.name}${state} ${f.text.trim()}\n`;
    }
  }
  return out;
}

/** `sluice staticflow ...` as a verb group (src/cli/run.ts VERB_GROUPS). */
export const staticflowVerbs: VerbGroup = (program, v) => {
  const cmd = program
    .command('staticflow')
    .description('static flow entries (Floodlight static entry pusher): add, delete, list, clear');
  const verb = (name: string, description: string) => v.api(cmd.command(name).description(description));

  verb('add', 'add or replace an entry (stored, then pushed to its switch when connected)')
    .argument('[entry]', 'with --json: the entry (or a list) as JSON, e.g. \'{"switch": "1", "name": ...}\'')
    .option('--switch <dpid>', 'switch DPID', dpidArg)
    .option('--name <name>', 'entry name (unique; the same name replaces)')
    .option('--priority <n>', 'priority 0..65535 (default 32768)', intArg('a number', 0, 0xffff))
    .option('--table <n>', 'table 0..254 (OpenFlow 1.3)', intArg('a table id', 0, 254))
    .option('--cookie <n>', 'your cookie (decimal or 0x-hex), kept on the flow')
    .option('--idle-timeout <s>', 'idle timeout in seconds (0 = none)', intArg('a number', 0, 0xffff))
    .option('--hard-timeout <s>', 'hard timeout in seconds (0 = none)', intArg('a number', 0, 0xffff))
    .option('--inactive', 'store the entry without pushing it')
    .option('--match <fields>', "match fields, e.g. 'eth_type=0x800,ipv4_dst=10.0.0.2'", matchArg)
    .option('--actions <actions>', "actions, e.g. 'output=2' (empty: drop)")
    .option('--file <path>', 'read the entry (or a list) from a JSON file', fileArg)
    .addHelpText(
      'after',
      "\nExamples:\n  sluice staticflow add --switch 1 --name web --match 'eth_type=0x800,ipv4_dst=10.0.0.2' --actions 'output=2'\n" +
        '  sluice staticflow add --json \'{"switch":"1","name":"drop1","eth_type":"0x800","actions":""}\'\n' +
        '  sluice staticflow add --file entries.json\n',
    )
    .action(async (text: string | undefined, o: AddOptions, command: Command) => {
      let entries: StaticFlowEntry | StaticFlowEntry[];
      try {
        if (text !== undefined && !o.json) {
          throw new InvalidArgumentError(
            `unexpected argument '${text}' (use --json to give an entry as JSON).`,
          );
        }
        entries = entriesFromOptions({ ...o, entry: text === undefined ? undefined : jsonArg(text) });
      } catch (e) {
        // A usage error found after parsing: reported like commander's own (stderr, exit 2).
        if (e instanceof InvalidArgumentError) command.error(`error: ${e.message}`, { exitCode: 2 });
        throw e;
      }
      const res = await v.client(o).staticflows.add(entries);
      v.print(o, res, () =>
        res.added
          .map(
            (a) =>
              `${a.replaced ? 'replaced' : 'added'} ${a.name}${a.pushed ? '' : ' (stored; switch not connected or entry inactive)'}\n`,
          )
          .join(''),
      );
    });

  verb('delete', 'delete an entry by name (exactly its flow is removed)')
    .argument('<name>', 'entry name')
    .action(async (name: string, o: QueryOptions) => {
      const res = await v.client(o).staticflows.delete(name);
      v.print(o, res, () => `deleted ${name}\n`);
    });

  verb('list', 'list entries with live counters (ovs-ofctl dump-flows syntax, with the entry name)')
    .argument('[dpid]', 'only this switch', dpidArg)
    .action(async (dpid: string | undefined, o: QueryOptions) => {
      const data = await v.client(o).staticflows.list(dpid);
      v.print(o, data, () => staticFlowsText(data));
    });

  verb('clear', 'delete every entry of a switch, or all')
    .argument('<dpid|all>', "a switch DPID or 'all'", (t: string) =>
      t.toLowerCase() === 'all' ? 'all' : dpidArg(t),
    )
    .action(async (dpid: string, o: QueryOptions) => {
      const res = await v.client(o).staticflows.clear(dpid);
      v.print(o, res, () => `deleted ${res.deleted} entr${res.deleted === 1 ? 'y' : 'ies'}\n`);
    });
};
