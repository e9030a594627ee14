/**
 * `sluice qos ...`: what qosmanager2.py (enable, disable, status, add, delete, list) and qospath2.py (path)
 * did, plus port queues through OVSDB (`sluice qos queues set|show|clear`). The controller validates
 * policies and names the key at fault; here only the command line's own syntax is checked.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { QosPath, QosPolicy, QosPolicyFields, QosPortQueues, QosService } from '../client/index.js';
import { ipv4Arg, jsonObjectArg, readFileArg } from './args.js';
import type { QueryOptions, VerbGroup } from './run.js';
import { formatTable } from './table.js';

type Kind = 'policy' | 'service';

function kindArg(text: string): Kind {
  const t = text.toLowerCase();
  if (t === 'policy' || t === 'policies') return 'policy';
  if (t === 'service' || t === 'services') return 'service';
  throw new InvalidArgumentError(`'${text}' is not policy or service.`);
}

/** A JSON object from the command line (or from a file with @path). */
export function objectArg(text: string): QosPolicyFields {
  const source = text.startsWith('@') ? readFileArg(text.slice(1)) : text;
  return jsonObjectArg(source, '', '{"name": "p1", "queue": 1, ...}') as QosPolicyFields;
}

/** A rate in bit/s: a number with an optional k, M or G suffix (SI), e.g. 2M = 2000000. */
export function rateArg(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:bit|bps|b)?$/i.exec(text.trim());
  const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[(m?.[2] ?? '').toLowerCase()] ?? 1;
  const n = m ? Math.round(Number(m[1]) * mult) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError(`'${text}' is not a rate in bit/s (e.g. 2000000, 2M, 1G).`);
  }
  return n;
}

/** `--queue ID=MAX[:MIN]` (repeatable): queue ID with max-rate MAX and optional min-rate MIN. */
export function queueArg(
  text: string,
  previous: Record<string, { 'max-rate': number; 'min-rate'?: number }> = {},
) {
  const m = /^(\d{1,10})=([^:]+)(?::(.+))?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`'${text}' is not ID=MAX[:MIN] (e.g. 1=20M or 2=2M:1M).`);
  if (m[1] in previous) throw new InvalidArgumentError(`queue ${m[1]} is given twice.`);
  const q: { 'max-rate': number; 'min-rate'?: number } = { 'max-rate': rateArg(m[2]) };
  if (m[3] !== undefined) q['min-rate'] = rateArg(m[3]);
  return { ...previous, [m[1]]: q };
}

function actionText(p: Record<string, unknown>): string {
  if (p.queue !== undefined) return `queue ${String(p.queue)} port ${String(p['enqueue-port'] ?? 'hop')}`;
  if (p.service !== undefined) return `service ${String(p.service)}`;
  const burst = p['burst-kb'] !== undefined ? ` burst ${String(p['burst-kb'])}kb` : '';
  return `rate ${String(p['rate-kbps'])}kbps${burst}`;
}

/** Keys of a listed policy that are not match fields. */
const NOT_MATCH = new Set([
  'policy-id',
  'name',
  'sw',
  'priority',
  'queue',
  'enqueue-port',
  'service',
  'rate-kbps',
  'burst-kb',
  'out-port',
  'placements',
]);

function matchText(p: Record<string, unknown>): string {
  const parts = Object.keys(p)
    .filter((k) => !NOT_MATCH.has(k))
    .map((k) => `${k}=${String(p[k])}`);
  return parts.join(',') || '*';
}

export function servicesText(list: readonly QosService[]): string {
  return formatTable(
    ['sid', 'name', 'tos', 'dscp'],
    list.map((s) => [String(s.sid), s.name, String(s.tos), String(s.tos >> 2)]),
  );
}

export function policiesText(list: readonly QosPolicy[]): string {
  return formatTable(
    ['id', 'name', 'sw', 'priority', 'match', 'action', 'placed'],
    list.map((p) => [
      String(p['policy-id']),
      p.name,
      p.sw,
      String(p.priority),
      matchText(p),
      actionText(p),
      p.placements.map((x) => (x.problem ? `${x.switch} (${x.problem.reason})` : x.switch)).join(' ') || '-',
    ]),
  );
}

