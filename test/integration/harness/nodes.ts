/**
 * Simulated transport nodes (issue 12's proof): each node is a network namespace on a management bridge, with
 * its own ovsdb-server + ovs-vswitchd (userspace datapath) and a data interface `eth1`; a node can also run an
 * sshd on its management address with a throwaway host key, reached as a throwaway user who needs `sudo` with
 * a password (what `sluice node provision` over SSH meets on a real machine).
 *
 * Names are global (netns sln-n1.., bridge sln-br0, user sln-prov): one SimNodes per machine at a time.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { run, runOk, type RunResult } from './exec.js';
import { onExitSync, RUN_DIR, spawnManaged, type ManagedProcess } from './procs.js';
import {
  addRootBridge,
  kindLinks,
  kindProcesses,
  killKindProcesses,
  liveOwner,
  makeRunDir,
  needExecutable,
  plumbVeth,
  refuseIfRunning,
  removeKindLinks,
  runDirs,
  startNamespaceOvs,
  teardownKindSync,
  waitProcReady,
  type NamespaceOvs,
  type SimKind,
} from './simns.js';

/** Prefix of every name the simulated nodes use (netns, links): nothing else on the machine uses it. */
export const NODE_PREFIX = 'sln-';
export const NODES_DIR = path.join(RUN_DIR, 'nodes');
const KIND: SimKind = { prefix: NODE_PREFIX, dir: NODES_DIR };
export const MGMT_BRIDGE = `${NODE_PREFIX}br0`;
/** The controller's side of the management network (the root namespace): where nodes dial their manager. */
export const MGMT_GATEWAY = '10.76.0.1';
const MGMT_PREFIX = '10.76.0.';
const MGMT_IFACE = 'mgmt0';
/** The data interface inside every node; its peer in the root namespace sends traffic into it. */
export const DATA_INTERFACE = 'eth1';
/** The SSH login of nodes with an sshd: needs `sudo` with its password (a sudoers entry removed at stop). */
export const SSH_USER = 'sln-prov';
const SUDOERS_FILE = `/etc/sudoers.d/${SSH_USER}`;
export const SSHD = '/usr/sbin/sshd';
export const SSHPASS = '/usr/bin/sshpass';
const MAX_NODES = 200;

export interface StartNodesOptions {
  /** Number of nodes, n1..nN (1..200). */
  count: number;
  /** 1-based indexes of the nodes that run an sshd (default none). */
  ssh?: number[];
  /** Per component (OVS, sshd); default 30 s. */
  readyTimeoutMs?: number;
}

