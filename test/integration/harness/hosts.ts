/**
 * Several simulated container hosts on one machine (issue 8's proof): each host is a network namespace on a
 * shared underlay bridge, with its own ovsdb-server + ovs-vswitchd and its own dockerd in a private mount
 * namespace (so each has its own /run/docker/plugins), plus an optional etcd cluster the hosts reach over the
 * underlay. Shapes as verified in shared/reference/test-environment.md.
 *
 * Names are global (netns slh-h1.., bridge slh-br0, cgroups /slh-h1..): one SimHosts per machine at a time.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startEtcdCluster, type TestEtcdCluster } from '../../support/etcd.js';
import { waitFor } from '../../support/wait.js';
import { run, runOk, type RunResult } from './exec.js';
import { onExitSync, RUN_DIR, spawnManaged, type ExitStatus, type ManagedProcess } from './procs.js';
import {
  addRootBridge,
  kindLinks,
  kindProcesses,
  killAll,
  killKindProcesses,
  listDir,
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
  type SimKind,
} from './simns.js';

/** Prefix of every name the simulated hosts use (netns, links, cgroups): nothing else on the machine uses it. */
export const SIM_PREFIX = 'slh-';
/** Each run's files (OVS databases, docker roots, etcd data) live under HOSTS_DIR/<owner pid>-XXXXXX. */
export const HOSTS_DIR = path.join(RUN_DIR, 'hosts');
const KIND: SimKind = { prefix: SIM_PREFIX, dir: HOSTS_DIR };
export const UNDERLAY_BRIDGE = `${SIM_PREFIX}br0`;
export const UNDERLAY_GATEWAY = '10.99.0.254';
const UNDERLAY_PREFIX = '10.99.0.';
const UNDERLAY_IFACE = 'ul0';
/** The Debian docker.io binaries: /usr/local/bin/docker on these machines is an unrelated, newer client. */
export const DOCKER = '/usr/bin/docker';
export const DOCKERD = '/usr/sbin/dockerd';
export const BUSYBOX = '/bin/busybox';
export const BUSYBOX_IMAGE = 'local/busybox:latest';
const MAX_HOSTS = 250;

export interface StartHostsOptions {
  /** Number of hosts, h1..hN (1..250). */
  count: number;
  /** An etcd cluster reachable from the hosts (true: 3 members). */
  etcd?: boolean | { members: number };
  /** Per component (dockerd, OVS, etcd); default 30 s. */
  readyTimeoutMs?: number;
}

export interface HostExecOptions {
  timeoutMs?: number;
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Working directory inside the host (default /). */
  cwd?: string;
}

/** A long-running process inside a host (an agent): its own process group, output in a log file. */
export interface HostProcess {
  readonly name: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Resolves when the process exits (the current run of it, after a restart). */
  readonly exited: Promise<ExitStatus>;
  /** Sends `signal` (default SIGTERM) to its process group. */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<ExitStatus>;
  /** The same command again (after a kill -9, say). */
  restart(graceMs?: number): Promise<void>;
  /** The last lines of its output (for failure messages). */
  output(lines?: number): string;
  readonly logFile: string;
}

export interface SimHost {
  /** 1-based. */
  readonly index: number;
  /** 'h1'. */
  readonly name: string;
  /** The netns name ('slh-h1') and its path ('/var/run/netns/slh-h1'). */
  readonly netnsName: string;
  readonly netns: string;
  readonly underlayIp: string;
  readonly underlayIface: string;
  /** This host's files: OVS database and sockets, docker roots, plugins dir. */
  readonly dir: string;
  /** 'unix:DIR/db.sock'. */
  readonly ovsdb: string;
  /** 'unix://DIR/docker.sock'. */
  readonly dockerHost: string;
  /** Its private /run/docker/plugins, seen from the root mount namespace. */
  readonly pluginsDir: string;
  /** Its current dockerd (a new pid after startDockerd). */
  readonly dockerdPid: number;
  /**
   * Stops this host's dockerd (its containers stop with it; data, images and sockets' paths stay), e.g. to
   * test what an agent says while dockerd is down. exec/spawn need it running (they enter its mount namespace).
   */
  stopDockerd(): Promise<void>;
  /** Starts the stopped dockerd again (a new mount namespace, same plugins dir); resolves once it answers. */
  startDockerd(): Promise<void>;
  /** ovs-vsctl on this host's database; stdout trimmed; throws on failure. */
  vsctl(...args: string[]): Promise<string>;
  /** ovs-ofctl with this host's rundir (bridge mgmt sockets); stdout; throws on failure. */
  ofctl(...args: string[]): Promise<string>;
  /** /usr/bin/docker -H dockerHost ...; never throws. */
  docker(...args: string[]): Promise<RunResult>;
  /** A command in this host's mount and network namespaces; never throws. */
  exec(cmd: string, args: string[], opts?: HostExecOptions): Promise<RunResult>;
  /** A long-running command in this host's mount and network namespaces; stopped by `SimHosts.stop()`. */
  spawn(
    cmd: string,
    args: string[],
    opts?: { env?: NodeJS.ProcessEnv; name?: string; cwd?: string },
  ): HostProcess;
}