export function pathsText(list: readonly QosPath[]): string {
  return formatTable(
    ['id', 'name', 'src', 'dst', 'action', 'state', 'hops'],
    list.map((p) => [
      String(p.path['path-id']),
      p.path.name,
      p.path['src-ip'],
      p.path['dst-ip'],
      actionText(p.path.policy),
      p.state,
      p.hops.length
        ? p.hops.map((h) => `${h.switch}:${h['in-port']}->${h['out-port']}`).join(' ')
        : (p.reason ?? '-'),
    ]),
  );
}

export function queuesText(list: readonly QosPortQueues[]): string {
  const rows: string[][] = [];
  for (const p of list) {
    for (const [id, q] of Object.entries(p.queues)) {
      rows.push([
        p.port,
        p.type ?? 'linux-htb',
        String(p['max-rate']),
        id,
        String(q['min-rate'] ?? '-'),
        String(q['max-rate'] ?? '-'),
      ]);
    }
  }
  return rows.length
    ? formatTable(['port', 'type', 'port max', 'queue', 'min-rate', 'max-rate'], rows)
    : 'no port queues\n';
}

interface PathAddOptions extends QueryOptions {
  src: string;
  dst: string;
  policy: QosPolicyFields;
}

interface QueuesSetOptions extends QueryOptions {
  maxRate: number;
  queue?: Record<string, { 'max-rate': number; 'min-rate'?: number }>;
}

