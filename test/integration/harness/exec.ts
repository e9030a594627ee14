import { execFile } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws for a non-zero exit (the caller decides what failure means). */
export function run(
  cmd: string,
  args: string[],
  opts: {
    timeoutMs?: number;
    input?: string;
    env?: NodeJS.ProcessEnv;
    /** Sent on timeout (default SIGTERM; `docker run` forwards SIGTERM to its container: use SIGKILL). */
    killSignal?: NodeJS.Signals;
  } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      {
        timeout: opts.timeoutMs ?? 30_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
        env: opts.env,
        killSignal: opts.killSignal,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr || (err && code !== 0 && !stderr ? err.message : stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Runs a command and returns its stdout; throws with the command line and its stderr on a non-zero exit. */
export async function runOk(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${[cmd, ...args].join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}