export interface SimEtcd {
  /** Client URLs on the underlay gateway address (reachable from every host), one per member. */
  endpoints: string[];
  /** The same members on 127.0.0.1 (for the test process; the gateway address works there too). */
  loopbackEndpoints: string[];
  /** 0-based; keeps the member's data. */
  stopMember(i: number): Promise<void>;
  startMember(i: number): Promise<void>;
}

export interface SimHosts {
  readonly hosts: SimHost[];
  readonly etcd?: SimEtcd;
  readonly dir: string;
  /** Milliseconds startHosts took. */
  readonly startupMs: number;
  /** Tears everything down and checks nothing is left (throws naming what is). Safe twice. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Finding what is ours: by name prefix, by our directory on a command line, by network namespace, by cgroup.

const CGROUP_ROOT = '/sys/fs/cgroup';
const SHIM_SOCKETS = '/run/containerd/s';

/** Our cgroup dirs (docker's --cgroup-parent /slh-hN), deepest first so they can be removed in order. */
function ourCgroups(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of listDir(dir)) {
      const sub = path.join(dir, e);
      if (fs.statSync(sub, { throwIfNoEntry: false })?.isDirectory()) walk(sub);
    }
    found.push(dir);
  };
  for (const c of listDir(CGROUP_ROOT)) {
    for (const d of listDir(path.join(CGROUP_ROOT, c)))
      if (d.startsWith(SIM_PREFIX)) walk(path.join(CGROUP_ROOT, c, d));
  }
  return found;
}

function cgroupPids(dirs: string[]): Set<number> {
  const pids = new Set<number>();
  for (const d of dirs) {
    try {
      for (const l of fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n'))
        if (l) pids.add(Number(l));
    } catch {
      // removed meanwhile
    }
  }
  return pids;
}

/**
 * Processes of ours: any with a file of ours as an argument (dockerd, containerd, shims, OVS, etcd), in one
 * of our network namespaces (agents, servers), or in one of our cgroups (containers). Never this process.
 */
export function simHostProcesses(): { pid: number; what: string }[] {
  return kindProcesses(KIND, cgroupPids(ourCgroups()));
}

/** Our mounts visible in this (root) mount namespace: none once our namespaces are deleted. */
function ourMounts(): string[] {
  const lines = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  return lines
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m.includes(`/${SIM_PREFIX}`) || m.startsWith(HOSTS_DIR + '/')));
}

export interface SimHostLeftovers {
  processes: string[];
  namespaces: string[];
  interfaces: string[];
  cgroups: string[];
  mounts: string[];
  dirs: string[];
}

/**
 * What simulated hosts left on the machine (all empty when clean). Another live process's hosts are not
 * leftovers: empty while one runs (unless it is this process).
 */
export async function simHostLeftovers(): Promise<SimHostLeftovers> {
  const owner = liveOwner(KIND);
  const none = { processes: [], namespaces: [], interfaces: [], cgroups: [], mounts: [], dirs: [] };
  if (owner !== undefined && owner !== process.pid) return none;
  return {
    processes: simHostProcesses().map((p) => p.what),
    ...(await kindLinks(KIND)),
    cgroups: ourCgroups(),
    mounts: ourMounts(),
    dirs: runDirs(KIND),
  };
}

/**
 * A killed containerd shim leaves its socket in the root filesystem's /run/containerd/s, named by
 * sha256(<containerd address>/<namespace>/<container id>) (containerd 1.6): remove those of our containers.
 */
