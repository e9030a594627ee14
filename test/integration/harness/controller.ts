/**
 * startController: runs an OpenFlow controller for a test (Sluice by default, or any command such as
 * ovs-testcontroller), waits until its OpenFlow port accepts connections and its API answers (over HTTPS with
 * a client certificate when asked), and can stop, kill -9 and restart it on the same ports and data directory.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SluiceClient, type TlsOptions } from '../../../src/client/node.js';
import type { TestPki } from '../../support/pki.js';
import { REPO_ROOT, SLUICE_CLI } from './paths.js';
import { run, type RunResult } from './exec.js';
import { canConnect, freePort } from './ports.js';
import { DATA_DIR, RUN_DIR, spawnManaged, type ManagedProcess } from './procs.js';
import { waitFor } from '../../support/wait.js';

export interface ControllerPorts {
  openflowPort: number;
  /** Undefined when the command serves no API. */
  apiPort: number | undefined;
  dataDir: string;
}

/**
 * An API served over HTTPS, as PEM file paths: what the controller serves and what the harness's readiness
 * check and sluiceCli present to it.
 */
export interface ApiTls {
  /** `--api-tls-cert` and `--api-tls-key`: the API's certificate (valid for 127.0.0.1) and its key. */
  serverCert: string;
  serverKey: string;
  /** `--api-tls-ca`: the CA client certificates must chain to. Left out, the API asks for no certificate. */
  clientCa?: string;
  /** The CA that signed serverCert: the only one the harness trusts. */
  ca: string;
  /** The client certificate and key the harness presents (required with clientCa). */
  clientCert?: string;
  clientKey?: string;
}

/** The test PKI's trusted pair: the API requires client certificates of its CA, the harness presents the PKI's. */
export function apiTlsFromPki(pki: TestPki): ApiTls {
  return {
    serverCert: pki.serverCert,
    serverKey: pki.serverKey,
    clientCa: pki.caCert,
    ca: pki.caCert,
    clientCert: pki.clientCert,
    clientKey: pki.clientKey,
  };
}

/** What a command line is made from: the ports, data directory and, for an HTTPS API, its TLS files. */
export interface ControllerLaunch extends ControllerPorts {
  apiTls?: ApiTls;
}

/** How to run a controller: the command line as a function of the ports, data directory and API TLS files. */
export interface ControllerCommand {
  name: string;
  cmd: string;
  args(p: ControllerLaunch): string[];
  /** Whether it serves Sluice's HTTP API (then readiness includes GET /wm/core/health/json). */
  hasApi: boolean;
}

/**
 * `node dist/src/cli/main.js controller --openflow-port P --api-port Q --data-dir D [--api-tls-cert C
 * --api-tls-key K [--api-tls-ca A]] [extra...]`
 */
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
      ...(p.apiTls ? apiTlsArgs(p.apiTls) : []),
      ...extraArgs,
    ],
    hasApi: true,
  };
}

/**
 * `sluice controller --store etcd --etcd-endpoints E --etcd-prefix P [extra...]`: like sluiceCommand but without
 * --data-dir, which --store etcd refuses (state is in etcd).
 */
