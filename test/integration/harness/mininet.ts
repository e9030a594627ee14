/**
 * MininetNet: a Mininet network of OVS userspace switches, driven from TypeScript through
 * scripts/mininet/net.py's line protocol. `stop()` always leaves no bridge, namespace or process behind; a
 * network not stopped by its test is torn down when the test process exits.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { cleanMininetState, MININET_STATE_DIR, rootInterfaces } from './cleanup.js';
import { listBridges } from './ovs.js';
import { MININET_DRIVER, SYSTEM_PYTHON } from './paths.js';
import { isAlive, onExitSync, signalGroup, spawnManaged, type ManagedProcess } from './procs.js';
import { waitFor } from '../../support/wait.js';

export type OpenFlowVersionName = 'OpenFlow10' | 'OpenFlow13' | 'OpenFlow10,OpenFlow13';

/** A custom topology (the driver validates it and names the bad field if it is wrong). */
export interface TopoSpec {
  switches: (string | { name: string; dpid?: string })[];
  hosts: (string | { name: string; ip?: string; mac?: string })[];
  links: ([string, string] | { a: string; b: string })[];
}

export type Topo = `linear,${number}` | `ring,${number}` | `tree,${number},${number}` | TopoSpec;

export interface MininetOptions {
  topo: Topo;
  /** Default OpenFlow13. */
  protocols?: OpenFlowVersionName;
  /** One controller on 127.0.0.1:port ... */
  controllerPort?: number;
  /** ... or several (for failover tests). */
  controllers?: { host?: string; port: number }[];
  /** Wait until every switch is connected to a controller before resolving (OVSDB updates this every few s). */
  waitConnected?: boolean;
  /** Default 60 s: building a network takes about 2 s for 3 switches on 2 cores. */
  readyTimeoutMs?: number;
  /** Keep IPv6 on hosts and switch ports (default off: no unsolicited RS/MLD/DAD packet-ins). */
  ipv6?: boolean;
  /** How long to wait for another Mininet network on this machine to stop (default 10 min). */
  lockWaitMs?: number;
  /** Default timeout for a command (default 60 s). */
  commandTimeoutMs?: number;
  /**
   * A start-up phase without progress for this long is a stall (default 20 s; 0: none): the driver writes every
   * thread's stack, its process tree and `ovs-vsctl show` to its log, the attempt is torn down and the start is
   * retried once. A second stall fails the start.
   */
  stallAfterMs?: number;
  /** The driver's environment (default: this process's); Mininet's node shells inherit it. */
  env?: NodeJS.ProcessEnv;
  /** For the harness's own test: the first ('once') or every ('always') attempt's build hangs as Mininet's did. */
  simulateStall?: 'once' | 'always';
}

export interface HostInfo {
  name: string;
  ip: string;
  mac: string;
  intf: string;
}
export interface SwitchInfo {
  name: string;
  /** 16 hex digits, as Mininet derives it from the name (s3 -> 0000000000000003). */
  dpid: string;
  /** interface name -> OpenFlow port number */
  ports: Record<string, number>;
}
export interface LinkInfo {
  a: string;
  aIntf: string;
  b: string;
  bIntf: string;
}
export interface NetDescription {
  hosts: HostInfo[];
  switches: SwitchInfo[];
  links: LinkInfo[];
  protocols: string;
  controllers: string[];
  pids: number[];
}
export interface PingallResult {
  sent: number;
  received: number;
  lossPct: number;
  pairs: { src: string; dst: string; ok: boolean }[];
}
export interface PingResult {
  src: string;
  dst: string;
  sent: number;
  received: number;
  lossPct: number;
  rttAvgMs: number | null;
  output: string;
}
export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  what: string;
}

export class MininetError extends Error {
  override name = 'MininetError';
}

/** A start attempt whose driver reported no progress in a phase; `log` is its whole log, stack dump included. */
export class MininetStallError extends MininetError {
  override name = 'MininetStallError';
  constructor(
    message: string,
    readonly phase: string,
    readonly log: string,
  ) {
    super(message);
  }
}

/** A long-running command inside a host (iperf3 -s, tcpdump); `kill()` stops it and returns its output. */
export interface BackgroundProcess {
  pid: number;
  kill(): Promise<ExecResult>;
}

