/**
 * Reading secrets for `sluice node provision`: a prompt at the terminal that does not echo what is typed (as
 * ssh and sudo ask), and all of standard input for --password-stdin.
 */
import type { ReadStream } from 'node:tty';

/** Asks on stderr, reads a line from the terminal on stdin with echo off; Ctrl-C or Ctrl-D cancels. */
export function terminalSecret(prompt: string): Promise<string> {
  const input = process.stdin as ReadStream;
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  let text = '';
  return new Promise((resolve, reject) => {
    const finish = (err?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || (ch === '\u0004' && text === ''))
          return finish(new Error('cancelled at the prompt'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else if (ch >= ' ') text += ch;
      }
    };
    input.on('data', onData);
  });
}

export async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
