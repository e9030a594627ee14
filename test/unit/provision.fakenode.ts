/**
 * A scripted node for the provisioning steps: an Executor that answers the commands the steps send (ovs-vsctl,
 * cat, test, mkdir, the steps' own `sh -c` scripts, openssl) from an in-memory Open vSwitch and file table, the
 * way the real tools print; and a control plane whose CA signs with the real openssl, so the certificate
 * checks run on real certificates. Anything the fake does not know fails loudly (status 99) so a step that
 * starts sending something new is noticed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command, CommandResult, ControlPlane, Executor } from '../../src/provision/index.js';
import type {
  CaCertificate,
  ControlCluster,
  NodeDescription,
  SignedCertificate,
  TransportNode,
  TransportNodeRegistration,
} from '../../src/schema/index.js';

/** The cluster and hypervisor the tests provision. */
export const CLUSTER: ControlCluster = { controllers: [{ address: '10.0.0.254' }] };
export const HV1: NodeDescription = {
  type: 'hypervisor',
  name: 'hv1',
  management_address: '10.0.0.1',
  transport_zone: 'tz1',
  data_interface: 'eth1',
};

export interface FakeBridge {
  externalIds: Record<string, string>;
  failMode: string;
  datapath: string;
  ports: string[];
  controllers: string[];
}

export interface FakeState {
  installed: boolean;
  running: boolean;
  ovsIds: Record<string, string>;
  ssl?: { key: string; cert: string; ca: string; bootstrap: boolean };
  bridges: Record<string, FakeBridge>;
  managers: string[];
  files: Record<string, string>;
  /** The node's network devices: a port on another is broken (its Interface `error` says so). */
  links: string[];
  /** Directories that exist (the PKI directory is made when missing). */
  dirs: string[];
}

export const freshState = (): FakeState => ({
  installed: true,
  running: true,
  ovsIds: { hostname: 'hv1' },
  bridges: {},
  managers: [],
  files: {},
  links: ['lo', 'eth0', 'eth1'],
  dirs: ['/etc/openvswitch'],
});

const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
const fail = (code: number, stderr: string): CommandResult => ({ code, stdout: '', stderr });

