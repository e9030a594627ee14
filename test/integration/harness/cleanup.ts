/**
 * Removing what integration tests leave behind, fast: only our own things (bridges tagged OWNER_KEY, Mininet
 * drivers' recorded bridges/interfaces/processes, processes in RUN_DIR/procs, namespaces named sit-*), never a
 * blanket `mn -c`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { run } from './exec.js';
import { namedNamespaces, rootInterfaces } from './links.js';
import { cleanSimHosts, simHostLeftovers } from './hosts.js';
import { cleanSimNodes, simNodeLeftovers } from './nodes.js';
import { gangliaProcesses } from './ganglia.js';
import { deleteBridge, ownedBridges } from './ovs.js';
import { MININET_DRIVER } from './paths.js';
import {
  DATA_DIR,
  isAlive,
  processStartTime,
  processesWithArg,
  procStat,
  PROCS_DIR,
  RUN_DIR,
  signalGroup,
  type ProcRecord,
} from './procs.js';
import { delay, waitFor } from '../../support/wait.js';

export { namedNamespaces, rootInterfaces };

export const MININET_STATE_DIR = path.join(RUN_DIR, 'mininet');
/** Tests that make named network namespaces (`ip netns add`) give them this prefix so cleanup can find them. */
export const NETNS_PREFIX = 'sit-';
/** Interface names Mininet gives switch ports (s1-eth2): none should remain in the root namespace after a run. */
const MININET_INTF = /^s\d+-eth\d+$/;

/** What the Mininet driver (scripts/mininet/net.py) records while it runs. */
export interface MininetState {
  pid: number;
  startTime: string | null;
  switches: string[];
  rootIntfs: string[];
  procs: { pid: number; startTime: string | null }[];
}

