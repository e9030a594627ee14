/**
 * Open vSwitch for tests: start it if needed (userspace datapath only: there is no kernel module here), make
 * test bridges, read flows, and remove what tests made.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MININET_DRIVER } from './paths.js';
import { processesWithArg, RUN_DIR } from './procs.js';
import { run, runOk } from './exec.js';
import { waitFor } from '../../support/wait.js';

export const OVS_CTL = '/usr/share/openvswitch/scripts/ovs-ctl';
export const OVS_DB_SOCK = '/var/run/openvswitch/db.sock';
/** external_ids key on every bridge the harness (or the Mininet driver) creates; its value is the owner's pid. */
export const OWNER_KEY = 'sluice-it';
/** Present while OVS runs because the harness started it: the end of the test run stops it again. */
const STARTED_MARKER = path.join(RUN_DIR, 'ovs-started-by-harness');

async function ovsAnswers(): Promise<boolean> {
  if (!fs.existsSync(OVS_DB_SOCK)) return false;
  const db = await run('ovs-vsctl', ['--timeout=2', 'show'], { timeoutMs: 5000 });
  if (db.code !== 0) return false;
  const vswitchd = await run('ovs-appctl', ['-t', 'ovs-vswitchd', 'version'], { timeoutMs: 5000 });
  return vswitchd.code === 0;
}

/**
 * Starts ovsdb-server and ovs-vswitchd unless both answer already; idempotent. Returns whether this call started
 * them (also recorded on disk, so `stopOvsIfStarted()` in a later process can undo it).
 */
export async function ensureOvs(opts: { timeoutMs?: number } = {}): Promise<{ started: boolean }> {
  if (await ovsAnswers()) return { started: false };
  // ovs-ctl warns about ulimit in containers and still starts; readiness is what we poll below, not its status.
  const r = await run(OVS_CTL, ['start', '--system-id=random'], { timeoutMs: 60_000 });
  await waitFor(async () => (await ovsAnswers()) || undefined, {
    what: `Open vSwitch (${OVS_DB_SOCK} and ovs-vswitchd) to answer`,
    timeoutMs: opts.timeoutMs ?? 20_000,
    intervalMs: 200,
    detail: () => `ovs-ctl start exited ${r.code}:\n${r.stdout}${r.stderr}`,
  });
  fs.mkdirSync(RUN_DIR, { recursive: true });
  fs.writeFileSync(STARTED_MARKER, `${new Date().toISOString()}\n`);
  return { started: true };
}

/**
 * Stops OVS only if the harness started it, no bridge is on it any more and no Mininet driver runs: on a shared
 * machine a bridge means another run (or a person) still uses it, and a driver still building its network has no
 * bridge yet but needs OVS (stopped under it, its ovs-vsctl calls failed or waited). CI machines kill everything
 * anyway; developers keep theirs.
 */
export async function stopOvsIfStarted(): Promise<boolean> {
  if (!fs.existsSync(STARTED_MARKER)) return false;
  if ((await listBridges().catch(() => [])).length > 0) return false;
  if (processesWithArg(MININET_DRIVER).length > 0) return false;
  await stopOvs();
  return true;
}

/** Stops ovsdb-server and ovs-vswitchd (for a program that knows it started them: ensureOvs() said so). */
export async function stopOvs(): Promise<void> {
  await run(OVS_CTL, ['stop'], { timeoutMs: 60_000 });
  fs.rmSync(STARTED_MARKER, { force: true });
}

export async function vsctl(...args: string[]): Promise<string> {
  return (await runOk('ovs-vsctl', ['--timeout=10', ...args])).trim();
}

export async function listBridges(): Promise<string[]> {
  const out = await vsctl('list-br');
  return out ? out.split('\n') : [];
}