/** A node's sshd and the throwaway login that reaches it. */
export interface SimSsh {
  host: string;
  port: number;
  user: string;
  /** The login password, which is also what `sudo` asks for. */
  password: string;
  /** An ed25519 key pair whose public half is in the user's authorized_keys. */
  keyFile: string;
  publicKey: string;
  /** A known_hosts file holding this sshd's host key. */
  knownHosts: string;
  /**
   * `ssh user@host COMMAND` with a password typed by sshpass (the harness's own check; the product uses the
   * ssh2 library), host key checked; `input` goes to the remote command's stdin. Never throws.
   */
  run(command: string, opts?: { password?: string; input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** The sshd's log tail (its -e output). */
  logTail(lines?: number): string;
}

export interface SimNode {
  /** 1-based. */
  readonly index: number;
  /** 'n1'. */
  readonly name: string;
  /** 'sln-n1' and '/var/run/netns/sln-n1'. */
  readonly netnsName: string;
  readonly netns: string;
  /** Its management address (10.76.0.10+index), where its sshd listens. */
  readonly address: string;
  /** This node's files: OVS database and sockets, sshd's keys. */
  readonly dir: string;
  /** 'unix:DIR/db.sock': the node's OVSDB (a description's "ovsdb"). */
  readonly ovsdb: string;
  /** A directory for the node's key and certificates (a description's "pki_dir"); not created. */
  readonly pkiDir: string;
  /** 'eth1', inside the node. */
  readonly dataInterface: string;
  readonly ssh: SimSsh | undefined;
  readonly ovsRunning: boolean;
  /** Stops the node's ovsdb-server and ovs-vswitchd (the database stays): "OVS is not running". */
  stopOvs(): Promise<void>;
  /** Starts them again on the same database; resolves once they answer. */
  startOvs(): Promise<void>;
  /** ovs-vsctl on this node's database; stdout trimmed; throws on failure. */
  vsctl(...args: string[]): Promise<string>;
  /** ovs-ofctl with this node's rundir (`ofctl('dump-flows', 'br-int')`); stdout; throws on failure. */
  ofctl(...args: string[]): Promise<string>;
  /** A command in this node's network namespace; never throws. */
  exec(cmd: string, args: string[], opts?: { timeoutMs?: number; input?: string }): Promise<RunResult>;
  /**
   * The node's OVSDB managers and OpenFlow controllers with their connection state, as `ovs-vsctl show` has
   * them (OVS refreshes is_connected every few seconds: wait for it).
   */
  connections(): Promise<{ managers: Connection[]; controllers: Connection[] }>;
  /** Sends `packets` UDP datagrams into the node's data interface from its peer (received on eth1). */
  sendData(packets: number): Promise<void>;
  /** The node's OVSDB Interface statistics of `iface` (default eth1): rx_packets, tx_bytes... */
  interfaceStatistics(iface?: string): Promise<Record<string, number>>;
  /**
   * A fingerprint of everything provisioning may change on the node: the OVSDB contents (tables, not the
   * file, which a restart appends to) when OVS runs, else the database file, plus the PKI directory's files.
   */
  snapshot(): Promise<string>;
}

export interface Connection {
  target: string;
  connected: boolean;
}

export interface SimNodes {
  readonly nodes: SimNode[];
  /** The controller's address on the management network (in the root namespace). */
  readonly gateway: string;
  readonly dir: string;
  readonly startupMs: number;
  /** Tears everything down (processes, namespaces, links, the user and its sudoers entry, files); safe twice. */
  stop(): Promise<void>;
}

export interface SimNodeLeftovers {
  processes: string[];
  namespaces: string[];
  interfaces: string[];
  /** The throwaway user, its sudoers entry. */
  accounts: string[];
  dirs: string[];
}

function accountLeftovers(): string[] {
  const found: string[] = [];
  if (
    fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .some((l) => l.startsWith(`${SSH_USER}:`))
  )
    found.push(`user ${SSH_USER}`);
  if (fs.existsSync(SUDOERS_FILE)) found.push(SUDOERS_FILE);
  return found;
}

/** What simulated nodes left on the machine (all empty when clean); another live process's nodes are not. */
export async function simNodeLeftovers(): Promise<SimNodeLeftovers> {
  const owner = liveOwner(KIND);
  if (owner !== undefined && owner !== process.pid)
    return { processes: [], namespaces: [], interfaces: [], accounts: [], dirs: [] };
  return {
    processes: kindProcesses(KIND).map((p) => p.what),
    ...(await kindLinks(KIND)),
    accounts: accountLeftovers(),
    dirs: runDirs(KIND),
  };
}

async function removeAccount(): Promise<string[]> {
  const found = accountLeftovers();
  fs.rmSync(SUDOERS_FILE, { force: true });
  if (found.includes(`user ${SSH_USER}`)) await run('userdel', ['--force', '--remove', SSH_USER]);
  return found;
}

/**
 * Removes simulated nodes (processes, namespaces, links, the throwaway user, files). Unless `all`, spares them
 * while a live process owns them. Returns what it removed.
 */
export async function cleanSimNodes(opts: { all?: boolean } = {}): Promise<string[]> {
  if (!opts.all && liveOwner(KIND) !== undefined) return [];
  const removed = kindProcesses(KIND).map((p) => p.what);
  await killKindProcesses(KIND);
  removed.push(...(await removeKindLinks(KIND)), ...(await removeAccount()));
  for (const dir of runDirs(KIND)) {
    fs.rmSync(dir, { recursive: true, force: true });
    removed.push(`dir ${dir}`);
  }
  return removed;
}

function teardownSync(): void {
  teardownKindSync(KIND);
  fs.rmSync(SUDOERS_FILE, { force: true });
  try {
    execFileSync('userdel', ['--force', '--remove', SSH_USER], { stdio: 'ignore' });
  } catch {
    // no such user, or the next run's cleanup removes it
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The SSH side: one account for the run, an sshd per node that asks for it.

interface Account {
  password: string;
  keyFile: string;
  publicKey: string;
}

/** The throwaway user (password set, a key pair authorized) and its password-required sudoers entry. */
async function makeAccount(dir: string): Promise<Account> {
  const password = randomBytes(12).toString('hex');
  await runOk('useradd', ['--create-home', '--shell', '/bin/sh', SSH_USER]);
  const set = await run('chpasswd', [], { input: `${SSH_USER}:${password}\n` });
  if (set.code !== 0) throw new Error(`chpasswd for ${SSH_USER} exited ${set.code}: ${set.stderr.trim()}`);
  const tmp = `${SUDOERS_FILE}.tmp`;
  fs.writeFileSync(tmp, `Defaults:${SSH_USER} lecture=never\n${SSH_USER} ALL=(ALL:ALL) ALL\n`, {
    mode: 0o440,
  });
  await runOk('visudo', ['-c', '-q', '-f', tmp]);
  fs.renameSync(tmp, SUDOERS_FILE);
  const keyFile = path.join(dir, 'id_ed25519');
  await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', SSH_USER, '-f', keyFile]);
  const publicKey = fs.readFileSync(`${keyFile}.pub`, 'utf8');
  const home = (await runOk('getent', ['passwd', SSH_USER])).split(':')[5];
  fs.mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(home, '.ssh', 'authorized_keys'), publicKey, { mode: 0o600 });
  await runOk('chown', ['-R', `${SSH_USER}:`, path.join(home, '.ssh')]);
  return { password, keyFile, publicKey };
}

/** True once something on host:port sends an SSH banner. */
function sshBanner(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, timeout: 1000 });
    let text = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes('\n')) done(text.startsWith('SSH-2.0-'));
    });
    sock.on('timeout', () => done(false));
    sock.on('error', () => done(false));
    sock.on('close', () => resolve(false));
  });
}

