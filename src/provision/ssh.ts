/**
 * Commands on a node over SSH (the ssh2 library: no `ssh` binary, no output scraped from a terminal). The host
 * key is checked against known_hosts as ssh does (an unknown key is refused, naming its fingerprint and how to
 * accept it); login by key file or password; each command is its argv quoted word by word (shellLine), and,
 * when the login is not root, run through sudo: `sudo -n` where the node allows it without a password, else
 * `sudo -S` fed the password on the first line of standard input.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, Client as SshClient, ConnectConfig, ParsedKey } from 'ssh2';
import { lastLines, shellLine, type Command, type CommandResult, type Executor } from './command.js';
import {
  checkHostKey,
  fingerprintOf,
  knownHostsLine,
  knownKeyTypes,
  keyTypeOf,
  parseKnownHosts,
} from './knownhosts.js';

const { Client, utils } = ssh2;

export const DEFAULT_KNOWN_HOSTS = join(homedir(), '.ssh', 'known_hosts');
const OUTPUT_LIMIT = 4 * 1024 * 1024;

export interface SshOptions {
  user: string;
  host: string;
  port?: number;
  /** A private key file (OpenSSH or PEM); asked for its passphrase through `askSecret` when encrypted. */
  keyFile?: string;
  password?: string;
  /** Default ~/.ssh/known_hosts. */
  knownHosts?: string;
  /** `SHA256:...`: the fingerprint the user checked and accepts for a host not yet in known_hosts. */
  acceptHostKey?: string;
  /** Run commands through sudo; default: unless the user is root. */
  sudo?: boolean;
  /** The sudo password; default the login password, else asked through `askSecret`. */
  sudoPassword?: string;
  /** Asks the person at the terminal (no echo); absent when there is none. */
  askSecret?: (prompt: string) => Promise<string>;
  /** Told when a host key is added to known_hosts. */
  notice?: (text: string) => void;
  /** The TCP connection and SSH handshake; default 15 s. */
  connectTimeoutMs?: number;
  /** One command; default 5 min. */
  commandTimeoutMs?: number;
}

/** Connecting, logging in or getting root on the node failed: what to do about it is in the message. */
export class SshError extends Error {
  override readonly name = 'SshError';
}

