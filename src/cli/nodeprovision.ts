/**
 * `sluice node provision NAME`: sets a node up as its description says (the controller's stored one, or a file
 * given with --file), on this machine or over SSH, step by step as the seed's toolkit printed it. The steps are
 * src/provision's; here are the description's source, the secrets (standard input or a prompt without echo),
 * the executor, the controller as the steps' control plane, and the progress and result text.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ApiError, type SluiceClient } from '../client/node.js';
import {
  localExecutor,
  provisionNode,
  ProvisionError,
  sshExecutor,
  type ControlPlane,
  type Executor,
  type ProgressEvent,
  type ProvisionResult,
  type StepReport,
} from '../provision/index.js';
import {
  firstFault,
  NODE_NAME_PATTERN,
  NodeDescription,
  NodeDocument,
  type ControlCluster,
} from '../schema/index.js';
import { jsonObjectArg, readFileArg } from './args.js';
import { ExitCode } from './network.js';
import type { CliIo, QueryOptions, VerbContext, VerbGroup } from './run.js';

export interface ProvisionOptions extends QueryOptions {
  file?: string;
  dryRun?: boolean;
  verbose?: boolean;
  passwordStdin?: boolean;
  sudoPasswordStdin?: boolean;
  acceptHostKey?: string;
}

export function nodeNameArg(text: string): string {
  if (!new RegExp(NODE_NAME_PATTERN).test(text))
    throw new InvalidArgumentError(
      `'${text}' is not a node name (up to 63 letters, digits, ".", "_" or "-", starting with a letter or digit).`,
    );
  return text;
}

export function fingerprintArg(text: string): string {
  if (!/^SHA256:[A-Za-z0-9+/]{43}$/.test(text))
    throw new InvalidArgumentError(
      `'${text}' is not a SHA256 key fingerprint (SHA256: and 43 base64 characters).`,
    );
  return text;
}

/**
 * The node NAME (and the cluster, when the file has one) from a description file: a document with `cluster`
 * and `nodes`, or one node. Checked against the schema; the error names the file and the field.
 */
export function descriptionFromFile(
  path: string,
  name: string,
): { node: NodeDescription; cluster?: ControlCluster } {
  const value = jsonObjectArg(readFileArg(path), `${path}: `, '{"cluster": {...}, "nodes": [...]}');
  const single = 'type' in value;
  const fault = firstFault(single ? NodeDescription : NodeDocument, value);
  if (fault)
    throw new InvalidArgumentError(`${path}: ${fault.field ? `${fault.field}: ` : ''}${fault.reason}.`);
  const doc: NodeDocument = single ? { nodes: [value as NodeDescription] } : (value as NodeDocument);
  const node = doc.nodes?.find((n) => n.name === name);
  if (!node) {
    const names = (doc.nodes ?? []).map((n) => n.name);
    throw new InvalidArgumentError(
      `${path} has no node named ${name}${names.length ? ` (it has ${names.join(', ')})` : ' (it has no nodes)'}.`,
    );
  }
  return { node, cluster: doc.cluster };
}

/** The controller as the steps see it: its CA, signing, and the node's registration. */
export function controlPlaneOf(client: SluiceClient): ControlPlane {
  return {
    ca: () => client.pki.ca(),
    sign: (req) => client.pki.sign(req),
    async registration(name) {
      try {
        return await client.nodes.transportNode(name);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return undefined;
        throw e;
      }
    },
    async register(name, reg) {
      await client.nodes.register(name, reg);
    },
    async unregister(name) {
      await client.nodes.unregister(name);
    },
  };
}

/** The description from the controller, with what to do when it has none. */
async function storedDescription(
  client: SluiceClient,
  name: string,
): Promise<{ node: NodeDescription; cluster?: ControlCluster }> {
  try {
    return { node: (await client.nodes.get(name)).description };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404)
      throw new Error(
        `the controller has no description of node ${name}: apply one (sluice node apply FILE) or give --file FILE`,
      );
    throw e;
  }
}

async function storedCluster(client: SluiceClient): Promise<ControlCluster> {
  try {
    return (await client.nodes.clusterDescription()).description;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404)
      throw new Error(
        'the controller has no cluster description: apply a file with a "cluster" section (sluice node apply FILE)',
      );
    throw e;
  }
}