export class MininetNet {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private description!: NetDescription;
  private stopping: Promise<void> | undefined;
  private readonly removeExitHook: () => void;
  /** The stalled attempt this network replaced, if its first start attempt stalled. */
  stalledAttempt: MininetStallError | undefined;

  private constructor(
    readonly proc: ManagedProcess,
    private readonly opts: MininetOptions,
  ) {
    this.removeExitHook = onExitSync(() => {
      // The driver tears its network down on SIGTERM (and on stdin EOF when we are gone).
      if (this.proc.running && this.proc.pid) signalGroup(this.proc.pid, 'SIGTERM');
    });
  }

  /**
   * Builds the network and resolves once the driver reports it ready (switches created and pointed at the
   * controllers). An attempt that stalls (see `stallAfterMs`) is torn down and retried once.
   */
  static async start(opts: MininetOptions): Promise<MininetNet> {
    try {
      return await MininetNet.startAttempt(opts, opts.simulateStall !== undefined);
    } catch (e) {
      if (!(e instanceof MininetStallError)) throw e;
      process.stderr.write(`mininet: start stalled in phase "${e.phase}"; retrying once\n${e.message}\n`);
      const net = await MininetNet.startAttempt(opts, opts.simulateStall === 'always');
      net.stalledAttempt = e;
      return net;
    }
  }

  private static async startAttempt(opts: MininetOptions, simulateStall: boolean): Promise<MininetNet> {
    const topo = typeof opts.topo === 'string' ? opts.topo : `json:${JSON.stringify(opts.topo)}`;
    const controllers = opts.controllers ?? [{ port: opts.controllerPort ?? 6653 }];
    const args = [MININET_DRIVER, '--topo', topo, '--protocols', opts.protocols ?? 'OpenFlow13'];
    for (const c of controllers) args.push('--controller', `${c.host ?? '127.0.0.1'}:${c.port}`);
    args.push('--state-dir', MININET_STATE_DIR);
    args.push('--stall-after', String((opts.stallAfterMs ?? 20_000) / 1000));
    if (opts.ipv6) args.push('--ipv6');
    if (simulateStall) args.push('--simulate-stall');
    const proc = spawnManaged({ name: 'mininet', cmd: SYSTEM_PYTHON, args, stdio: 'pipe', env: opts.env });
    const net = new MininetNet(proc, opts);
    try {
      net.description = await net.readyEvent(opts.readyTimeoutMs ?? 60_000, opts.lockWaitMs ?? 600_000);
      if (opts.waitConnected) {
        const r = await net.waitConnected(30);
        if (!r.connected) throw new MininetError(`switches not connected: ${JSON.stringify(r.switches)}`);
      }
    } catch (e) {
      await net.stop();
      throw e;
    }
    return net;
  }

