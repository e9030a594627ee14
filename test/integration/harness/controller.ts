/**
 * startController: runs an OpenFlow controller for a test (Sluice by default, or any command such as
 * ovs-testcontroller), waits until its OpenFlow port accepts connections and its API answers, and can stop,
 * kill -9 and restart it on the same ports and data directory.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, SLUICE_CLI } from './paths.js';
import { run, type RunResult } from './exec.js';
import { canConnect, freePort } from './ports.js';
import { DATA_DIR, RUN_DIR, spawnManaged, type ManagedProcess } from './procs.js';
import { waitFor } from './wait.js';

export interface ControllerPorts {
  openflowPort: number;
  /** Undefined when the command serves no API. */
  apiPort: number | undefined;
  dataDir: string;
}

/** How to run a controller: the command line as a function of the ports and data directory. */
export interface ControllerCommand {
  name: string;
  cmd: string;
  args(p: ControllerPorts): string[];
  /** Whether it serves Sluice's HTTP API (then readiness includes GET /wm/core/health/json). */
  hasApi: boolean;
}

/** `node dist/src/cli/main.js controller --openflow-port P --api-port Q --data-dir D [extra...]` */
export function sluiceCommand(extraArgs: string[] = []): ControllerCommand {
  return {
    name: 'sluice-controller',
    cmd: process.execPath,
    args: (p) => [
      SLUICE_CLI,
      'controller',
      '--openflow-port',
      String(p.openflowPort),
      ...(p.apiPort !== undefined ? ['--api-port', String(p.apiPort)] : []),
      '--data-dir',
      p.dataDir,
      ...extraArgs,
    ],
    hasApi: true,
  };
}

/** Open vSwitch's C L2 learning switch controller (all OpenFlow versions), bound to loopback. */
export function ovsTestControllerCommand(extraArgs: string[] = []): ControllerCommand {
  return {
    name: 'ovs-testcontroller',
    cmd: 'ovs-testcontroller',
    // Its control socket goes under RUN_DIR: a kill -9 would otherwise leave a stale one in OVS's run dir.
    args: (p) => [
      `--unixctl=${path.join(RUN_DIR, `ovs-testcontroller-${p.openflowPort}.ctl`)}`,
      ...extraArgs,
      `ptcp:${p.openflowPort}:127.0.0.1`,
    ],
    hasApi: false,
  };
}

export interface StartControllerOptions {
  /** Default: sluiceCommand(). */
  command?: ControllerCommand;
  /** Default: a free port. */
  openflowPort?: number;
  /** Default: a free port when the command has an API (it always gets one); none otherwise. */
  apiPort?: number;
  /** Default: a fresh temporary directory (removed by stop()). */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Default 30 s. */
  readyTimeoutMs?: number;
}

export interface RunningController extends ControllerPorts {
  /** http://127.0.0.1:<apiPort> when there is an API. */
  apiUrl: string | undefined;
  proc: ManagedProcess;
  /** SIGTERM (then SIGKILL after graceMs); removes a temporary data dir unless keepData. */
  stop(opts?: { graceMs?: number; keepData?: boolean }): Promise<void>;
  /** kill -9 (a crash); the data dir stays for a restart. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and data dir and waits until it is ready. */
  restart(opts?: { kill?: boolean }): Promise<void>;
  /** Waits until the OpenFlow port (and API health) answer. */
  waitReady(timeoutMs?: number): Promise<void>;
  logTail(lines?: number): string;
}

/** Runs the `sluice` CLI against a controller's API (as SLUICE_API); never throws for a non-zero exit. */
export function sluiceCli(ctl: Pick<RunningController, 'apiUrl'>, args: string[]): Promise<RunResult> {
  return run(process.execPath, [SLUICE_CLI, ...args], { env: { ...process.env, SLUICE_API: ctl.apiUrl } });
}

/** `sluice <args> --json` against a controller's API; asserts exit 0 and returns the parsed output. */
export async function sluiceCliJson<T>(ctl: Pick<RunningController, 'apiUrl'>, args: string[]): Promise<T> {
  const r = await sluiceCli(ctl, [...args, '--json']);
  assert.equal(r.code, 0, `sluice ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export async function startController(opts: StartControllerOptions = {}): Promise<RunningController> {
  const command = opts.command ?? sluiceCommand();
  if (
    command.cmd === process.execPath &&
    command.args(dummyPorts)[0] === SLUICE_CLI &&
    !fs.existsSync(SLUICE_CLI)
  ) {
    throw new Error(`${SLUICE_CLI} does not exist: run \`npx tsc -p tsconfig.json\` (make build) first`);
  }
  const openflowPort = opts.openflowPort ?? (await freePort());
  // A controller with an API always gets a port of its own: left out, Sluice would bind its default 8080.
  const apiPort = command.hasApi ? (opts.apiPort ?? (await freePort())) : (opts.apiPort ?? undefined);
  const tempData = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? newDataDir();
  const ports: ControllerPorts = { openflowPort, apiPort, dataDir };
  const proc = spawnManaged({
    name: command.name,
    cmd: command.cmd,
    args: command.args(ports),
    cwd: REPO_ROOT,
    ...(opts.env ? { env: opts.env } : {}),
  });
  const apiUrl = apiPort !== undefined && command.hasApi ? `http://127.0.0.1:${apiPort}` : undefined;

  const waitReady = async (timeoutMs = opts.readyTimeoutMs ?? 30_000): Promise<void> => {
    const detail = () =>
      `${proc.running ? 'still running' : `exited ${JSON.stringify(proc.status)}`}; log:\n${proc.logTail()}`;
    const deadline = Date.now() + timeoutMs;
    await waitFor(
      async () => {
        if (!proc.running) throw new Error(`${command.name} exited`);
        return (await canConnect(openflowPort)) || undefined;
      },
      { what: `${command.name} OpenFlow port ${openflowPort} to accept connections`, timeoutMs, detail },
    );
    if (apiUrl) {
      await waitFor(
        async () => {
          if (!proc.running) throw new Error(`${command.name} exited`);
          const res = await fetch(`${apiUrl}/wm/core/health/json`, { signal: AbortSignal.timeout(1000) });
          return res.ok || undefined;
        },
        {
          what: `GET ${apiUrl}/wm/core/health/json to answer 200`,
          timeoutMs: Math.max(1, deadline - Date.now()),
          detail,
        },
      );
    }
  };

  const running: RunningController = {
    ...ports,
    apiUrl,
    proc,
    waitReady,
    logTail: (lines) => proc.logTail(lines),
    async stop(o = {}) {
      await proc.stop(o.graceMs ?? 5000);
      if (tempData && !o.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
    async kill() {
      await proc.kill();
    },
    async restart(o = {}) {
      if (o.kill) await proc.kill();
      await proc.restart();
      await waitReady();
    },
  };
  try {
    await waitReady();
  } catch (e) {
    await running.stop();
    throw e;
  }
  return running;
}

/** RUN_DIR/data/<our pid>-XXXXXX: the pid lets cleanup remove the directories of crashed test processes. */
function newDataDir(): string {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  return fs.mkdtempSync(path.join(DATA_DIR, `${process.pid}-`));
}

const dummyPorts: ControllerPorts = { openflowPort: 0, apiPort: undefined, dataDir: '' };
