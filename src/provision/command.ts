/**
 * Commands run on a node, as argv (never a shell line put together from parts): the local executor spawns
 * argv directly and the SSH executor quotes each word, so a node name or path can hold nothing that the
 * node's shell would read as syntax.
 */

export interface Command {
  argv: readonly string[];
  /** Fed to the command's standard input (a certificate to write). */
  stdin?: string;
  /** The command may fail: its exit status is the answer (br-exists, test -s). */
  probe?: boolean;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where commands run: this machine or a node over SSH; privileged (root or sudo) in both. */
export interface Executor {
  /** What the runner prints: `local` or `ssh labadmin@10.0.0.2:22 (sudo)`. */
  readonly where: string;
  run(cmd: Command): Promise<CommandResult>;
  close(): Promise<void>;
}

const SAFE_WORD = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** One word for a POSIX shell: as is when it holds nothing special, else single-quoted. */
export function shellQuote(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** A command that failed where it had to succeed; the runner shows its output under the step. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    readonly command: Command,
    readonly result: CommandResult,
    readonly where: string,
  ) {
    super(
      `${shellLine(command.argv)} exited with status ${result.code}` +
        (result.stderr.trim() ? `: ${lastLines(result.stderr, 3)}` : ''),
    );
  }
}

export function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** Runs `cmd`; a non-zero status throws CommandError unless the command is a probe. */
export async function runChecked(ex: Executor, cmd: Command): Promise<CommandResult> {
  const result = await ex.run(cmd);
  if (result.code !== 0 && !cmd.probe) throw new CommandError(cmd, result, ex.where);
  return result;
}