  private readyEvent(timeoutMs: number, lockWaitMs: number): Promise<NetDescription> {
    return new Promise((resolve, reject) => {
      const notReady = (ms: number, why: string) =>
        setTimeout(
          () => reject(new MininetError(`Mininet not ready after ${ms} ms${why}\n${this.proc.logTail(30)}`)),
          ms,
        );
      let timer = notReady(timeoutMs, '');
      const rl = readline.createInterface({ input: this.proc.stdout! });
      rl.on('line', (line) => {
        let msg: {
          id?: number;
          ok?: boolean;
          event?: string;
          result?: unknown;
          error?: string;
          holder?: string;
          phase?: string;
        };
        try {
          msg = JSON.parse(line);
        } catch {
          return; // not ours: the driver keeps stdout for the protocol, but never trust a pipe blindly
        }
        if (msg.event === 'waiting') {
          // Another network (another test file, a demo) holds the machine-wide Mininet lock: wait for it.
          clearTimeout(timer);
          const holder = msg.holder ?? '?';
          process.stderr.write(`mininet: waiting up to ${lockWaitMs} ms for the network of ${holder}\n`);
          timer = notReady(lockWaitMs + timeoutMs, ` (waited for the Mininet lock held by ${holder})`);
        } else if (msg.event === 'stalled') {
          clearTimeout(timer);
          const phase = msg.phase ?? '?';
          const log = fs.readFileSync(this.proc.logFile, 'utf8');
          reject(
            new MininetStallError(
              `Mininet start stalled in phase "${phase}" (log: ${this.proc.logFile})\n${this.proc.logTail(60)}`,
              phase,
              log,
            ),
          );
        } else if (msg.event === 'ready') {
          clearTimeout(timer);
          resolve(msg.result as NetDescription);
        } else if (msg.event === 'error') {
          clearTimeout(timer);
          reject(new MininetError(`Mininet failed to start: ${msg.error}\n${this.proc.logTail(30)}`));
        } else if (typeof msg.id === 'number') {
          const p = this.pending.get(msg.id);
          if (!p) return;
          this.pending.delete(msg.id);
          clearTimeout(p.timer);
          if (msg.ok) p.resolve(msg.result);
          else p.reject(new MininetError(`mininet ${p.what}: ${msg.error}`));
        }
      });
      void this.proc.exited().then((st) => {
        clearTimeout(timer);
        const err = new MininetError(
          `Mininet driver exited (${st.code ?? st.signal})\n${this.proc.logTail(30)}`,
        );
        reject(err);
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(err);
        }
        this.pending.clear();
      });
    });
  }

  get hosts(): HostInfo[] {
    return this.description.hosts;
  }
  get switches(): SwitchInfo[] {
    return this.description.switches;
  }
  get links(): LinkInfo[] {
    return this.description.links;
  }
  /** Host shells, switch shells and background commands of the driver (all gone after stop()). */
  get pids(): number[] {
    return this.description.pids;
  }

  host(name: string): HostInfo {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new MininetError(`no host ${name}; hosts: ${this.hosts.map((x) => x.name).join(', ')}`);
    return h;
  }

  /** Sends one command of the driver's protocol and resolves with its result. */
  request<T>(cmd: Record<string, unknown> & { cmd: string }, timeoutMs?: number): Promise<T> {
    if (!this.proc.running)
      return Promise.reject(new MininetError(`mininet ${cmd.cmd}: driver is not running`));
    const id = this.nextId++;
    const limit = timeoutMs ?? this.opts.commandTimeoutMs ?? 60_000;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new MininetError(`mininet ${cmd.cmd}: no answer within ${limit} ms\n${this.proc.logTail(30)}`),
        );
      }, limit);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, what: cmd.cmd });
      this.proc.stdin!.write(JSON.stringify({ ...cmd, id }) + '\n');
    });
  }

  /** One ping per ordered host pair, all at once; `timeoutSec` per ping (default 1). */
  pingall(opts: { timeoutSec?: number } = {}): Promise<PingallResult> {
    return this.request({ cmd: 'pingall', timeout: opts.timeoutSec ?? 1 });
  }

  /**
   * Repeats pingall until loss <= maxLossPct (a reactive controller drops the first packets while it learns).
   * Resolves with the first good result; throws with the last result if `timeoutMs` passes.
   */
  async pingallUntil(
    maxLossPct: number,
    timeoutMs: number,
    onAttempt?: (r: PingallResult, attempt: number) => void,
  ): Promise<PingallResult> {
    let last: PingallResult | undefined;
    let attempt = 0;
    try {
      return await waitFor(
        async () => {
          last = await this.pingall();
          onAttempt?.(last, ++attempt);
          return last.lossPct <= maxLossPct ? last : undefined;
        },
        { what: `pingall loss <= ${maxLossPct}%`, timeoutMs, intervalMs: 200 },
      );
    } catch (e) {
      const failed = last?.pairs.filter((p) => !p.ok).map((p) => `${p.src}->${p.dst}`) ?? [];
      throw new MininetError(
        `${(e as Error).message}; last loss ${last?.lossPct ?? '?'}%, failing pairs: ${failed.join(' ')}`,
      );
    }
  }

  ping(
    src: string,
    dst: string,
    opts: { count?: number; intervalSec?: number; timeoutSec?: number } = {},
  ): Promise<PingResult> {
    const count = opts.count ?? 1;
    const interval = opts.intervalSec ?? 0.2;
    return this.request(
      { cmd: 'ping', src, dst, count, interval, timeout: opts.timeoutSec ?? 1 },
      (count * interval + (opts.timeoutSec ?? 1)) * 1000 + 30_000,
    );
  }

  /** Runs a command inside a host's (or switch's) namespace and waits for it. */
  exec(host: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return this.request({ cmd: 'exec', host, args, timeoutMs }, timeoutMs + 30_000);
  }

  /** Starts a long-running command inside a host; killed on stop() if still running. */
  async bg(host: string, args: string[]): Promise<BackgroundProcess> {
    const { pid } = await this.request<{ pid: number }>({ cmd: 'bg', host, args });
    return { pid, kill: () => this.request<ExecResult>({ cmd: 'kill', pid }) };
  }

  /** Sets both ends of every a<->b link down or up. */
  async link(a: string, b: string, state: 'up' | 'down'): Promise<void> {
    await this.request({ cmd: 'link', a, b, state });
  }

  /** Deletes the switch's bridge (its ports stay); `startSwitch` re-creates it and it reconnects. */
  async stopSwitch(name: string): Promise<void> {
    await this.request({ cmd: 'switch', name, action: 'stop' });
  }
  async startSwitch(name: string): Promise<void> {
    await this.request({ cmd: 'switch', name, action: 'start' });
  }

  /** Re-reads hosts, switches, links (ports change after stop/startSwitch). */
  async refresh(): Promise<NetDescription> {
    this.description = await this.request<NetDescription>({ cmd: 'hosts' });
    return this.description;
  }

  /** Polls OVSDB's is_connected for every switch (it is refreshed every few seconds, so this is coarse). */
  waitConnected(timeoutSec = 10): Promise<{ connected: boolean; switches: Record<string, boolean> }> {
    return this.request({ cmd: 'waitConnected', timeout: timeoutSec }, (timeoutSec + 30) * 1000);
  }

  /**
   * Tears the network down and verifies it is gone: no driver, no bridge, no switch interface, no host process.
   * Safe to call twice and after a failure; falls back to killing and removing things itself.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const pid = this.proc.pid;
    const pids = this.description?.pids ?? [];
    let left: string[] | undefined;
    if (this.proc.running && !this.description) {
      // Not ready (still building, or waiting for the lock, so not reading stdin): SIGTERM tears down what exists.
      await this.proc.stop(15_000);
    } else if (this.proc.running) {
      // The driver verifies its own teardown while it still holds the machine lock (names are reused after).
      left = await this.request<{ left: string[] }>({ cmd: 'stop' }, 60_000).then(
        (r) => r.left,
        () => undefined,
      );
      await this.proc.waitExit(10_000).catch(() => this.proc.stop(5000));
    }
    this.removeExitHook();
    if (left === undefined) {
      // No clean stop (driver crashed or hung): remove what it recorded ourselves.
      const stateFile = `${MININET_STATE_DIR}/${pid}.json`;
      if (pid !== undefined && fs.existsSync(stateFile)) await cleanMininetState(stateFile);
      for (const p of pids) if (isAlive(p)) signalGroup(p, 'SIGKILL');
      left = await this.remainsAfterCrash();
    }
    await waitFor(() => pids.every((p) => !isAlive(p)), {
      what: 'the Mininet host and switch processes to exit',
      timeoutMs: 10_000,
      detail: () => `still alive: ${pids.filter(isAlive).join(' ')}`,
    });
    if (left.length) throw new MininetError(`the Mininet network left behind: ${left.join(', ')}`);
  }

  /** Bridges and switch interfaces of ours still present (only meaningful while no other network runs). */
  private async remainsAfterCrash(): Promise<string[]> {
    const bridges = new Set(await listBridges());
    const intfs = new Set(await rootInterfaces());
    const switches = this.description?.switches.map((s) => s.name) ?? [];
    const intfNames = (this.description?.links ?? []).flatMap((l) => [l.aIntf, l.bIntf]);
    return [
      ...switches.filter((s) => bridges.has(s)).map((s) => `bridge ${s}`),
      ...intfNames.filter((i) => intfs.has(i)).map((i) => `interface ${i}`),
    ];
  }
}

/** `ping` output's summary: "N packets transmitted, M received". */
export function pingSummary(output: string): { sent: number; received: number; lossPct: number } {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(output);
  if (!m) throw new Error(`no ping summary in:\n${output}`);
  const sent = Number(m[1]);
  const received = Number(m[2]);
  return { sent, received, lossPct: sent ? (100 * (sent - received)) / sent : 100 };
}