export function sluiceEtcdCommand(
  endpoint: string,
  prefix: string,
  extraArgs: string[] = [],
): ControllerCommand {
  return {
    name: `sluice-controller-etcd${prefix.replace(/\//g, '-')}`,
    cmd: process.execPath,
    args: (p) => [
      SLUICE_CLI,
      'controller',
      ...['--openflow-port', String(p.openflowPort), '--api-port', String(p.apiPort)],
      ...['--store', 'etcd', '--etcd-endpoints', endpoint, '--etcd-prefix', prefix],
      ...['--log-format', 'json'],
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
  /** Serve the API over HTTPS (a command with an API only; sluiceCommand passes the --api-tls-* flags). */
  apiTls?: ApiTls;
  /** Default 30 s. */
  readyTimeoutMs?: number;
}

export interface RunningController extends ControllerLaunch {
  /** http://127.0.0.1:<apiPort> (https:// with apiTls) when there is an API. */
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

type CliTarget = Pick<RunningController, 'apiUrl' | 'apiTls'>;

/**
 * Runs the `sluice` CLI against a controller's API (as SLUICE_API, with apiTls also SLUICE_API_CACERT/CERT/KEY);
 * never throws for a non-zero exit. `input` goes to its stdin (passwords for --password-stdin).
 */
export function sluiceCli(
  ctl: CliTarget,
  args: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const tls = ctl.apiTls;
  const tlsEnv = tls
    ? {
        SLUICE_API_CACERT: tls.ca,
        ...(tls.clientCert ? { SLUICE_API_CERT: tls.clientCert } : {}),
        ...(tls.clientKey ? { SLUICE_API_KEY: tls.clientKey } : {}),
      }
    : {};
  return run(process.execPath, [SLUICE_CLI, ...args], {
    env: { ...process.env, SLUICE_API: ctl.apiUrl, ...tlsEnv },
    ...opts,
  });
}

/** `sluice <args> --json` against a controller's API; asserts exit 0 and returns the parsed output. */
export async function sluiceCliJson<T>(ctl: CliTarget, args: string[]): Promise<T> {
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
  if (opts.apiTls && !command.hasApi) throw new Error(`apiTls: ${command.name} serves no API`);
  // Read before anything starts: a missing file or bad PEM is reported by the option that names it.
  const clientTls = opts.apiTls ? readClientTls(opts.apiTls) : undefined;
  const openflowPort = opts.openflowPort ?? (await freePort());
  // A controller with an API always gets a port of its own: left out, Sluice would bind its default 8080.
  const apiPort = command.hasApi ? (opts.apiPort ?? (await freePort())) : (opts.apiPort ?? undefined);
  const tempData = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? newDataDir();
  const launch: ControllerLaunch = {
    openflowPort,
    apiPort,
    dataDir,
    ...(opts.apiTls ? { apiTls: opts.apiTls } : {}),
  };
  const proc = spawnManaged({
    name: command.name,
    cmd: command.cmd,
    args: command.args(launch),
    cwd: REPO_ROOT,
    ...(opts.env ? { env: opts.env } : {}),
  });
  const scheme = opts.apiTls ? 'https' : 'http';
  const apiUrl = apiPort !== undefined && command.hasApi ? `${scheme}://127.0.0.1:${apiPort}` : undefined;

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
    if (!apiUrl) return;
    // The SDK client carries the CA and client certificate, and its errors say which side's certificate failed.
    const client = new SluiceClient({
      baseUrl: apiUrl,
      timeoutMs: 1000,
      ...(clientTls ? { tls: clientTls } : {}),
    });
    try {
      await waitFor(
        async () => {
          if (!proc.running) throw new Error(`${command.name} exited`);
          await client.floodlight.health(); // throws unless 200
          return true;
        },
        {
          what: `GET ${apiUrl}/wm/core/health/json to answer 200${clientTls ? ' over TLS' : ''}`,
          timeoutMs: Math.max(1, deadline - Date.now()),
          detail,
        },
      );
    } finally {
      await client.close();
    }
  };

  const running: RunningController = {
    ...launch,
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

function apiTlsArgs(tls: ApiTls): string[] {
  return [
    '--api-tls-cert',
    tls.serverCert,
    '--api-tls-key',
    tls.serverKey,
    ...(tls.clientCa !== undefined ? ['--api-tls-ca', tls.clientCa] : []),
  ];
}

/** The PEM contents the harness presents; a client certificate is required when the API asks for one. */
function readClientTls(tls: ApiTls): TlsOptions {
  if (tls.clientCa !== undefined && (tls.clientCert === undefined || tls.clientKey === undefined)) {
    throw new Error(
      'apiTls.clientCert and apiTls.clientKey: required with apiTls.clientCa (the API asks for one)',
    );
  }
  const read = (field: string, file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`apiTls.${field}: cannot read ${file}: ${(e as Error).message}`);
    }
  };
  return {
    ca: read('ca', tls.ca),
    ...(tls.clientCert !== undefined ? { cert: read('clientCert', tls.clientCert) } : {}),
    ...(tls.clientKey !== undefined ? { key: read('clientKey', tls.clientKey) } : {}),
  };
}

/** RUN_DIR/data/<our pid>-XXXXXX: the pid lets cleanup remove the directories of crashed test processes. */
function newDataDir(): string {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  return fs.mkdtempSync(path.join(DATA_DIR, `${process.pid}-`));
}

const dummyPorts: ControllerPorts = { openflowPort: 0, apiPort: undefined, dataDir: '' };

/**
 * Waits until the controller's API lists exactly `n` links, each seen in both directions. A link seen one way
 * already counts in /wm/topology/links/json (as "unidirectional"), but routes need both ways: until then
 * forwarding floods through the controller, so a test that routes, or stops the controller, waits for this.
 */
export async function waitForLinks(
  ctl: Pick<RunningController, 'apiUrl' | 'logTail'>,
  n: number,
  timeoutMs = 30_000,
): Promise<void> {
  const links = async () => {
    const res = await fetch(`${ctl.apiUrl}/wm/topology/links/json`, { signal: AbortSignal.timeout(5000) });
    return (await res.json()) as { direction?: string }[];
  };
  await waitFor(
    async () => {
      const all = await links();
      return all.length === n && all.every((l) => l.direction === 'bidirectional');
    },
    {
      what: `${n} bidirectional link(s) in /wm/topology/links/json`,
      timeoutMs,
      detail: async () => {
        const now = await links().catch((e: Error) => e.message);
        return `links: ${JSON.stringify(now)}\ncontroller log:\n${ctl.logTail(40)}`;
      },
    },
  );
}