async function startSshd(
  name: string,
  dir: string,
  netns: string,
  address: string,
  account: Account,
  timeoutMs: number,
): Promise<{ proc: ManagedProcess; ssh: SimSsh }> {
  const sshDir = path.join(dir, 'ssh');
  fs.mkdirSync(sshDir, { recursive: true });
  const hostKey = path.join(sshDir, 'host_ed25519_key');
  await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}-host`, '-f', hostKey]);
  const knownHosts = path.join(sshDir, 'known_hosts');
  const hostPub = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  fs.writeFileSync(knownHosts, `${address} ${hostPub}\n`);
  const config = path.join(sshDir, 'sshd_config');
  // UsePAM no: sshd checks the password itself (PAM's session modules want a real login environment).
  fs.writeFileSync(
    config,
    [
      `ListenAddress ${address}:22`,
      `HostKey ${hostKey}`,
      `PidFile ${sshDir}/sshd.pid`,
      'UsePAM no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin no',
      `AllowUsers ${SSH_USER}`,
      'UseDNS no',
      'PrintMotd no',
      'X11Forwarding no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // Privilege separation needs it (a package install makes it only when its service starts).
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  await runOk(SSHD, ['-t', '-f', config]);
  const proc = spawnManaged({
    name: `${name}-sshd`,
    cmd: 'nsenter',
    args: [`--net=${netns}`, SSHD, '-D', '-e', '-f', config],
  });
  await waitProcReady(proc, () => sshBanner(address, 22), `${name}'s sshd on ${address}:22`, timeoutMs);
  const ssh: SimSsh = {
    host: address,
    port: 22,
    user: SSH_USER,
    password: account.password,
    keyFile: account.keyFile,
    publicKey: account.publicKey,
    knownHosts,
    run: (command, o = {}) =>
      run(
        SSHPASS,
        [
          '-e',
          'ssh',
          ...['-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes'],
          ...['-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no'],
          ...['-o', 'NumberOfPasswordPrompts=1', '-o', 'ConnectTimeout=10'],
          ...['-p', '22', `${SSH_USER}@${address}`, command],
        ],
        {
          env: { ...process.env, SSHPASS: o.password ?? account.password },
          timeoutMs: o.timeoutMs ?? 30_000,
          ...(o.input !== undefined ? { input: o.input } : {}),
        },
      ),
    logTail: (lines = 40) => proc.logTail(lines),
  };
  return { proc, ssh };
}