/** RSA keys are one type in known_hosts and three signature algorithms in the handshake. */
const ALGORITHMS_OF: Record<string, string[]> = { 'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] };
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** The host key algorithms to offer: those of the keys known for the host first, as ssh orders them. */
export function hostKeyAlgorithms(known: readonly string[]): string[] {
  const first = known.flatMap((t) => ALGORITHMS_OF[t] ?? [t]).filter((a) => HOST_KEY_ALGORITHMS.includes(a));
  return [...new Set([...first, ...HOST_KEY_ALGORITHMS])];
}

function readKnownHosts(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new SshError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

async function loadKey(file: string, ask: SshOptions['askSecret']): Promise<ParsedKey> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SshError(`cannot read the key file ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  const plain = utils.parseKey(text);
  if (!(plain instanceof Error)) return Array.isArray(plain) ? (plain[0] as ParsedKey) : plain;
  if (!/passphrase/i.test(plain.message))
    throw new SshError(`${file} is not a private key ssh can use: ${plain.message}`);
  if (!ask) throw new SshError(`${file} is encrypted: run from a terminal to be asked its passphrase`);
  const parsed = utils.parseKey(text, await ask(`passphrase for ${file}: `));
  if (parsed instanceof Error) throw new SshError(`wrong passphrase for ${file}`);
  return Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
}

/** Connects and logs in; the host key is checked before any secret is sent. */
async function connect(o: SshOptions, label: string): Promise<SshClient> {
  const port = o.port ?? 22;
  const knownFile = o.knownHosts ?? DEFAULT_KNOWN_HOSTS;
  const entries = parseKnownHosts(readKnownHosts(knownFile));
  const key = o.keyFile ? await loadKey(o.keyFile, o.askSecret) : undefined;
  if (!key && o.password === undefined)
    throw new SshError(`${label}: no key_file in the node's access and no password given`);

  const methods: AnyAuthMethod[] = [];
  if (key) methods.push({ type: 'publickey', username: o.user, key });
  if (o.password !== undefined) {
    const password = o.password;
    methods.push({ type: 'password', username: o.user, password });
    // Servers that take passwords only through keyboard-interactive (PAM) get the same password.
    methods.push({
      type: 'keyboard-interactive',
      username: o.user,
      prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)),
    });
  }
  const tried = [key ? `key ${o.keyFile}` : '', o.password !== undefined ? 'password' : '']
    .filter(Boolean)
    .join(', ');
  const check =
    o.password !== undefined && !key
      ? 'the user and password'
      : 'the user and that the key is in its ~/.ssh/authorized_keys';

  let refusal: string | undefined;
  const verify = (presented: Buffer): boolean => {
    const fp = fingerprintOf(presented);
    const type = keyTypeOf(presented);
    const verdict = checkHostKey(entries, o.host, port, presented);
    if (verdict.status === 'known') return true;
    if (verdict.status === 'revoked') {
      refusal = `${label}: the host key ${type} ${fp} is marked @revoked in ${knownFile} line ${verdict.entry.line}`;
      return false;
    }
    if (verdict.status === 'changed') {
      const lines = verdict.entries.map((e) => e.line).join(', ');
      refusal =
        `${label}: the host key changed: it is ${type} ${fp}, not the one in ${knownFile} line ${lines}. ` +
        `Someone may be in the middle; if the node was reinstalled, remove the old key ` +
        `(ssh-keygen -R ${port === 22 ? o.host : `'[${o.host}]:${port}'`} -f ${knownFile}) and try again`;
      return false;
    }
    if (o.acceptHostKey === fp) {
      try {
        mkdirSync(dirname(knownFile), { recursive: true, mode: 0o700 });
        appendFileSync(knownFile, `${knownHostsLine(o.host, port, presented)}\n`, { mode: 0o600 });
      } catch (e) {
        refusal = `${label}: cannot add the host key to ${knownFile}: ${(e as NodeJS.ErrnoException).code ?? e}`;
        return false;
      }
      o.notice?.(`added the host key of ${o.host} (${type} ${fp}) to ${knownFile}\n`);
      return true;
    }
    refusal =
      (o.acceptHostKey
        ? `${label}: the host key is ${type} ${fp}, not ${o.acceptHostKey} as given to --accept-host-key. `
        : `${label}: the host key ${type} ${fp} is not in ${knownFile}. `) +
      `Check it on the node (ssh-keygen -lf /etc/ssh/ssh_host_${type.replace(/^ssh-|-sha2-nistp\d+$/g, '')}_key.pub) ` +
      `and accept it with --accept-host-key ${fp}`;
    return false;
  };

  const conn = new Client();
  const timeoutMs = o.connectTimeoutMs ?? 15_000;
  const config: ConnectConfig = {
    host: o.host,
    port,
    username: o.user,
    readyTimeout: timeoutMs,
    hostVerifier: verify,
    authHandler: methods,
    algorithms: { serverHostKey: hostKeyAlgorithms(knownKeyTypes(entries, o.host, port)) as never },
    keepaliveInterval: 15_000,
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    conn.once('ready', () => {
      settled = true;
      resolve(conn);
    });
    // Kept for the connection's life: ssh2 may emit a second error (a timeout, then the socket closing),
    // and once connected a dropped connection shows as commands without an exit status, not a crash.
    conn.on('error', (err: Error & { level?: string; code?: string }) => {
      if (settled) return;
      settled = true;
      // destroy, not end: before the handshake end() leaves the socket open.
      conn.destroy();
      if (refusal) return reject(new SshError(refusal));
      if (err.level === 'client-authentication')
        return reject(new SshError(`${label}: authentication failed (${tried}): check ${check}`));
      if (/lost before handshake/i.test(err.message))
        return reject(
          new SshError(
            `${label}: the connection closed before the SSH handshake: is an SSH server listening there?`,
          ),
        );
      if (/timed out/i.test(err.message))
        return reject(
          new SshError(
            `${label}: no SSH answer within ${timeoutMs / 1000} s: check the address and that sshd runs there`,
          ),
        );
      if (err.code === 'ECONNREFUSED')
        return reject(new SshError(`${label}: connection refused: is sshd running there on port ${port}?`));
      if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN')
        return reject(new SshError(`${label}: the host name ${o.host} does not resolve`));
      reject(new SshError(`${label}: ${err.code ?? err.message}`));
    });
    conn.connect(config);
  });
}

/** One command on the connection: its status, stdout and stderr; `stdin` written then closed. */
function execOn(
  conn: SshClient,
  line: string,
  stdin: string | undefined,
  timeoutMs: number,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    conn.exec(line, (err, stream) => {
      if (err) return resolve({ code: 255, stdout: '', stderr: `ssh: ${err.message}` });
      let stdout = '';
      let stderr = '';
      let code: number | undefined;
      const timer = setTimeout(() => {
        stderr += `\nssh: no end after ${timeoutMs / 1000} s: stopped`;
        stream.signal('KILL');
        stream.close();
      }, timeoutMs);
      stream.setEncoding('utf8').on('data', (d: string) => {
        if (stdout.length < OUTPUT_LIMIT) stdout += d;
      });
      stream.stderr.setEncoding('utf8').on('data', (d: string) => {
        if (stderr.length < OUTPUT_LIMIT) stderr += d;
      });
      stream.on('exit', (c: number | null, signal?: string) => {
        code = c ?? (signal ? 128 : 255);
      });
      stream.on('close', () => {
        clearTimeout(timer);
        resolve({
          code: code ?? 255,
          stdout,
          stderr: code === undefined && !stderr ? 'ssh: the connection was lost' : stderr,
        });
      });
      stream.on('error', () => undefined);
      stream.end(stdin ?? '');
    });
  });
}

