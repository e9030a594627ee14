/**
 * Simulated machines in network namespaces, the pieces every kind of them shares (hosts.ts: container hosts;
 * nodes.ts: transport nodes): a run directory with its owner, finding and killing a crashed run's processes by
 * the files and namespaces they use, a veth into a namespace, and an OVS instance of its own in a namespace
 * (shapes as verified in shared/reference/test-environment.md).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '../../support/wait.js';
import { run, runOk } from './exec.js';
import { namedNamespaces, rootInterfaces } from './links.js';
import { isAlive, processStartTime, spawnManaged, type ManagedProcess } from './procs.js';

/** One kind of simulated machine: the prefix of its names (netns, links) and where its runs keep their files. */
export interface SimKind {
  prefix: string;
  /** Each run's files live under DIR/<owner pid>-XXXXXX. */
  dir: string;
}

interface Owner {
  pid: number;
  startTime: string;
}

export function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

export function runDirs(kind: SimKind): string[] {
  return listDir(kind.dir).map((d) => path.join(kind.dir, d));
}

/** A fresh run directory recording this process as its owner (so other runs leave it alone while we live). */
export function makeRunDir(kind: SimKind): string {
  fs.mkdirSync(kind.dir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(kind.dir, `${process.pid}-`));
  const owner: Owner = { pid: process.pid, startTime: processStartTime(process.pid) ?? '' };
  fs.writeFileSync(path.join(dir, 'owner.json'), JSON.stringify(owner));
  return dir;
}

/** The pid of a live process (other than a dead one's reused pid) that runs machines of this kind now, if any. */
export function liveOwner(kind: SimKind): number | undefined {
  for (const dir of runDirs(kind)) {
    let o: Owner | undefined;
    try {
      o = JSON.parse(fs.readFileSync(path.join(dir, 'owner.json'), 'utf8')) as Owner;
    } catch {
      continue;
    }
    if (isAlive(o.pid) && processStartTime(o.pid) === o.startTime) return o.pid;
  }
  return undefined;
}

/** Refuses while a live process (this one too) runs machines of this kind: their names are global. */
export function refuseIfRunning(kind: SimKind, who: string, what: string): void {
  const owner = liveOwner(kind);
  if (owner === undefined) return;
  const self = owner === process.pid ? ' (this one: stop() them first)' : '';
  throw new Error(`${who}: ${what} already run in process ${owner}${self}`);
}

/** Inode numbers of the kind's named network namespaces (what /proc/PID/ns/net links to). */
function netnsInodes(kind: SimKind): Set<string> {
  const inodes = new Set<string>();
  for (const n of listDir('/run/netns')) {
    const st =
      n.startsWith(kind.prefix) && fs.statSync(path.join('/run/netns', n), { throwIfNoEntry: false });
    if (st) inodes.add(String(st.ino));
  }
  return inodes;
}

/** An argument that is a path under `dir` ('/x', '--pidfile=/x', 'unix:/x', 'punix:/x', 'unix:///x'). */
function namesFileUnder(dir: string, arg: string): boolean {
  const i = arg.indexOf(dir + '/');
  return i >= 0 && /^(?:-[-\w]*=)?(?:p?unix:(?:\/\/)?)?$/.test(arg.slice(0, i));
}

/**
 * Processes of the kind: any with one of its files as an argument (daemons), in one of its network namespaces
 * (servers, sessions), or among `extra` (a kind's own way, e.g. containers by cgroup). Never this process.
 */
export function kindProcesses(
  kind: SimKind,
  extra: Set<number> = new Set(),
): { pid: number; what: string }[] {
  const netns = netnsInodes(kind);
  const found: { pid: number; what: string }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || !isAlive(pid)) continue;
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    let ns = '';
    try {
      ns = fs.readlinkSync(`/proc/${pid}/ns/net`).match(/\[(\d+)\]/)?.[1] ?? '';
    } catch {
      // exited meanwhile
    }
    if (cmdline.split('\0').some((a) => namesFileUnder(kind.dir, a)) || netns.has(ns) || extra.has(pid)) {
      found.push({ pid, what: `${cmdline.split('\0')[0] || '?'} (pid ${pid})` });
    }
  }
  return found;
}

