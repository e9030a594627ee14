/**
 * The controllers the bench compares: how to start each on a given port and how to name its version.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface LaunchContext {
  repoRoot: string;
  /** Scratch directory of this run (data dirs, logs). */
  workDir: string;
  ofPort: number;
  apiPort: number;
  /** Extra node flags for controllers that run on node (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

export interface ControllerSpec {
  id: string;
  /** What the report calls it, e.g. "os-ken 2.5 (L2 learning)". */
  label: string;
  /** Why it cannot run here, or undefined when it can. */
  unavailable(ctx: Pick<LaunchContext, 'repoRoot'>): string | undefined;
  version(ctx: Pick<LaunchContext, 'repoRoot'>): string;
  launch(ctx: LaunchContext): { cmd: string; args: string[]; env?: NodeJS.ProcessEnv };
  /** HTTP API base URL while running, if the controller has one the bench uses. */
  apiUrl?(ctx: LaunchContext): string;
  /** A reference row (a floor to read the others against), not a controller with targets. */
  reference?: boolean;
}

function run(cmd: string, args: string[], cwd?: string): string | undefined {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function sluiceCli(repoRoot: string): string {
  return path.join(repoRoot, 'dist/src/cli/main.js');
}

export const sluice: ControllerSpec = {
  id: 'sluice',
  label: 'Sluice (forwarding app)',
  unavailable({ repoRoot }) {
    const cli = sluiceCli(repoRoot);
    if (!fs.existsSync(cli)) return `${cli} missing (run make build)`;
    if (run(process.execPath, [cli, 'controller', '--help']) === undefined)
      return '`sluice controller` is not implemented yet';
    return undefined;
  },
  version({ repoRoot }) {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    const rev = run('git', ['rev-parse', '--short', 'HEAD'], repoRoot) ?? 'unknown';
    return `${pkg.version} (git ${rev})`;
  },
  launch(ctx) {
    const dataDir = path.join(ctx.workDir, `sluice-data-${ctx.ofPort}`);
    fs.mkdirSync(dataDir, { recursive: true });
    return {
      cmd: process.execPath,
      args: [
        ...(ctx.nodeArgs ?? []),
        sluiceCli(ctx.repoRoot),
        'controller',
        '--openflow-port',
        String(ctx.ofPort),
        '--api-port',
        String(ctx.apiPort),
        '--openflow-listen',
        '127.0.0.1',
        '--data-dir',
        dataDir,
        // Same as ovs-testcontroller's -vconsole:warn: warnings still reach the log file.
        '--log-level',
        'warn',
        '--log-format',
        'json',
      ],
    };
  },
  apiUrl: (ctx) => `http://127.0.0.1:${ctx.apiPort}`,
};

export const ovsTestcontroller: ControllerSpec = {
  id: 'ovs-testcontroller',
  label: 'ovs-testcontroller (C, L2 learning)',
  unavailable: () =>
    run('ovs-testcontroller', ['--version']) === undefined ? 'ovs-testcontroller not installed' : undefined,
  version: () => (run('ovs-testcontroller', ['--version']) ?? '').split('\n')[0] ?? 'unknown',
  launch: (ctx) => ({
    cmd: 'ovs-testcontroller',
    args: [
      `ptcp:${ctx.ofPort}:127.0.0.1`,
      `--unixctl=${path.join(ctx.workDir, `testcontroller-${ctx.ofPort}.ctl`)}`,
      '-vconsole:warn',
    ],
  }),
};

const OSKEN_APP = 'bench/peers/osken_l2.py';

export const osKen: ControllerSpec = {
  id: 'os-ken',
  label: 'os-ken (Python, L2 learning)',
  unavailable: () =>
    fs.existsSync('/usr/bin/osken-manager') ? undefined : '/usr/bin/osken-manager not installed',
  version: () => `os-ken ${run('dpkg-query', ['-W', '-f=${Version}', 'python3-os-ken']) ?? 'unknown'}`,
  launch: (ctx) => ({
    // The Debian package's entry point runs on /usr/bin/python3, whose site-packages hold os_ken.
    cmd: '/usr/bin/osken-manager',
    args: ['--ofp-tcp-listen-port', String(ctx.ofPort), path.join(ctx.repoRoot, OSKEN_APP)],
  }),
};

const NODE_FLOOR = 'dist/bench/peers/node_floor.js';

/** Not a controller: the per-packet-in cost of Node.js and the kernel alone (see bench/peers/node_floor.ts). */
export const nodeFloor: ControllerSpec = {
  id: 'node-floor',
  label: 'Node.js floor (no logic, reference)',
  reference: true,
  unavailable: ({ repoRoot }) =>
    fs.existsSync(path.join(repoRoot, NODE_FLOOR)) ? undefined : `${NODE_FLOOR} missing (run make build)`,
  version: () => `node ${process.version}`,
  launch: (ctx) => ({
    cmd: process.execPath,
    args: [path.join(ctx.repoRoot, NODE_FLOOR), '--port', String(ctx.ofPort), '--host', '127.0.0.1'],
  }),
};

export const ALL_CONTROLLERS: ControllerSpec[] = [sluice, ovsTestcontroller, osKen, nodeFloor];
