/**
 * Processes the integration tests start: each runs in its own process group with its output in a log file, is
 * registered in memory (killed when this Node process exits) and on disk (RUN_DIR/procs/<pid>.json, so a cleaner
 * can kill it after this process died with SIGKILL). Only processes we started are ever killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '../../support/wait.js';

/** Everything the harness writes (logs, pid records, Mininet state) lives under here. */
export const RUN_DIR = process.env.SLUICE_IT_DIR ?? '/tmp/sluice-it';
export const PROCS_DIR = path.join(RUN_DIR, 'procs');
export const LOGS_DIR = path.join(RUN_DIR, 'logs');
/** Temporary controller data directories, named <owner pid>-XXXXXX. */
export const DATA_DIR = path.join(RUN_DIR, 'data');

/** The fields of /proc/PID/stat the harness needs, or undefined when there is no such process. */
export function procStat(pid: number): { state: string; ppid: number; startTime: string } | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: count fields after its closing ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: f[0], ppid: Number(f[1]), startTime: f[19] };
}

/** The kernel's start time of a process (field 22 of /proc/PID/stat): with the pid it names a process uniquely. */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.startTime;
}

/** Running (a zombie has exited; only its parent's wait() is missing). */
export function isAlive(pid: number): boolean {
  const st = procStat(pid);
  return st !== undefined && st.state !== 'Z';
}

/**
 * Pids of running processes with `arg` as one of their command-line arguments (e.g. the Mininet driver's path:
 * drivers of any run on this machine, including ones still waiting for the lock or building, with no state file yet).
 */