/** The same process as recorded (alive, and not a later process that reused the pid). */
function sameProcess(pid: number, startTime: string | null | undefined): boolean {
  return isAlive(pid) && (!startTime || processStartTime(pid) === startTime);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function listJson(dir: string): string[] {
  return listDir(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(dir, f));
}

/**
 * Removes everything one Mininet driver recorded. If the driver still runs it is asked to stop (SIGTERM: it tears
 * its network down itself); what it could not remove is removed here.
 */
export async function cleanMininetState(file: string): Promise<void> {
  const st = readJson<MininetState>(file);
  if (!st) {
    fs.rmSync(file, { force: true });
    return;
  }
  if (sameProcess(st.pid, st.startTime)) {
    signalGroup(st.pid, 'SIGTERM');
    await waitFor(() => !sameProcess(st.pid, st.startTime), {
      what: `Mininet driver ${st.pid} to stop`,
      timeoutMs: 20_000,
    }).catch(() => signalGroup(st.pid, 'SIGKILL'));
  }
  for (const p of st.procs) if (sameProcess(p.pid, p.startTime)) signalGroup(p.pid, 'SIGKILL');
  for (const sw of st.switches) await deleteBridge(sw).catch(() => undefined);
  const present = new Set(await rootInterfaces());
  for (const intf of st.rootIntfs) if (present.has(intf)) await run('ip', ['link', 'del', intf]);
  fs.rmSync(file, { force: true });
}

export interface CleanReport {
  mininets: number;
  processes: string[];
  bridges: string[];
  namespaces: string[];
  interfaces: string[];
  /** Simulated hosts' things (hosts.ts): processes, namespaces, links, cgroups, files. */
  simHosts: string[];
  /** Simulated nodes' things (nodes.ts): processes, namespaces, links, the SSH user, files. */
  simNodes: string[];
}

/**
 * A process still doing its job for a live test process: one with a live parent (a driver or controller whose
 * test still runs; a test process under its runner). Orphans (parent gone) are leftovers.
 */
function hasLiveParent(pid: number): boolean {
  const ppid = procStat(pid)?.ppid ?? 0;
  return isAlive(pid) && ppid > 1 && isAlive(ppid);
}

/** Owned by another live test process (someone else's run on a shared machine): neither ours to report nor kill. */
function ownedElsewhere(pid: number): boolean {
  return pid !== process.pid && procStat(pid)?.ppid !== process.pid && hasLiveParent(pid);
}

/**
 * Removes leftovers of earlier (crashed) runs, sparing what live test processes still use. `all`: remove those
 * too (only when certain nothing else runs: `cli.js clean-all`).
 */
export async function cleanLeftovers(opts: { all?: boolean } = {}): Promise<CleanReport> {
  const report: CleanReport = {
    mininets: 0,
    processes: [],
    bridges: [],
    namespaces: [],
    interfaces: [],
    simHosts: [],
    simNodes: [],
  };
  let liveNetwork = false;
  for (const file of listJson(MININET_STATE_DIR)) {
    const st = readJson<MininetState>(file);
    if (!opts.all && st && sameProcess(st.pid, st.startTime) && hasLiveParent(st.pid)) {
      liveNetwork = true;
      continue;
    }
    await cleanMininetState(file);
    report.mininets++;
  }
  for (const file of listJson(PROCS_DIR)) {
    const rec = readJson<ProcRecord>(file);
    if (rec && sameProcess(rec.pid, rec.startTime)) {
      if (!opts.all && hasLiveParent(rec.pid)) continue;
      signalGroup(rec.pid, 'SIGKILL');
      report.processes.push(`${rec.name} (pid ${rec.pid})`);
    }
    fs.rmSync(file, { force: true });
  }
  // A gmond/gmetad on one of our configs that no record explains (its record went with a crashed test's pid).
  for (const g of gangliaProcesses()) {
    if (!opts.all && hasLiveParent(g.pid)) continue;
    signalGroup(g.pid, 'SIGKILL');
    report.processes.push(`ganglia ${g.conf} (pid ${g.pid})`);
  }
  for (const br of await ownedBridges().catch(() => [])) {
    if (opts.all || !isAlive(br.owner)) {
      await deleteBridge(br.name);
      report.bridges.push(br.name);
    }
  }
  for (const ns of await namedNamespaces()) {
    if (ns.startsWith(NETNS_PREFIX)) {
      await run('ip', ['netns', 'del', ns]);
      report.namespaces.push(ns);
    }
  }
  // Mininet-named interfaces no record explains (a driver killed mid-build); while a network runs they may be its.
  // Asked again now: a driver that started since the state files were read has none yet but may be making them.
  liveNetwork ||= processesWithArg(MININET_DRIVER).some(hasLiveParent);
  for (const intf of opts.all || !liveNetwork ? await rootInterfaces() : []) {
    if (MININET_INTF.test(intf)) {
      await run('ip', ['link', 'del', intf]);
      report.interfaces.push(intf);
    }
  }
  report.simHosts = await cleanSimHosts(opts);
  report.simNodes = await cleanSimNodes(opts);
  for (const dir of listDir(DATA_DIR)) {
    const owner = Number(dir.split('-')[0]);
    if (opts.all || !isAlive(owner)) fs.rmSync(path.join(DATA_DIR, dir), { recursive: true, force: true });
  }
  // Killed processes take a moment to be reaped; leave the machine settled for whoever runs next.
  if (report.processes.length) await delay(100);
  return report;
}

export interface Leftovers {
  /** Mininet drivers still recorded (running or not cleaned). */
  mininets: string[];
  /** Processes the harness started that still run. */
  processes: string[];
  /** Bridges tagged as the harness's. */
  bridges: string[];
  /** Named namespaces with the test prefixes (sit-, slh- of simulated hosts, sln- of simulated nodes). */
  namespaces: string[];
  /** Mininet-style switch interfaces and simulated hosts' and nodes' links in the root namespace. */
  interfaces: string[];
  /** The simulated nodes' SSH user and its sudoers entry. */
  accounts: string[];
}

/**
 * What the harness's things left on the machine now (a clean state is all-empty), not counting what other live
 * test processes own: on a shared machine their networks and controllers are theirs.
 */
export async function leftovers(): Promise<Leftovers> {
  const states = listJson(MININET_STATE_DIR).map((file) => ({ file, st: readJson<MininetState>(file) }));
  const foreignStates = states.filter(
    ({ st }) => st && sameProcess(st.pid, st.startTime) && ownedElsewhere(st.pid),
  );
  const foreignSwitches = new Set(foreignStates.flatMap(({ st }) => st!.switches));
  const recorded = listJson(PROCS_DIR)
    .map((f) => readJson<ProcRecord>(f))
    .filter((r): r is ProcRecord => !!r && sameProcess(r.pid, r.startTime) && !ownedElsewhere(r.pid))
    .map((r) => `${r.name} (pid ${r.pid})`);
  // Ganglia daemons on our configs not already named by their records.
  const ganglia = gangliaProcesses()
    .filter((g) => !ownedElsewhere(g.pid) && !recorded.some((r) => r.endsWith(`(pid ${g.pid})`)))
    .map((g) => `ganglia ${g.conf} (pid ${g.pid})`);
  const sim = await simHostLeftovers();
  const nodes = await simNodeLeftovers();
  // Simulated hosts' and nodes' daemons are both recorded and found by their command line: name each once.
  const unrecorded = (p: string) => !recorded.some((r) => r.endsWith(p.slice(p.lastIndexOf(' (pid'))));
  return {
    mininets: states.filter((s) => !foreignStates.includes(s)).map((s) => s.file),
    processes: [
      ...recorded,
      ...ganglia,
      ...sim.processes.filter(unrecorded),
      ...nodes.processes.filter(unrecorded),
    ],
    bridges: (await ownedBridges())
      .filter((b) => !foreignSwitches.has(b.name) && !ownedElsewhere(b.owner))
      .map((b) => b.name),
    namespaces: [
      ...(await namedNamespaces()).filter((n) => n.startsWith(NETNS_PREFIX)),
      ...sim.namespaces,
      ...nodes.namespaces,
    ],
    // While someone else's network runs (or is being built) its s*-eth* interfaces cannot be told from ours.
    interfaces: [
      ...(foreignStates.length ? [] : (await rootInterfaces()).filter((i) => MININET_INTF.test(i))),
      ...sim.interfaces,
      ...nodes.interfaces,
    ],
    accounts: nodes.accounts,
  };
}
