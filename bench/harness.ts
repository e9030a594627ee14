/**
 * Process plumbing for the bench: start controllers in their own process groups, wait until they accept,
 * read their memory, and stop every one of them, also on failure and on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export interface Started {
  name: string;
  child: ChildProcess;
  pid: number;
  logFile: string;
  exited: boolean;
  exitCode: number | null;
}

/** Every process the bench started and has not yet seen exit. */
const live = new Set<Started>();

export function startProcess(
  name: string,
  cmd: string,
  args: string[],
  opts: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Started {
  const out = fs.openSync(opts.logFile, 'w');
  // detached: its own process group, so stopping it also stops whatever it forked.
  const child = spawn(cmd, args, {
    stdio: ['ignore', out, out],
    detached: true,
    env: opts.env ?? process.env,
    cwd: opts.cwd,
  });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
  const started: Started = {
    name,
    child,
    pid: child.pid,
    logFile: opts.logFile,
    exited: false,
    exitCode: null,
  };
  live.add(started);
  child.on('exit', (code) => {
    started.exited = true;
    started.exitCode = code;
    live.delete(started);
  });
  child.on('error', () => {
    started.exited = true;
    live.delete(started);
  });
  return started;
}

function signalGroup(p: Started, signal: NodeJS.Signals): void {
  try {
    process.kill(-p.pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the process exited. */
export async function stopProcess(p: Started, graceMs = 3000): Promise<void> {
  if (p.exited) return;
  const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
  signalGroup(p, 'SIGTERM');
  const t = setTimeout(() => signalGroup(p, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => stopProcess(p)));
}

/** Synchronous last resort for process exit paths where no promise can run anymore. */
function killAllNow(): void {
  for (const p of live) signalGroup(p, 'SIGKILL');
}

let handlersInstalled = false;
/** Ctrl-C / SIGTERM / crash: stop every started process, then exit. */
export function installCleanupHandlers(log: (line: string) => void): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      log(`bench: ${signal}, stopping ${live.size} started process(es)`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  process.on('exit', killAllNow);
}

/** A TCP port that was free a moment ago (the usual race is acceptable for a bench). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function tryConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Polls until `host:port` accepts a TCP connection; fails early if the process died. */
export async function waitForPort(p: Started, host: string, port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.exited)
      throw new Error(`${p.name} exited (code ${p.exitCode}) before listening:\n${tail(p.logFile)}`);
    if (await tryConnect(host, port)) return;
    await delay(100);
  }
  throw new Error(`${p.name}: port ${port} not accepting after ${timeoutMs} ms:\n${tail(p.logFile)}`);
}

/** Polls `check` every `everyMs` until it returns a value other than undefined, or throws at the deadline. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await delay(everyMs);
  }
}

export function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Resident and peak resident memory of a process in bytes (Linux /proc). */
export function readRss(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status: no ${field} line`);
    return Number(m[1]) * 1024;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Reads integer flag `name` from parseArgs values: `fallback` when absent, an error naming the flag when bad. */
export function intFlag(values: Record<string, unknown>, name: string, fallback: number, min = 1): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name}: expected an integer >= ${min}, got "${raw}"`);
  return n;
}

/** CPU time (user + system) a process has used, in seconds, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/**
 * Waits until the process uses less than `maxShare` of one core over `windowMs`, so that one measurement
 * does not pay for the backlog of the previous one. Returns false at the deadline.
 */
export async function waitCpuIdle(
  pid: number,
  maxShare = 0.1,
  windowMs = 300,
  timeoutMs = 20_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const c0 = cpuSeconds(pid);
    await delay(windowMs);
    if ((cpuSeconds(pid) - c0) / (windowMs / 1000) < maxShare) return true;
  }
  return false;
}