export function processesWithArg(arg: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    if (cmdline.split('\0').includes(arg) && isAlive(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}

/** Signals a process group (or the single process when it is not a group leader); ignores ones already gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
      return;
    } catch {
      // ESRCH: no such group (or process); try the next form
    }
  }
}

export interface ProcRecord {
  pid: number;
  name: string;
  cmd: string[];
  startTime: string;
  logFile: string;
}

function recordPath(pid: number): string {
  return path.join(PROCS_DIR, `${pid}.json`);
}

export interface SpawnOptions {
  /** Short name, used in log file names and error messages. */
  name: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Log file for stdout+stderr (default RUN_DIR/logs/<name>-<time>.log). Appended to on restart. */
  logFile?: string;
  /** 'pipe' keeps stdin/stdout as pipes for a protocol (stderr still goes to the log). */
  stdio?: 'log' | 'pipe';
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

let logCounter = 0;
const live = new Set<ManagedProcess>();
const everStarted = new Set<ManagedProcess>();

export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  private child!: ChildProcess;
  private exitPromise!: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;

  constructor(private readonly opts: SpawnOptions) {
    this.name = opts.name;
    fs.mkdirSync(LOGS_DIR, { recursive: true });
    fs.mkdirSync(PROCS_DIR, { recursive: true });
    this.logFile =
      opts.logFile ??
      path.join(
        LOGS_DIR,
        `${opts.name}-${new Date().toISOString().replace(/[:.]/g, '')}-${process.pid}-${++logCounter}.log`,
      );
    installExitHooks();
    everStarted.add(this);
    this.spawn();
  }

  private spawn(): void {
    const fd = fs.openSync(this.logFile, 'a');
    fs.writeSync(
      fd,
      `--- ${new Date().toISOString()} start: ${[this.opts.cmd, ...this.opts.args].join(' ')}\n`,
    );
    const stdio: ('pipe' | 'ignore' | number)[] =
      this.opts.stdio === 'pipe' ? ['pipe', 'pipe', fd] : ['ignore', fd, fd];
    // detached: a process group of its own, so a stop reaches its children and a terminal's Ctrl-C does not.
    const child = spawn(this.opts.cmd, this.opts.args, {
      detached: true,
      stdio,
      env: this.opts.env ?? process.env,
      ...(this.opts.cwd ? { cwd: this.opts.cwd } : {}),
    });
    fs.closeSync(fd);
    // Writing to a process that just died fails with EPIPE; the exit handling reports that death, not a crash.
    child.stdin?.on('error', () => undefined);
    this.child = child;
    this.exitStatus = undefined;
    this.exitPromise = new Promise<ExitStatus>((resolve) => {
      child.once('error', (err) => {
        fs.appendFileSync(this.logFile, `--- spawn error: ${err.message}\n`);
        this.exitStatus = { code: 127, signal: null };
        resolve(this.exitStatus);
      });
      child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    }).then((status) => {
      live.delete(this);
      if (child.pid) fs.rmSync(recordPath(child.pid), { force: true });
      return status;
    });
    if (child.pid !== undefined) {
      live.add(this);
      const rec: ProcRecord = {
        pid: child.pid,
        name: this.name,
        cmd: [this.opts.cmd, ...this.opts.args],
        startTime: processStartTime(child.pid) ?? '',
        logFile: this.logFile,
      };
      fs.writeFileSync(recordPath(child.pid), JSON.stringify(rec));
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
  get running(): boolean {
    return this.exitStatus === undefined && this.child.pid !== undefined;
  }
  /** The exit status once the process has exited. */
  get status(): ExitStatus | undefined {
    return this.exitStatus;
  }
  get stdin(): NodeJS.WritableStream | null {
    return this.child.stdin;
  }
  get stdout(): NodeJS.ReadableStream | null {
    return this.child.stdout;
  }
  exited(): Promise<ExitStatus> {
    return this.exitPromise;
  }

  /** SIGTERM to the group, then SIGKILL after `graceMs`. Resolves once the process has exited. */
  async stop(graceMs = 5000): Promise<ExitStatus> {
    if (!this.running) return this.exitPromise;
    signalGroup(this.child.pid!, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(this.child.pid!, 'SIGKILL'), graceMs);
    const status = await this.exitPromise;
    clearTimeout(timer);
    signalGroup(this.child.pid!, 'SIGKILL'); // children that ignored SIGTERM
    return status;
  }

  /** kill -9 of the whole group (a crash, as far as peers can tell). */
  async kill(): Promise<ExitStatus> {
    if (this.running) signalGroup(this.child.pid!, 'SIGKILL');
    return this.exitPromise;
  }

  /** Start the same command again (same log file, appended). Stops the old one first if it runs. */
  async restart(graceMs = 5000): Promise<void> {
    await this.stop(graceMs);
    this.spawn();
  }

  /** The last `lines` lines of the log. */
  logTail(lines = 60): string {
    try {
      const text = fs.readFileSync(this.logFile, 'utf8');
      return text
        .split('\n')
        .slice(-lines - 1)
        .join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Waits until the process exited, with an error naming it if it does not. */
  async waitExit(timeoutMs = 10_000): Promise<ExitStatus> {
    return waitFor(() => this.exitStatus, { what: `${this.name} (pid ${this.pid}) to exit`, timeoutMs });
  }
}

export function spawnManaged(opts: SpawnOptions): ManagedProcess {
  return new ManagedProcess(opts);
}

/** Processes started by this Node process and still running. */
export function liveProcesses(): ManagedProcess[] {
  return [...live];
}

const exitCallbacks = new Set<() => void>();
/** Synchronous last-chance cleanups run on process exit (e.g. telling a Mininet driver to tear down). */
export function onExitSync(cb: () => void): () => void {
  installExitHooks();
  exitCallbacks.add(cb);
  return () => exitCallbacks.delete(cb);
}

let hooksInstalled = false;
let signalCleanup = true;
/**
 * Whether the harness turns SIGINT/SIGTERM/SIGHUP into "kill what we started, then exit". On by default; a
 * program with its own graceful shutdown (the demo) turns it off and stops things itself.
 */
export function setSignalCleanup(on: boolean): void {
  signalCleanup = on;
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', (code) => {
    for (const cb of exitCallbacks) {
      try {
        cb();
      } catch {
        // best effort: the process is exiting
      }
    }
    for (const p of live) if (p.pid) signalGroup(p.pid, 'SIGKILL');
    if (code !== 0 || (process.exitCode !== undefined && process.exitCode !== 0)) printLogs();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      if (!signalCleanup) return;
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** On a failed run, the tail of every log we made is the first thing anyone needs. */
function printLogs(): void {
  for (const p of everStarted) {
    process.stderr.write(`\n===== log of ${p.name} (${p.logFile}) =====\n${p.logTail(40)}\n`);
  }
}