type SudoMode = { kind: 'none' } | { kind: 'nopasswd' } | { kind: 'password'; password: string };

/** How this login gets root: as root, sudo without a password, or sudo with the password checked once. */
async function sudoMode(conn: SshClient, o: SshOptions, label: string, timeoutMs: number): Promise<SudoMode> {
  if (!(o.sudo ?? o.user !== 'root')) return { kind: 'none' };
  const probe = await execOn(conn, 'sudo -n true', undefined, timeoutMs);
  if (probe.code === 0) return { kind: 'nopasswd' };
  if (probe.code === 127)
    throw new SshError(`${label}: sudo is not installed on the node (or log in as root)`);
  if (!/password is required/i.test(probe.stderr))
    throw new SshError(
      `${label}: ${o.user} cannot use sudo: ${probe.stderr.trim() || `status ${probe.code}`}`,
    );
  const ask = o.askSecret;
  const prompt = `[sudo] password for ${o.user}@${o.host}: `;
  // A password given for sudo is the answer (a script's); the login password is a guess, then we ask.
  let next: { password: string; source: string; last: boolean } | undefined =
    o.sudoPassword !== undefined
      ? { password: o.sudoPassword, source: 'the sudo password given', last: true }
      : o.password !== undefined
        ? { password: o.password, source: 'the login password', last: !ask }
        : ask
          ? { password: await ask(prompt), source: 'that password', last: false }
          : undefined;
  for (let attempt = 1; next; attempt++) {
    // -k: ignore any cached credential, so sudo always reads the password line (with a cached one it would
    // not, and the password would reach the command's standard input). -p '': no prompt text in stderr.
    const r = await execOn(conn, "sudo -k -S -p '' -- true", `${next.password}\n`, timeoutMs);
    if (r.code === 0) return { kind: 'password', password: next.password };
    if (/not in the sudoers|not allowed/i.test(r.stderr))
      throw new SshError(`${label}: ${o.user} may not use sudo on the node: ${lastLines(r.stderr, 1)}`);
    if (/must have a tty/i.test(r.stderr))
      throw new SshError(
        `${label}: sudo on the node requires a terminal (requiretty): allow ${o.user} without one`,
      );
    if (next.last || !ask || attempt >= 3)
      throw new SshError(
        `${label}: sudo did not accept ${next.source}: check it (--sudo-password-stdin gives it)`,
      );
    next = { password: await ask(prompt), source: 'that password', last: false };
  }
  throw new SshError(
    `${label}: sudo needs ${o.user}'s password: give it with --sudo-password-stdin, or run from a terminal to be asked`,
  );
}

export interface SshExecutor extends Executor {
  /** How commands get root: 'none' (root login), 'nopasswd', 'password'. */
  readonly sudo: SudoMode['kind'];
}

/** Connects, checks the host key, logs in and finds out how to get root; then runs commands until closed. */
export async function sshExecutor(o: SshOptions): Promise<SshExecutor> {
  const port = o.port ?? 22;
  const label = `ssh ${o.user}@${o.host}${port === 22 ? '' : `:${port}`}`;
  const conn = await connect(o, label);
  const timeoutMs = o.commandTimeoutMs ?? 300_000;
  let mode: SudoMode;
  try {
    mode = await sudoMode(conn, o, label, timeoutMs);
  } catch (e) {
    conn.end();
    throw e;
  }
  return {
    where: `${label}${mode.kind === 'none' ? '' : ' (sudo)'}`,
    sudo: mode.kind,
    run(cmd: Command) {
      const line = shellLine(cmd.argv);
      if (mode.kind === 'none') return execOn(conn, line, cmd.stdin, timeoutMs);
      if (mode.kind === 'nopasswd') return execOn(conn, `sudo -n -- ${line}`, cmd.stdin, timeoutMs);
      // The password is the first line sudo reads; what follows is the command's own input. -k as above.
      return execOn(conn, `sudo -k -S -p '' -- ${line}`, `${mode.password}\n${cmd.stdin ?? ''}`, timeoutMs);
    },
    async close() {
      conn.end();
    },
  };
}