export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Kills the kind's processes (and `extra()`'s, first) until none is left. */
export async function killKindProcesses(
  kind: SimKind,
  extra: () => Set<number> = () => new Set(),
  timeoutMs = 10_000,
): Promise<void> {
  await waitFor(
    () => {
      const more = extra();
      killAll(more);
      const left = kindProcesses(kind, more);
      killAll(left.map((p) => p.pid));
      return left.length === 0;
    },
    {
      what: `the processes of ${kind.prefix}* machines to exit`,
      timeoutMs,
      detail: () =>
        kindProcesses(kind, extra())
          .map((p) => p.what)
          .join(', '),
    },
  );
}

/** The kind's namespaces and root-namespace links (veth ends, bridges), removed; returns what it removed. */
export async function removeKindLinks(kind: SimKind): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of (await namedNamespaces()).filter((n) => n.startsWith(kind.prefix))) {
    await run('ip', ['netns', 'del', ns]);
    removed.push(`netns ${ns}`);
  }
  // Veths go with their namespace; bridges (and any stray link) are removed here.
  for (const intf of (await rootInterfaces()).filter((i) => i.startsWith(kind.prefix))) {
    await run('ip', ['link', 'del', intf]);
    removed.push(`interface ${intf}`);
  }
  return removed;
}

/** What the kind left in the root namespace: namespaces and links. */
export async function kindLinks(kind: SimKind): Promise<{ namespaces: string[]; interfaces: string[] }> {
  return {
    namespaces: (await namedNamespaces()).filter((n) => n.startsWith(kind.prefix)),
    interfaces: (await rootInterfaces()).filter((i) => i.startsWith(kind.prefix)),
  };
}

/**
 * At exit without a stop(): kill and unlink synchronously (the 'exit' event allows nothing asynchronous); the
 * next run's cleanup removes the rest.
 */
export function teardownKindSync(kind: SimKind, extra: () => Set<number> = () => new Set()): void {
  for (let i = 0; i < 3; i++) {
    const pids = [...extra(), ...kindProcesses(kind, extra()).map((p) => p.pid)];
    if (!pids.length) break;
    killAll(pids);
  }
  const unlink = (args: string[]) => {
    try {
      execFileSync('ip', args, { stdio: 'ignore' });
    } catch {
      // gone already
    }
  };
  for (const n of listDir('/run/netns')) if (n.startsWith(kind.prefix)) unlink(['netns', 'del', n]);
  for (const i of listDir('/sys/class/net')) if (i.startsWith(kind.prefix)) unlink(['link', 'del', i]);
}

/** Throws what to do when a program the harness needs is missing. */
export function needExecutable(file: string, what: string, who: string): void {
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new Error(`${who}: ${file} is missing (${what}; run make setup)`);
  }
}

/** A Linux bridge in the root namespace with an address, up. */
export async function addRootBridge(name: string, cidr: string): Promise<void> {
  await runOk('ip', ['link', 'add', name, 'type', 'bridge']);
  await runOk('ip', ['addr', 'add', cidr, 'dev', name]);
  await runOk('ip', ['link', 'set', name, 'up']);
}

export interface VethOptions {
  netns: string;
  /** The end left in the root namespace. */
  outer: string;
  /** The end moved into the namespace. */
  inner: string;
  /** Address of the inner end (CIDR); none for an interface that becomes an OVS port. */
  innerCidr?: string;
  /** A root bridge the outer end joins, or an address for it (CIDR). */
  outerBridge?: string;
  outerCidr?: string;
}

/**
 * A veth from the root namespace into `netns` (created if missing), both ends up with tx offload off: without
 * it TCP through a userspace datapath hangs (unfinished checksums; see the reference).
 */
export async function plumbVeth(o: VethOptions): Promise<void> {
  if (!(await namedNamespaces()).includes(o.netns)) await runOk('ip', ['netns', 'add', o.netns]);
  await runOk('ip', ['link', 'add', o.outer, 'type', 'veth', 'peer', 'name', o.inner, 'netns', o.netns]);
  if (o.outerBridge) await runOk('ip', ['link', 'set', o.outer, 'master', o.outerBridge]);
  if (o.outerCidr) await runOk('ip', ['addr', 'add', o.outerCidr, 'dev', o.outer]);
  await runOk('ip', ['link', 'set', o.outer, 'up']);
  await runOk('ethtool', ['-K', o.outer, 'tx', 'off']);
  const inNs = (...args: string[]) => runOk('ip', ['-n', o.netns, ...args]);
  if (o.innerCidr) await inNs('addr', 'add', o.innerCidr, 'dev', o.inner);
  await inNs('link', 'set', o.inner, 'up');
  await inNs('link', 'set', 'lo', 'up');
  await runOk('nsenter', [`--net=/var/run/netns/${o.netns}`, 'ethtool', '-K', o.inner, 'tx', 'off']);
}