/** The secrets asked for on standard input, one a line, in the order of the flags' help. */
async function stdinSecrets(io: CliIo, o: ProvisionOptions): Promise<{ password?: string; sudo?: string }> {
  if (!o.passwordStdin && !o.sudoPasswordStdin) return {};
  if (!io.readStdin) throw new InvalidArgumentError('standard input cannot be read here.');
  const lines = (await io.readStdin()).split('\n').map((l) => l.replace(/\r$/, ''));
  const take = (flag: string, what: string) => {
    const l = lines.shift();
    if (l === undefined || l === '')
      throw new InvalidArgumentError(
        `${flag}: standard input has no ${what} line (with both flags: the SSH password first, then the sudo password).`,
      );
    return l;
  };
  return {
    password: o.passwordStdin ? take('--password-stdin', 'SSH password') : undefined,
    sudo: o.sudoPasswordStdin ? take('--sudo-password-stdin', 'sudo password') : undefined,
  };
}

/** This machine, or the node over SSH as its `access` says. */
async function executorFor(node: NodeDescription, io: CliIo, o: ProvisionOptions): Promise<Executor> {
  const access = node.access ?? { kind: 'local' as const };
  const secrets = await stdinSecrets(io, o);
  if (access.kind === 'local') {
    if (secrets.password !== undefined || secrets.sudo !== undefined || o.acceptHostKey)
      throw new InvalidArgumentError(
        `node ${node.name} is provisioned on this machine (access "local"): --password-stdin, ` +
          '--sudo-password-stdin and --accept-host-key are for nodes reached over SSH (locally, run as root or ' +
          'with sudo that needs no password).',
      );
    return localExecutor();
  }
  const host = access.host ?? node.management_address;
  let password = secrets.password;
  if (password === undefined && !access.key_file) {
    if (!io.askSecret)
      throw new InvalidArgumentError(
        `node ${node.name}'s access has no key_file: give the SSH password with --password-stdin (or run from a terminal to be asked).`,
      );
    password = await io.askSecret(`${access.user}@${host}'s password: `);
  }
  return sshExecutor({
    user: access.user,
    host,
    port: access.port,
    keyFile: access.key_file,
    password,
    knownHosts: access.known_hosts,
    acceptHostKey: o.acceptHostKey,
    sudo: access.sudo,
    sudoPassword: secrets.sudo,
    askSecret: io.askSecret,
    notice: io.stderr,
  });
}

const STATUS_WORD: Record<StepReport['status'], string> = {
  unchanged: 'ok',
  changed: 'changed',
  'would-change': 'would change',
  failed: 'FAILED',
  'rolled-back': 'rolled back',
  skipped: 'not run',
};

const indent = (text: string, by: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => by + l)
    .join('\n') + '\n';

/** Prints the run as it goes: a line per step (its changes under it), and with --verbose what was sent. */
export function progressPrinter(out: (text: string) => void, opts: { verbose?: boolean; dryRun?: boolean }) {
  let sent: string[] = [];
  return (e: ProgressEvent): void => {
    if (e.kind === 'step-start') sent = [];
    else if (e.kind === 'command') sent.push(e.text);
    else if (e.kind === 'rollback')
      out(e.error ? `  NOT undone: ${e.change}: ${e.error}\n` : `  undone: ${e.change}\n`);
    else {
      const r = e.report;
      let text = `[${e.index}/${e.total}] ${r.title} ... ${STATUS_WORD[r.status]}\n`;
      for (const c of r.changes) text += `      ${c}\n`;
      if (opts.dryRun) for (const c of r.commands) text += `        would send: ${c}\n`;
      if (opts.verbose) for (const c of sent) text += `  Sending… ${c}\n`;
      if (r.error) text += indent(r.error, '      ');
      if (r.output) text += `      output:\n${indent(r.output, '        | ')}`;
      out(text);
    }
  };
}