// ---------------------------------------------------------------------------------------------------------------

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function filesDigest(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return [`${dir}: none`];
  }
  return names.map((n) => `${n} ${sha256(fs.readFileSync(path.join(dir, n)))}`);
}

/** The OVSDB tables provisioning touches, as ovs-vsctl prints them (uuids included: a re-made row differs). */
const SNAPSHOT_TABLES = ['Open_vSwitch', 'Bridge', 'Port', 'Interface', 'Controller', 'Manager', 'SSL'];
const SNAPSHOT_COLUMNS: Record<string, string> = {
  // Columns that change by themselves (counters, connection status, timestamps) are left out.
  Open_vSwitch: '_uuid,bridges,manager_options,ssl,external_ids,other_config',
  Bridge: '_uuid,name,ports,controller,fail_mode,datapath_type,external_ids,protocols',
  Port: '_uuid,name,interfaces,external_ids',
  Interface: '_uuid,name,type,options,external_ids',
  Controller: '_uuid,target,external_ids',
  Manager: '_uuid,target,external_ids',
  SSL: '_uuid,private_key,certificate,ca_cert,bootstrap_ca_cert',
};

export async function startSimNodes(opts: StartNodesOptions): Promise<SimNodes> {
  const t0 = Date.now();
  const count = opts?.count;
  if (!Number.isInteger(count) || count < 1 || count > MAX_NODES) {
    throw new Error(`startSimNodes: count must be an integer 1..${MAX_NODES}, got ${String(count)}`);
  }
  const sshAt = new Set(opts.ssh ?? []);
  for (const i of sshAt) {
    if (!Number.isInteger(i) || i < 1 || i > count)
      throw new Error(`startSimNodes: ssh lists node ${String(i)}, not one of 1..${count}`);
  }
  const timeoutMs = opts.readyTimeoutMs ?? 30_000;
  if (sshAt.size) {
    needExecutable(SSHD, 'Debian package openssh-server', 'startSimNodes');
    needExecutable(SSHPASS, 'Debian package sshpass', 'startSimNodes');
    needExecutable('/usr/bin/sudo', 'Debian package sudo', 'startSimNodes');
  }
  refuseIfRunning(KIND, 'startSimNodes', 'simulated nodes');
  await cleanSimNodes();
  const dir = makeRunDir(KIND);
  const removeExitHook = onExitSync(teardownSync);
  const procs: ManagedProcess[] = [];
  const ovses: NamespaceOvs[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(procs.map((p) => p.stop(3000)));
      await Promise.all(ovses.map((o) => o.stop()));
      await cleanSimNodes({ all: true });
      removeExitHook();
      const left = await simNodeLeftovers();
      const named = Object.entries(left).filter(([, v]) => v.length > 0);
      if (named.length) {
        throw new Error(
          `simulated nodes: stop() left ${named.map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ')}`,
        );
      }
    })());

  try {
    await addRootBridge(MGMT_BRIDGE, `${MGMT_GATEWAY}/24`);
    const account = sshAt.size ? await makeAccount(dir) : undefined;
    const nodes = await Promise.all(
      Array.from({ length: count }, async (_, k): Promise<SimNode> => {
        const index = k + 1;
        const name = `n${index}`;
        const netnsName = `${NODE_PREFIX}${name}`;
        const netns = `/var/run/netns/${netnsName}`;
        const address = `${MGMT_PREFIX}${10 + index}`;
        const ndir = path.join(dir, name);
        fs.mkdirSync(ndir, { recursive: true });
        await plumbVeth({
          netns: netnsName,
          outer: `${NODE_PREFIX}${name}`,
          outerBridge: MGMT_BRIDGE,
          inner: MGMT_IFACE,
          innerCidr: `${address}/24`,
        });
        // The data link: eth1 inside (no address: it becomes an OVS port), its peer outside sends into it.
        const dataPeer = `${NODE_PREFIX}${name}-d`;
        const dataNet = `10.75.${index}`;
        await plumbVeth({
          netns: netnsName,
          outer: dataPeer,
          outerCidr: `${dataNet}.254/24`,
          inner: DATA_INTERFACE,
        });
        const [ovs, sshd] = await Promise.all([
          startNamespaceOvs(name, ndir, netns, timeoutMs),
          sshAt.has(index) && account ? startSshd(name, ndir, netns, address, account, timeoutMs) : undefined,
        ]);
        ovses.push(ovs);
        if (sshd) procs.push(sshd.proc);
        const dataMac = JSON.parse(
          await runOk('ip', ['-n', netnsName, '-j', 'link', 'show', DATA_INTERFACE]),
        ) as { address: string }[];
        // A permanent neighbour: datagrams to .1 go straight to eth1's MAC, no ARP (nothing answers there).
        await runOk('ip', [
          ...['neigh', 'replace', `${dataNet}.1`, 'lladdr', dataMac[0].address],
          ...['dev', dataPeer, 'nud', 'permanent'],
        ]);
        const vsctl = async (...args: string[]) =>
          (await runOk('ovs-vsctl', [`--db=${ovs.db}`, '--timeout=10', ...args])).trim();
        const pkiDir = path.join(ndir, 'pki');
        const node: SimNode = {
          index,
          name,
          netnsName,
          netns,
          address,
          dir: ndir,
          ovsdb: ovs.db,
          pkiDir,
          dataInterface: DATA_INTERFACE,
          ssh: sshd?.ssh,
          get ovsRunning() {
            return ovs.running;
          },
          stopOvs: () => ovs.stop(),
          startOvs: () => ovs.start(),
          vsctl,
          ofctl: (...args) => runOk('ovs-ofctl', args, { env: { ...process.env, OVS_RUNDIR: ndir } }),
          exec: (cmd, args, o = {}) => run('nsenter', [`--net=${netns}`, cmd, ...args], o),
          async sendData(packets) {
            const sock = dgram.createSocket('udp4');
            try {
              await new Promise<void>((resolve, reject) => {
                sock.once('error', reject);
                sock.bind({ address: `${dataNet}.254` }, () => resolve());
              });
              for (let i = 0; i < packets; i++) {
                await new Promise<void>((resolve, reject) =>
                  sock.send(`sluice-it ${i}`, 9, `${dataNet}.1`, (err) => (err ? reject(err) : resolve())),
                );
              }
            } finally {
              sock.close();
            }
          },
          async connections() {
            const list = async (table: string): Promise<Connection[]> => {
              const out = await vsctl('--format=json', '--columns=target,is_connected', 'list', table);
              const rows = (JSON.parse(out) as { data: [string, boolean][] }).data;
              return rows.map(([target, connected]) => ({ target, connected }));
            };
            return { managers: await list('Manager'), controllers: await list('Controller') };
          },
          async interfaceStatistics(iface = DATA_INTERFACE) {
            const out = await vsctl(
              '--format=json',
              '--columns=statistics',
              'find',
              'Interface',
              `name=${iface}`,
            );
            const rows = (JSON.parse(out) as { data: [['map', [string, number][]]][] }).data;
            if (!rows.length) throw new Error(`${name}: no interface ${iface} in its OVSDB`);
            return Object.fromEntries(rows[0][0][1]);
          },
          async snapshot() {
            const parts: string[] = [];
            if (ovs.running) {
              for (const t of SNAPSHOT_TABLES) {
                parts.push(
                  `${t}: ${await vsctl('--format=json', `--columns=${SNAPSHOT_COLUMNS[t]}`, 'list', t)}`,
                );
              }
            } else {
              parts.push(`conf.db ${sha256(fs.readFileSync(path.join(ndir, 'conf.db')))}`);
            }
            parts.push(...filesDigest(pkiDir));
            return parts.join('\n');
          },
        };
        return node;
      }),
    );
    return { nodes, gateway: MGMT_GATEWAY, dir, startupMs: Date.now() - t0, stop };
  } catch (e) {
    await stop().catch((err: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n(and stop failed: ${String(err)})`);
    });
    throw e;
  }
}