function removeShimSockets(runDir: string): void {
  for (const host of listDir(runDir)) {
    const hostDir = path.join(runDir, host);
    for (const id of listDir(path.join(hostDir, 'data', 'containers'))) {
      const key = path.join(hostDir, 'exec', 'containerd', 'containerd.sock', 'moby', id);
      fs.rmSync(path.join(SHIM_SOCKETS, createHash('sha256').update(key).digest('hex')), { force: true });
    }
  }
}

/**
 * Removes simulated hosts (processes, namespaces, links, cgroups, files). Unless `all`, spares them while a live
 * process owns them (its run is still going). Returns what it removed.
 */
export async function cleanSimHosts(opts: { all?: boolean } = {}): Promise<string[]> {
  if (!opts.all && liveOwner(KIND) !== undefined) return [];
  const removed: string[] = simHostProcesses().map((p) => p.what);
  // Containers first: their shims would report them.
  await killKindProcesses(KIND, () => cgroupPids(ourCgroups()));
  removed.push(...(await removeKindLinks(KIND)));
  const cgroups = ourCgroups();
  // A cgroup whose last task just died is busy for a moment.
  await waitFor(
    () => {
      for (const cg of ourCgroups()) {
        try {
          fs.rmdirSync(cg);
        } catch {
          // busy: tried again
        }
      }
      return ourCgroups().length === 0;
    },
    { what: 'our cgroups to be removable', timeoutMs: 5000, detail: () => ourCgroups().join(', ') },
  ).catch(() => undefined);
  if (cgroups.length) removed.push(`${cgroups.length} cgroup dir(s)`);
  for (const dir of runDirs(KIND)) {
    removeShimSockets(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    removed.push(`dir ${dir}`);
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------------------------
// Pieces.

/** GET /_ping on a docker socket: 'OK' once dockerd serves its API. */
function dockerPing(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && body === 'OK'));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

let imageTar: Promise<string> | undefined;

/** A busybox root (every applet linked) as a tar for `docker import`; built once per busybox binary. */
function busyboxTar(): Promise<string> {
  imageTar ??= (async () => {
    const st = fs.statSync(BUSYBOX);
    const imagesDir = path.join(RUN_DIR, 'images');
    const tar = path.join(imagesDir, `busybox-${st.size}-${Math.floor(st.mtimeMs)}.tar`);
    if (fs.existsSync(tar)) return tar;
    fs.mkdirSync(imagesDir, { recursive: true });
    const root = fs.mkdtempSync(path.join(imagesDir, 'root-'));
    try {
      for (const d of ['bin', 'etc', 'tmp', 'root', 'var/www', 'proc', 'sys', 'dev']) {
        fs.mkdirSync(path.join(root, d), { recursive: true });
      }
      fs.copyFileSync(BUSYBOX, path.join(root, 'bin/busybox'));
      fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
      const applets = (await runOk(BUSYBOX, ['--list'])).split('\n').filter((a) => a && a !== 'busybox');
      for (const a of applets) fs.symlinkSync('busybox', path.join(root, 'bin', a));
      fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
      fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
      const tmp = `${tar}.${process.pid}`;
      await runOk('tar', ['-C', root, '-cf', tmp, '.']);
      fs.renameSync(tmp, tar);
      return tar;
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  })();
  imageTar.catch(() => (imageTar = undefined));
  return imageTar;
}

/**
 * dockerd of one host: a private mount namespace (its own /run/docker/plugins bound from DIR/plugins) entered
 * with nsenter --net, not `ip netns exec` (that remounts /sys and hides the cgroup v1 mounts dockerd needs).
 * Containers go to cgroups under /slh-hN, which is how cleanup finds them.
 */
async function startDockerd(
  name: string,
  dir: string,
  netns: string,
  cgroupParent: string,
  timeoutMs: number,
): Promise<{ proc: ManagedProcess; pid: number }> {
  fs.mkdirSync(path.join(dir, 'plugins'), { recursive: true });
  const script =
    'set -e; mkdir -p /run/docker/plugins; mount --bind "$1" /run/docker/plugins; ns="$2"; shift 2; ' +
    'exec nsenter --net="$ns" "$@"';
  const proc = spawnManaged({
    name: `${name}-dockerd`,
    cmd: 'unshare',
    args: [
      ...['--mount', '--propagation', 'private', 'bash', '-c', script, 'dockerd-in-host'],
      ...[path.join(dir, 'plugins'), netns, DOCKERD],
      ...['--iptables=false', '--ip-forward=false', '--bridge=none'],
      ...['--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec')],
      ...['-H', `unix://${dir}/docker.sock`, '--pidfile', path.join(dir, 'docker.pid')],
      ...['--cgroup-parent', cgroupParent],
    ],
  });
  await waitProcReady(proc, () => dockerPing(path.join(dir, 'docker.sock')), `${name}'s dockerd`, timeoutMs);
  const pid = Number(fs.readFileSync(path.join(dir, 'docker.pid'), 'utf8').trim());
  return { proc, pid };
}

function hostProcess(proc: ManagedProcess): HostProcess {
  return {
    name: proc.name,
    logFile: proc.logFile,
    get pid() {
      return proc.pid;
    },
    get running() {
      return proc.running;
    },
    get exited() {
      return proc.exited();
    },
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.running && proc.pid) {
        try {
          process.kill(-proc.pid, signal);
        } catch {
          // exited meanwhile
        }
      }
    },
    stop: (graceMs = 5000) => proc.stop(graceMs),
    restart: (graceMs = 5000) => proc.restart(graceMs),
    output: (lines = 60) => proc.logTail(lines),
  };
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Starts `count` simulated hosts (and an etcd cluster if asked) in parallel. Clears a crashed earlier run's
 * leftovers first; refuses while another live process runs simulated hosts.
 */
export async function startHosts(opts: StartHostsOptions): Promise<SimHosts> {
  const t0 = Date.now();
  const count = opts?.count;
  if (!Number.isInteger(count) || count < 1 || count > MAX_HOSTS) {
    throw new Error(`startHosts: count must be an integer 1..${MAX_HOSTS}, got ${String(count)}`);
  }
  const members = opts.etcd === true ? 3 : opts.etcd ? opts.etcd.members : 0;
  if (!Number.isInteger(members) || members < 0) {
    throw new Error(`startHosts: etcd.members must be a positive integer, got ${String(members)}`);
  }
  const timeoutMs = opts.readyTimeoutMs ?? 30_000;
  needExecutable(DOCKERD, 'Debian package docker.io', 'startHosts');
  needExecutable(DOCKER, 'Debian package docker.io', 'startHosts');
  needExecutable(BUSYBOX, 'Debian package busybox-static', 'startHosts');
  refuseIfRunning(KIND, 'startHosts', 'simulated hosts');
  await cleanSimHosts();
  const image = busyboxTar();

  const dir = makeRunDir(KIND);
  const removeExitHook = onExitSync(() => teardownKindSync(KIND, () => cgroupPids(ourCgroups())));

  const procs: ManagedProcess[] = [];
  const hostProcs: HostProcess[] = [];
  const dockerds: ManagedProcess[] = [];
  let cluster: TestEtcdCluster | undefined;
  let stopping: Promise<void> | undefined;

  const stop = () =>
    (stopping ??= (async () => {
      // Agents first (they may clean up through dockerd and OVS), then containers, daemons and namespaces.
      await Promise.all(hostProcs.map((p) => p.stop(3000)));
      killAll(cgroupPids(ourCgroups()));
      await Promise.all(dockerds.map((p) => p.stop(5000)));
      await Promise.all(procs.map((p) => p.stop(3000)));
      await cluster?.stop();
      await cleanSimHosts({ all: true });
      removeExitHook();
      const left = await simHostLeftovers();
      const named = Object.entries(left).filter(([, v]) => v.length > 0);
      if (named.length) {
        throw new Error(
          `simulated hosts: stop() left ${named.map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ')}`,
        );
      }
    })());

  try {
    await addRootBridge(UNDERLAY_BRIDGE, `${UNDERLAY_GATEWAY}/24`);

    const etcdStarting = members
      ? startEtcdCluster({
          members,
          clientHosts: [UNDERLAY_GATEWAY, '127.0.0.1'],
          dir: path.join(dir, 'etcd'),
          timeoutMs,
        }).then((c) => (cluster = c))
      : Promise.resolve(undefined);
    etcdStarting.catch(() => undefined); // awaited below; a host failing first must not leave it unhandled

    const hosts = await Promise.all(
      Array.from({ length: count }, async (_, k): Promise<SimHost> => {
        const index = k + 1;
        const name = `h${index}`;
        const netnsName = `${SIM_PREFIX}${name}`;
        const netns = `/var/run/netns/${netnsName}`;
        const hdir = path.join(dir, name);
        fs.mkdirSync(hdir, { recursive: true });
        await plumbVeth({
          netns: netnsName,
          outer: `${SIM_PREFIX}h${index}`,
          outerBridge: UNDERLAY_BRIDGE,
          inner: UNDERLAY_IFACE,
          innerCidr: `${UNDERLAY_PREFIX}${index}/24`,
        });
        const [ovs, dockerd] = await Promise.all([
          startNamespaceOvs(name, hdir, netns, timeoutMs).then((o) => o.procs),
          startDockerd(name, hdir, netns, `/${netnsName}`, timeoutMs),
        ]);
        procs.push(...ovs);
        dockerds.push(dockerd.proc);
        const dockerHost = `unix://${hdir}/docker.sock`;
        let dockerdPid = dockerd.pid;
        const inHost = (cmd: string, args: string[], cwd?: string) => [
          `--mount=/proc/${dockerdPid}/ns/mnt`,
          `--net=${netns}`,
          ...(cwd ? [`--wd=${cwd}`] : []),
          cmd,
          ...args,
        ];
        const host: SimHost = {
          index,
          name,
          netnsName,
          netns,
          underlayIp: `${UNDERLAY_PREFIX}${index}`,
          underlayIface: UNDERLAY_IFACE,
          dir: hdir,
          ovsdb: `unix:${hdir}/db.sock`,
          dockerHost,
          pluginsDir: path.join(hdir, 'plugins'),
          get dockerdPid() {
            return dockerdPid;
          },
          stopDockerd: async () => {
            await dockerd.proc.stop(10_000);
          },
          startDockerd: async () => {
            if (dockerd.proc.running) return;
            await dockerd.proc.restart();
            const sock = path.join(hdir, 'docker.sock');
            await waitProcReady(dockerd.proc, () => dockerPing(sock), `${name}'s dockerd`, timeoutMs);
            dockerdPid = Number(fs.readFileSync(path.join(hdir, 'docker.pid'), 'utf8').trim());
          },
          vsctl: async (...args) =>
            (await runOk('ovs-vsctl', [`--db=unix:${hdir}/db.sock`, '--timeout=10', ...args])).trim(),
          ofctl: (...args) => runOk('ovs-ofctl', args, { env: { ...process.env, OVS_RUNDIR: hdir } }),
          docker: (...args) => run(DOCKER, ['-H', dockerHost, ...args], { timeoutMs: 60_000 }),
          exec: (cmd, args, o = {}) =>
            run('nsenter', inHost(cmd, args, o.cwd), {
              ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
              ...(o.input !== undefined ? { input: o.input } : {}),
              ...(o.env ? { env: o.env } : {}),
            }),
          spawn: (cmd, args, o = {}) => {
            const p = hostProcess(
              spawnManaged({
                name: o.name ?? `${name}-${path.basename(cmd)}`,
                cmd: 'nsenter',
                args: inHost(cmd, args, o.cwd),
                ...(o.env ? { env: o.env } : {}),
              }),
            );
            hostProcs.push(p);
            return p;
          },
        };
        const imported = await host.docker('import', await image, BUSYBOX_IMAGE);
        if (imported.code !== 0)
          throw new Error(`${name}: docker import of ${BUSYBOX_IMAGE}: ${imported.stderr}`);
        return host;
      }),
    );
    await etcdStarting;
    const etcd: SimEtcd | undefined = cluster && {
      endpoints: cluster.endpoints,
      loopbackEndpoints: cluster.endpoints.map((_, i) => cluster!.clientUrls(i)[1]),
      stopMember: (i) => cluster!.stopMember(i),
      startMember: (i) => cluster!.startMember(i),
    };
    return { hosts, ...(etcd ? { etcd } : {}), dir, startupMs: Date.now() - t0, stop };
  } catch (e) {
    await stop().catch((err: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n(and stop failed: ${String(err)})`);
    });
    throw e;
  }
}