/** The last line: what the run did, or the failure and what was put back. */
export function resultText(r: ProvisionResult, failure?: { step: string }): string {
  const total = r.steps.length;
  if (failure) {
    const at = r.steps.findIndex((s) => s.step === failure.step) + 1;
    const rb = r.rollback ?? { undone: 0, failures: [] };
    const put = rb.failures.length
      ? `; ${rb.undone} change${rb.undone === 1 ? '' : 's'} undone, but these could not be and need a hand: ${rb.failures.join('; ')}`
      : rb.undone
        ? `; the ${rb.undone} change${rb.undone === 1 ? '' : 's'} this run made ${rb.undone === 1 ? 'was' : 'were'} undone: the node is as it was`
        : '; nothing had been changed';
    return `${r.node}: step ${at}/${total} (${failure.step}) failed${put}\n`;
  }
  const n = r.steps.filter((s) => s.status === 'changed' || s.status === 'would-change').length;
  if (n === 0) return `${r.node}: nothing to change (all ${total} steps already as described)\n`;
  if (r.dryRun) return `${r.node}: dry run: ${n} of ${total} steps would change; nothing was changed\n`;
  return `${r.node}: provisioned (${n} of ${total} steps changed)\n`;
}

/** Adds `provision` to the `node` command group. */
export function addNodeProvision(node: Command, v: VerbContext): void {
  v.api(
    node
      .command('provision')
      .description(
        'set a node up as described: OVS check, PKI, set-ssl, br-int, data bridge, manager, controller, registration',
      )
      .argument('<name>', 'the node to provision', nodeNameArg),
  )
    .option(
      '--file <file>',
      "a description file (cluster and nodes, or one node) instead of the controller's",
    )
    .option('--dry-run', 'print what would change, and change nothing')
    .option('--verbose', 'show each command sent to the node')
    .option('--password-stdin', 'read the SSH password from the first line of standard input')
    .option(
      '--sudo-password-stdin',
      "read the node's sudo password from standard input (after the SSH password)",
    )
    .option(
      '--accept-host-key <fingerprint>',
      'accept this host key (SHA256:...) of a node not yet in known_hosts, and add it there',
      fingerprintArg,
    )
    .addHelpText(
      'after',
      '\nThe description comes from the controller (sluice node apply) unless --file is given; the cluster from\n' +
        'the file\'s "cluster" section, else from the controller. Each step only changes what differs, so a second\n' +
        'run changes nothing; a failure undoes what that run changed. Over SSH the password is asked at the\n' +
        'terminal unless given on standard input; sudo is used without a password where the node allows it.\n' +
        '\nExamples:\n' +
        '  sluice node provision hv1\n' +
        '  sluice node provision hv1 --file nodes.json --dry-run\n' +
        '  printf \'%s\\n%s\\n\' "$PASS" "$PASS" | sluice node provision hv2 --password-stdin --sudo-password-stdin\n',
    )
    .action(async (name: string, o: ProvisionOptions) => {
      const client = v.client(o);
      const found = o.file ? descriptionFromFile(o.file, name) : await storedDescription(client, name);
      const cluster = found.cluster ?? (await storedCluster(client));
      const exec = v.io.nodeExecutor
        ? await v.io.nodeExecutor(found.node)
        : await executorFor(found.node, v.io, o);
      const human = !o.json;
      const out = v.io.stdout;
      if (human) {
        const n = found.node;
        out(
          `Provisioning ${n.name} (${n.type}, zone ${n.transport_zone}) on ${exec.where}${o.dryRun ? ': dry run' : ''}\n`,
        );
      }
      let result: ProvisionResult;
      try {
        result = await provisionNode(
          { node: found.node, cluster, exec, control: controlPlaneOf(client), facts: {} },
          { dryRun: o.dryRun, report: human ? progressPrinter(out, o) : undefined },
        );
      } catch (e) {
        if (!(e instanceof ProvisionError)) throw e;
        if (human) v.io.stderr(`error: ${resultText(e.result, e)}`);
        else out(JSON.stringify(e.result, null, 2) + '\n');
        throw new ExitCode(1);
      } finally {
        await exec.close();
      }
      out(human ? resultText(result) : JSON.stringify(result, null, 2) + '\n');
    });
}

/** The `node` group, made here until the nodes app's verbs (apply, diff, ...) make it; then just the verb. */
export const nodeProvisionVerbs: VerbGroup = (program, v) => {
  const node =
    program.commands.find((c) => c.name() === 'node') ??
    program.command('node').description('infrastructure nodes: descriptions and provisioning');
  addNodeProvision(node, v);
};