/** ovs-vsctl's quoting of a string atom: bare when it reads as an identifier, else a JSON-style string. */
export function ovsAtom(s: string): string {
  const bare = /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(s) && s !== 'true' && s !== 'false';
  return bare ? s : JSON.stringify(s);
}
const ovsMap = (m: Record<string, string>) =>
  `{${Object.entries(m)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${ovsAtom(k)}=${ovsAtom(v)}`)
    .join(', ')}}`;

const MOVE_ASIDE = '[ ! -e "$1" ] || mv -f -- "$1" "$1.sluice-prev"';
const RESTORE = 'rm -f -- "$1"; [ ! -e "$1.sluice-prev" ] || mv -f -- "$1.sluice-prev" "$1"';
const WRITE = 'umask 022 && cat > "$1"';
const UMASK_EXEC = 'umask 077 && exec "$@"';
const MKDIR =
  'd="$1"; top=; while [ ! -e "$d" ]; do top="$d"; d=$(dirname -- "$d"); done; mkdir -p -- "$1" && printf %s "$top"';

export interface FakeNode extends Executor {
  state: FakeState;
  /** Every command line run, in order. */
  log: string[];
  /** Makes the commands `match` accepts fail with this status and output (once each time it matches). */
  failWhen(match: (argv: readonly string[]) => boolean, result: CommandResult): void;
}

export function fakeNode(
  state: FakeState = freshState(),
  tmp = mkdtempSync(join(tmpdir(), 'sluice-fakenode-')),
) {
  const failures: Array<{ match: (argv: readonly string[]) => boolean; result: CommandResult }> = [];
  const log: string[] = [];

  function vsctl(args: string[]): CommandResult {
    if (!state.running)
      return fail(
        1,
        'ovs-vsctl: unix:/var/run/openvswitch/db.sock: database connection failed (No such file or directory)',
      );
    let mayExist = false;
    let ifExists = false;
    while (args[0]?.startsWith('--')) {
      if (args[0] === '--may-exist') mayExist = true;
      if (args[0] === '--if-exists') ifExists = true;
      if (args[0] === '--') {
        args = args.slice(1);
        continue;
      }
      if (args[0] === '--bootstrap') {
        args = args.slice(1);
        if (args[0] === 'set-ssl') {
          state.ssl = { key: args[1], cert: args[2], ca: args[3], bootstrap: true };
          return ok();
        }
        continue;
      }
      args = args.slice(1);
    }
    const [verb, ...rest] = args;
    const br = (name: string) => state.bridges[name];
    const noBridge = (name: string) => fail(1, `ovs-vsctl: no bridge named ${name}`);
    switch (verb) {
      case 'get': {
        const [table, record, ...columns] = rest;
        if (table === 'Open_vSwitch' && columns[0] === 'external_ids') return ok(`${ovsMap(state.ovsIds)}\n`);
        // What ovs-vswitchd writes for a port whose device it cannot open.
        if (table === 'Interface' && columns[0] === 'error')
          return ok(
            state.links.includes(record)
              ? '[]\n'
              : `"could not open network device ${record} (No such device)"\n`,
          );
        if (table === 'Bridge') {
          const b = br(record);
          if (!b) return noBridge(record);
          const out = columns.map((c) =>
            c === 'external_ids'
              ? ovsMap(b.externalIds)
              : c === 'fail_mode'
                ? b.failMode
                  ? ovsAtom(b.failMode)
                  : '[]'
                : JSON.stringify(b.datapath),
          );
          return ok(out.join('\n') + '\n');
        }
        break;
      }
      case 'set': {
        const [table, record, ...sets] = rest;
        const sepAt = sets.indexOf('--');
        if (sepAt >= 0) sets.length = sepAt;
        if (table === 'Open_vSwitch') {
          for (const kv of sets) {
            const m = /^external_ids:([^=]+)=(.*)$/.exec(kv)!;
            state.ovsIds[m[1]] = m[2];
          }
          return ok();
        }
        if (table === 'Bridge') {
          const b = br(record);
          if (!b) return noBridge(record);
          setBridge(b, sets);
          return ok();
        }
        break;
      }
      case 'remove': {
        const [table, record, , key] = rest;
        if (table === 'Open_vSwitch') delete state.ovsIds[key];
        else if (br(record)) delete br(record).externalIds[key];
        else return noBridge(record);
        return ok();
      }
      case 'get-ssl': {
        const s = state.ssl;
        return ok(
          s
            ? `Private key: ${s.key}\nCertificate: ${s.cert}\nCA Certificate: ${s.ca}\nBootstrap: ${s.bootstrap}\n`
            : '',
        );
      }
      case 'set-ssl':
        state.ssl = { key: rest[0], cert: rest[1], ca: rest[2], bootstrap: false };
        return ok();
      case 'del-ssl':
        delete state.ssl;
        return ok();
      case 'br-exists':
        return br(rest[0]) ? ok() : fail(2, '');
      case 'add-br': {
        const [name, ...tail] = rest;
        if (br(name) && !mayExist)
          return fail(
            1,
            `ovs-vsctl: cannot create a bridge named ${name} because a bridge named ${name} already exists`,
          );
        state.bridges[name] ??= { externalIds: {}, failMode: '', datapath: '', ports: [], controllers: [] };
        if (tail[0] === '--' && tail[1] === 'set') setBridge(state.bridges[name], tail.slice(4));
        return ok();
      }
      case 'del-br':
        if (!br(rest[0]) && !ifExists) return noBridge(rest[0]);
        delete state.bridges[rest[0]];
        return ok();
      case 'set-fail-mode':
        if (!br(rest[0])) return noBridge(rest[0]);
        br(rest[0]).failMode = rest[1];
        return ok();
      case 'del-fail-mode':
        if (!br(rest[0])) return noBridge(rest[0]);
        br(rest[0]).failMode = '';
        return ok();
      case 'port-to-br': {
        const holder = Object.entries(state.bridges).find(([, b]) => b.ports.includes(rest[0]));
        return holder ? ok(`${holder[0]}\n`) : fail(1, `ovs-vsctl: no port named ${rest[0]}`);
      }
      case 'add-port': {
        const [name, port] = rest;
        if (!br(name)) return noBridge(name);
        if (!br(name).ports.includes(port)) br(name).ports.push(port);
        return ok();
      }
      case 'del-port': {
        const [name, port] = rest;
        if (br(name)) br(name).ports = br(name).ports.filter((p) => p !== port);
        return ok();
      }
      case 'get-manager':
        return ok(state.managers.map((m) => `${m}\n`).join(''));
      case 'set-manager':
        state.managers = [...rest];
        return ok();
      case 'del-manager':
        state.managers = [];
        return ok();
      case 'get-controller':
        if (!br(rest[0])) return noBridge(rest[0]);
        return ok(
          br(rest[0])
            .controllers.map((c) => `${c}\n`)
            .join(''),
        );
      case 'set-controller':
        if (!br(rest[0])) return noBridge(rest[0]);
        br(rest[0]).controllers = rest.slice(1);
        return ok();
      case 'del-controller':
        if (!br(rest[0])) return noBridge(rest[0]);
        br(rest[0]).controllers = [];
        return ok();
    }
    return fail(99, `fake node: unknown ovs-vsctl command ${args.join(' ')}`);
  }

  function setBridge(b: FakeBridge, sets: string[]) {
    for (const kv of sets) {
      const ext = /^external_ids:([^=]+)=(.*)$/.exec(kv);
      if (ext) b.externalIds[ext[1]] = ext[2];
      else if (kv.startsWith('fail_mode=')) b.failMode = kv.slice('fail_mode='.length);
      else if (kv.startsWith('datapath_type=')) b.datapath = kv.slice('datapath_type='.length);
      else throw new Error(`fake node: unknown bridge column ${kv}`);
    }
  }

  /** openssl req makes a real key and CSR (in a scratch directory), the key kept in the file table. */
  function openssl(argv: readonly string[]): CommandResult {
    const real = argv.slice(1);
    const keyAt = real.indexOf('-keyout');
    const keyPath = real[keyAt + 1];
    const scratch = join(tmp, 'key.pem');
    real[keyAt + 1] = scratch;
    // An EC key instead of RSA: the same request, made in milliseconds.
    const rsaAt = real.indexOf('rsa:2048');
    if (rsaAt >= 0) real.splice(rsaAt, 1, 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256');
    const csr = execFileSync('openssl', real, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    state.files[keyPath] = readFileSync(scratch, 'utf8');
    rmSync(scratch);
    return ok(csr);
  }

  function exec(cmd: Command): CommandResult {
    const argv = cmd.argv;
    const [prog, ...args] = argv;
    if (prog === 'ovs-vsctl') {
      if (!state.installed) return fail(127, 'sh: 1: ovs-vsctl: not found');
      if (args[0] === '--version') return ok('ovs-vsctl (Open vSwitch) 3.1.0\n');
      return vsctl(args.filter((a) => !a.startsWith('--db=') && !a.startsWith('--timeout=')));
    }
    if (prog === 'cat' && args[0] === '--') {
      const text = state.files[args[1]];
      return text === undefined ? fail(1, `cat: ${args[1]}: No such file or directory`) : ok(text);
    }
    if (prog === 'test' && args[0] === '-s') return state.files[args[1]] ? ok() : fail(1, '');
    if (prog === 'rm' && args[0] === '-rf' && args[1] === '--') {
      state.dirs = state.dirs.filter((d) => d !== args[2] && !d.startsWith(`${args[2]}/`));
      for (const f of Object.keys(state.files)) if (f.startsWith(`${args[2]}/`)) delete state.files[f];
      return ok();
    }
    if (prog === 'rm' && args[0] === '-f' && args[1] === '--') {
      for (const f of args.slice(2)) delete state.files[f];
      return ok();
    }
    if (prog === 'sh' && args[0] === '-c') {
      const [script, , ...params] = args.slice(1);
      const f = params[0];
      if (script === MOVE_ASIDE) {
        if (state.files[f] !== undefined) {
          state.files[`${f}.sluice-prev`] = state.files[f];
          delete state.files[f];
        }
        return ok();
      }
      if (script === RESTORE) {
        delete state.files[f];
        if (state.files[`${f}.sluice-prev`] !== undefined) {
          state.files[f] = state.files[`${f}.sluice-prev`];
          delete state.files[`${f}.sluice-prev`];
        }
        return ok();
      }
      if (script === MKDIR) {
        const exists = (d: string) => d === '/' || state.dirs.some((x) => x === d || x.startsWith(`${d}/`));
        let top = '';
        for (let d = f; !exists(d); d = d.slice(0, d.lastIndexOf('/')) || '/') top = d;
        if (top) state.dirs.push(f);
        return ok(top);
      }
      if (script === WRITE) {
        state.files[f] = cmd.stdin ?? '';
        return ok();
      }
      if (script === UMASK_EXEC && params[0] === 'openssl') return openssl(params);
    }
    return fail(99, `fake node: unknown command ${argv.join(' ')}`);
  }

  const node: FakeNode = {
    where: 'fake',
    state,
    log,
    failWhen(match, result) {
      failures.push({ match, result });
    },
    async run(cmd) {
      log.push(cmd.argv.join(' '));
      const injected = failures.find((f) => f.match(cmd.argv));
      if (injected) return injected.result;
      return exec(cmd);
    },
    async close() {},
  };
  return node;
}

/** A CA made with openssl (EC P-256: fast), which signs CSRs as the controller's PKI does. */
export interface FakeCa {
  dir: string;
  ca: CaCertificate;
  sign(node: string, csr: string): SignedCertificate;
  remove(): void;
}

export function fakeCa(name = 'test-ca'): FakeCa {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-fakeca-'));
  const ossl = (args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  ossl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    `/CN=${name}`,
    '-days',
    '3650',
  ]);
  const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  let serial = 1;
  return {
    dir,
    ca: { certificate: caPem, fingerprint: 'ca' },
    sign(node, csr) {
      writeFileSync(join(dir, 'req.csr'), csr);
      ossl([
        'x509',
        '-req',
        '-in',
        'req.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-set_serial',
        String(serial++),
        '-days',
        '365',
        '-out',
        'node.pem',
      ]);
      const certificate = readFileSync(join(dir, 'node.pem'), 'utf8');
      // Lower-case on purpose: the runner must not depend on the controller's spelling of it.
      return { certificate, ca: caPem, fingerprint: 'aa:bb', not_after: new Date().toISOString() };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The controller's side: a CA and the registrations, with the calls made, and failures to inject. */
export function fakeControl(ca: FakeCa) {
  const registrations = new Map<string, TransportNode>();
  const calls: string[] = [];
  let failSign: Error | undefined;
  const control: ControlPlane = {
    ca: async () => ca.ca,
    async sign(req) {
      calls.push(`sign ${req.node}`);
      if (failSign) throw failSign;
      return ca.sign(req.node, req.csr);
    },
    registration: async (name) => registrations.get(name),
    async register(name, reg: TransportNodeRegistration) {
      calls.push(`register ${name}`);
      registrations.set(name, {
        name,
        ...reg,
        registered: new Date().toISOString(),
        ovsdb: { connected: false },
        openflow: { connected: false },
        tunnels: [],
      });
    },
    async unregister(name) {
      calls.push(`unregister ${name}`);
      registrations.delete(name);
    },
  };
  return {
    control,
    registrations,
    calls,
    failSignWith(err: Error | undefined) {
      failSign = err;
    },
  };
}