/** Bridges tagged with OWNER_KEY, with the owner pid each was tagged with. */
export async function ownedBridges(): Promise<{ name: string; owner: number }[]> {
  const out = await vsctl('--format=json', '--columns=name,external_ids', 'list', 'Bridge');
  // OVSDB JSON: {"data": [["br0", ["map", [["key", "value"], ...]]], ...]}
  const rows = (JSON.parse(out) as { data: [string, ['map', [string, string][]]][] }).data;
  const result: { name: string; owner: number }[] = [];
  for (const [name, [, pairs]] of rows) {
    const owner = pairs.find(([k]) => k === OWNER_KEY)?.[1];
    if (owner !== undefined) result.push({ name, owner: Number(owner) });
  }
  return result;
}

export interface BridgeOptions {
  /** e.g. 'OpenFlow13' or 'OpenFlow10,OpenFlow13' (default: OVS's default set). */
  protocols?: string;
  /** Controller targets, e.g. ['tcp:127.0.0.1:6653']. */
  controllers?: string[];
  failMode?: 'secure' | 'standalone';
  /** 16 hex digits. */
  dpid?: string;
}

/** A userspace (datapath_type=netdev) bridge tagged as ours; re-created if it exists. */
export async function addTestBridge(name: string, opts: BridgeOptions = {}): Promise<void> {
  const args = ['--', '--if-exists', 'del-br', name, '--', 'add-br', name];
  args.push('--', 'set', 'bridge', name, 'datapath_type=netdev', `external-ids:${OWNER_KEY}=${process.pid}`);
  if (opts.protocols) args.push(`protocols=${opts.protocols}`);
  if (opts.failMode) args.push(`fail_mode=${opts.failMode}`);
  if (opts.dpid) args.push(`other-config:datapath-id=${opts.dpid}`);
  if (opts.controllers?.length) args.push('--', 'set-controller', name, ...opts.controllers);
  await vsctl(...args);
}

export async function deleteBridge(name: string): Promise<void> {
  await vsctl('--if-exists', 'del-br', name);
}

export interface ControllerRole {
  /** e.g. tcp:127.0.0.1:6653 */
  target: string;
  /** OVS's role column: master, slave or other ('' before the first connection). */
  role: string;
  connected: boolean;
}

/** Per bridge, its controllers' roles as OVS reports them (`ovs-vsctl list controller`'s role column). */
export async function controllerRoles(): Promise<Map<string, ControllerRole[]>> {
  type Ref = ['uuid', string];
  type Set1<T> = ['set', T[]] | T;
  const bridges = JSON.parse(await vsctl('--format=json', '--columns=name,controller', 'list', 'Bridge')) as {
    data: [string, Set1<Ref>][];
  };
  const ctls = JSON.parse(
    await vsctl('--format=json', '--columns=_uuid,target,role,is_connected', 'list', 'Controller'),
  ) as { data: [Ref, string, Set1<string>, boolean][] };
  const byUuid = new Map(
    ctls.data.map(([[, uuid], target, role, connected]) => [
      uuid,
      { target, role: Array.isArray(role) ? (role[1][0] ?? '') : role, connected },
    ]),
  );
  const out = new Map<string, ControllerRole[]>();
  for (const [name, refs] of bridges.data) {
    const list: Ref[] = refs[0] === 'set' ? (refs[1] as Ref[]) : [refs as Ref];
    out.set(
      name,
      list.map(([, uuid]) => byUuid.get(uuid)).filter((c): c is ControllerRole => c !== undefined),
    );
  }
  return out;
}

/** `ovs-ofctl` with the protocol version given (OpenFlow13 needs it explicitly). */
export async function ofctl(args: string[], protocols = 'OpenFlow13'): Promise<string> {
  return runOk('ovs-ofctl', ['-O', protocols, ...args]);
}

/** Flow lines of `ovs-ofctl dump-flows` without the reply header (and without durations, which always differ). */
export async function dumpFlows(
  bridge: string,
  protocols = 'OpenFlow13',
  filter?: string,
): Promise<string[]> {
  const out = await ofctl(['--no-stats', 'dump-flows', bridge, ...(filter ? [filter] : [])], protocols);
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.includes('_REPLY') && !l.startsWith('NXST_'));
}
