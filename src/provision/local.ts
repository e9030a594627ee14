/**
 * Commands on this machine. As root they run as they are; otherwise through `sudo -n` (no prompt: a local
 * run that needs a password is told to use sudo itself, since a terminal prompt here would hang the steps).
 */
import { spawn } from 'node:child_process';
import type { Command, CommandResult, Executor } from './command.js';

const OUTPUT_LIMIT = 4 * 1024 * 1024;

export function spawnCollect(argv: readonly string[], stdin?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < OUTPUT_LIMIT) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < OUTPUT_LIMIT) stderr += d;
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ code: err.code === 'ENOENT' ? 127 : 126, stdout, stderr: `${argv[0]}: ${err.message}` }),
    );
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });
}

export function localExecutor(): Executor {
  const root = process.getuid?.() === 0;
  return {
    where: root ? 'local' : 'local (sudo)',
    run: (cmd: Command) => spawnCollect(root ? cmd.argv : ['sudo', '-n', '--', ...cmd.argv], cmd.stdin),
    close: async () => {},
  };
}