/** Waits for `ready`, failing at once (with the log tail) if the process dies first. */
export async function waitProcReady(
  proc: ManagedProcess,
  ready: () => Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const r = await waitFor(async () => (!proc.running ? 'exited' : (await ready()) && 'ready'), {
    what,
    timeoutMs,
    intervalMs: 50,
    detail: () => `log of ${proc.name} (${proc.logFile}):\n${proc.logTail(30)}`,
  });
  if (r === 'exited') {
    throw new Error(`${what}: ${proc.name} exited ${JSON.stringify(proc.status)}\n${proc.logTail(30)}`);
  }
}

const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** An ovsdb-server + ovs-vswitchd pair in a namespace, all files under `dir`; stoppable and startable again. */
export interface NamespaceOvs {
  /** 'unix:DIR/db.sock'. */
  readonly db: string;
  readonly procs: ManagedProcess[];
  readonly running: boolean;
  /** Stops both daemons (SIGTERM, then SIGKILL): the database file stays. */
  stop(): Promise<void>;
  /** Starts both again on the same database; resolves once they answer. */
  start(): Promise<void>;
}

/**
 * ovsdb-server and ovs-vswitchd of one simulated machine, in its network namespace. ovsdb-server serves the
 * database's manager_options and SSL settings as ovs-ctl starts it, so `ovs-vsctl set-manager ssl:...` dials out
 * as on a real node.
 */
export async function startNamespaceOvs(
  name: string,
  dir: string,
  netns: string,
  timeoutMs: number,
): Promise<NamespaceOvs> {
  const db = `unix:${dir}/db.sock`;
  await runOk('ovsdb-tool', ['create', `${dir}/conf.db`, OVS_SCHEMA]);
  const vsctlOk = async (...args: string[]) =>
    (await run('ovs-vsctl', [`--db=${db}`, '--timeout=5', ...args], { timeoutMs: 8000 })).code === 0;
  const appctlOk = async () =>
    (await run('ovs-appctl', ['-t', `${dir}/ovs-vswitchd.ctl`, 'version'], { timeoutMs: 5000 })).code === 0;
  const ovsdb = spawnManaged({
    name: `${name}-ovsdb-server`,
    cmd: 'nsenter',
    args: [
      `--net=${netns}`,
      'ovsdb-server',
      `${dir}/conf.db`,
      `--remote=punix:${dir}/db.sock`,
      '--remote=db:Open_vSwitch,Open_vSwitch,manager_options',
      '--private-key=db:Open_vSwitch,SSL,private_key',
      '--certificate=db:Open_vSwitch,SSL,certificate',
      '--bootstrap-ca-cert=db:Open_vSwitch,SSL,ca_cert',
      `--pidfile=${dir}/ovsdb-server.pid`,
      `--unixctl=${dir}/ovsdb-server.ctl`,
    ],
  });
  await waitProcReady(ovsdb, () => vsctlOk('--no-wait', 'init'), `${name}'s ovsdb-server`, timeoutMs);
  const vswitchd = spawnManaged({
    name: `${name}-ovs-vswitchd`,
    cmd: 'nsenter',
    // Its bridges' management sockets (BR.mgmt, for ovs-ofctl) go to OVS_RUNDIR.
    args: [
      `--net=${netns}`,
      'ovs-vswitchd',
      db,
      `--pidfile=${dir}/ovs-vswitchd.pid`,
      `--unixctl=${dir}/ovs-vswitchd.ctl`,
    ],
    env: { ...process.env, OVS_RUNDIR: dir },
  });
  await waitProcReady(vswitchd, appctlOk, `${name}'s ovs-vswitchd`, timeoutMs);
  return {
    db,
    procs: [ovsdb, vswitchd],
    get running() {
      return ovsdb.running && vswitchd.running;
    },
    async stop() {
      await vswitchd.stop(3000);
      await ovsdb.stop(3000);
    },
    async start() {
      if (!ovsdb.running) await ovsdb.restart();
      await waitProcReady(ovsdb, () => vsctlOk('--no-wait', 'show'), `${name}'s ovsdb-server`, timeoutMs);
      if (!vswitchd.running) await vswitchd.restart();
      await waitProcReady(vswitchd, appctlOk, `${name}'s ovs-vswitchd`, timeoutMs);
    },
  };
}