/** `sluice qos ...` as a verb group (src/cli/run.ts VERB_GROUPS). */
export const qosVerbs: VerbGroup = (program, v) => {
  const qos = program
    .command('qos')
    .description('quality of service: enable/disable, services, policies, QoS paths, port queues');
  const verb = (parent: Command, name: string, description: string) =>
    v.api(parent.command(name).description(description));

  verb(qos, 'enable', 'turn QoS on (stored policies and paths are installed)').action(
    async (o: QueryOptions) => {
      const res = await v.client(o).qos.enable();
      v.print(o, res, () => 'QoS enabled\n');
    },
  );
  verb(qos, 'disable', 'turn QoS off (its flows and meters are removed; state is kept)').action(
    async (o: QueryOptions) => {
      const res = await v.client(o).qos.disable();
      v.print(o, res, () => 'QoS disabled\n');
    },
  );
  verb(qos, 'status', 'is QoS enabled, and how many services, policies and paths').action(
    async (o: QueryOptions) => {
      const s = await v.client(o).qos.status();
      v.print(
        o,
        s,
        () =>
          `QoS ${s.enabled ? 'enabled' : 'disabled'}: ${s.services} services, ${s.policies} policies, ${s.paths} paths\n`,
      );
    },
  );

  verb(qos, 'add', 'add a policy or a service')
    .argument('<policy|service>', 'what to add', kindArg)
    .argument('<json>', 'the object as JSON (or @file), with Floodlight QoS keys', objectArg)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  sluice qos add service \'{"name": "Expedited", "tos": 184}\'\n' +
        '  sluice qos add policy \'{"name": "q2", "sw": "00:00:00:00:00:00:00:01", "eth-type": "0x0800", ' +
        '"ip-src": "10.0.0.1", "queue": 2, "enqueue-port": 2}\'\n' +
        '  sluice qos add policy \'{"name": "limit-h1", "ip-src": "10.0.0.1", "ip-dst": "10.0.0.2", "rate-kbps": 2000}\'\n',
    )
    .action(async (kind: Kind, body: QosPolicyFields, o: QueryOptions) => {
      const c = v.client(o).qos;
      if (kind === 'service') {
        const s = await c.addService(body as { name: string; tos: number });
        v.print(o, s, () => `added service ${s.name} (sid ${s.sid}, tos ${s.tos})\n`);
      } else {
        const p = await c.addPolicy(body);
        v.print(o, p, () => `added policy ${p.name} (id ${p['policy-id']})\n`);
      }
    });

  verb(qos, 'delete', 'delete a policy (by policy-id) or a service (by sid)')
    .argument('<policy|service>', 'what to delete', kindArg)
    .argument('<id>', 'policy-id or sid', (t: string) => {
      if (!/^\d+$/.test(t)) throw new InvalidArgumentError(`'${t}' is not an id (a number).`);
      return Number(t);
    })
    .action(async (kind: Kind, id: number, o: QueryOptions) => {
      const c = v.client(o).qos;
      const res = kind === 'service' ? await c.deleteService(id) : await c.deletePolicy(id);
      v.print(o, res, () => `deleted ${kind} ${id}\n`);
    });

  verb(qos, 'list', 'list services and policies (or one kind, or paths)')
    .argument('[what]', 'services, policies or paths (default: services and policies)', (t: string) => {
      if (/^paths?$/i.test(t)) return 'path';
      return kindArg(t);
    })
    .action(async (what: Kind | 'path' | undefined, o: QueryOptions) => {
      const c = v.client(o).qos;
      if (what === 'path') {
        const paths = await c.paths();
        v.print(o, paths, () => pathsText(paths));
        return;
      }
      const services = what === 'policy' ? undefined : await c.services();
      const policies = what === 'service' ? undefined : await c.policies();
      const data = what === undefined ? { services, policies } : (services ?? policies);
      v.print(o, data, () =>
        [
          services && `Services:\n${servicesText(services)}`,
          policies && `Policies:\n${policiesText(policies)}`,
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });

  const path = qos
    .command('path')
    .description('QoS paths: a policy on every hop of the route between two hosts');
  verb(path, 'add', 'add a QoS path (moves with the route)')
    .argument('<name>', 'path name')
    .requiredOption('--src <ip>', 'source host IPv4', ipv4Arg)
    .requiredOption('--dst <ip>', 'destination host IPv4', ipv4Arg)
    .requiredOption(
      '--policy <json>',
      'the policy per hop (queue, service or rate-kbps; no sw/ip/ports)',
      objectArg,
    )
    .addHelpText(
      'after',
      '\nExample:\n  sluice qos path add h1-h2 --src 10.0.0.1 --dst 10.0.0.2 --policy \'{"rate-kbps": 2000}\'\n',
    )
    .action(async (name: string, o: PathAddOptions) => {
      const p = await v.client(o).qos.addPath({ name, 'src-ip': o.src, 'dst-ip': o.dst, policy: o.policy });
      v.print(
        o,
        p,
        () => `added QoS path ${name} (${p.state}${p.reason ? `: ${p.reason}` : ''})\n${pathsText([p])}`,
      );
    });
  verb(path, 'delete', 'delete a QoS path (its flows and meters go)')
    .argument('<name>', 'path name')
    .action(async (name: string, o: QueryOptions) => {
      const res = await v.client(o).qos.deletePath(name);
      v.print(o, res, () => `deleted QoS path ${name}\n`);
    });
  verb(path, 'list', 'list QoS paths with their current hops').action(async (o: QueryOptions) => {
    const paths = await v.client(o).qos.paths();
    v.print(o, paths, () => pathsText(paths));
  });

  const queues = qos.command('queues').description('port queues (linux-htb QoS through OVSDB)');
  verb(queues, 'set', 'set a port’s QoS and queues (replaces what it had)')
    .argument('<port>', 'switch port name, e.g. s1-eth2')
    .requiredOption('--max-rate <rate>', 'the port’s max rate (bit/s; 10M, 1G...)', rateArg)
    .option('--queue <id=max[:min]>', 'a queue (repeatable), e.g. --queue 1=20M --queue 2=2M', queueArg)
    .action(async (port: string, o: QueuesSetOptions) => {
      if (!o.queue) throw new InvalidArgumentError('--queue is required (at least one, e.g. --queue 1=2M).');
      const res = await v.client(o).qos.setQueues({ port, 'max-rate': o.maxRate, queues: o.queue });
      v.print(o, res, () => `${res.changed ? 'set' : 'unchanged'} ${port}\n${queuesText([res.queues])}`);
    });
  verb(queues, 'show', 'show port queues as OVSDB has them')
    .argument('[port]', 'only this port')
    .action(async (port: string | undefined, o: QueryOptions) => {
      const list = await v.client(o).qos.queues(port);
      v.print(o, list, () => queuesText(list));
    });
  verb(queues, 'clear', 'remove a port’s QoS and queues')
    .argument('<port>', 'switch port name')
    .action(async (port: string, o: QueryOptions) => {
      const res = await v.client(o).qos.clearQueues(port);
      v.print(o, res, () => (res.cleared ? `cleared ${port}\n` : `${port} had no QoS\n`));
    });
};
