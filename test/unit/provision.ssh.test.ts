/**
 * The SSH executor against an in-process SSH server (ssh2's own Server) that plays a node: its host key
 * checked against known_hosts (unknown refused naming the fingerprint, accepted with it, a changed one
 * refused), login by password or key and what a failure says, and sudo as a node does it: `sudo -n true` to
 * find out whether a password is needed, `sudo -S` reading the password line before the command's input.
 * Each command line is run by a real `sh`, so the quoting is tested by the shell that reads it.
 * (The real sshd and sudo are the integration tests'.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { fingerprintOf } from '../../src/provision/knownhosts.js';
import { sshExecutor, type SshOptions } from '../../src/provision/ssh.js';
import { tempDir } from './apps.testctx.js';

const { Server, utils } = ssh2;
const dir = tempDir('sluice-sshexec-');
const USER = 'labadmin';
const PASSWORD = 'pa ss\'word"1';
const SUDO_PASSWORD = 'sudo-pw';

function keygen(name: string) {
  const f = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', f]);
  const pub = readFileSync(`${f}.pub`, 'utf8');
  return { file: f, private: readFileSync(f), blob: Buffer.from(pub.split(' ')[1], 'base64') };
}
const hostKey = keygen('host');
const otherHostKey = keygen('host2');
const userKey = keygen('user');
const strangerKey = keygen('stranger');

interface NodeBehaviour {
  /** sudo without a password. */
  nopasswd: boolean;
}
const node: NodeBehaviour & { commands: string[]; stdins: string[] } = {
  nopasswd: false,
  commands: [],
  stdins: [],
};

/** Runs a command line the way the node's shell would; sudo is played (the test is not root). */
function play(
  line: string,
  input: string,
): Promise<{ code: number; out: string; err: string; stdin: string }> {
  let rest = input;
  let command = line;
  if (line === 'sudo -n true')
    return Promise.resolve(
      node.nopasswd
        ? { code: 0, out: '', err: '', stdin: '' }
        : { code: 1, out: '', err: 'sudo: a password is required\n', stdin: '' },
    );
  if (line.startsWith('sudo -n -- ')) command = line.slice('sudo -n -- '.length);
  else if (line.startsWith("sudo -k -S -p '' -- ")) {
    command = line.slice("sudo -k -S -p '' -- ".length);
    const nl = rest.indexOf('\n');
    const password = nl < 0 ? rest : rest.slice(0, nl);
    rest = nl < 0 ? '' : rest.slice(nl + 1);
    if (password !== SUDO_PASSWORD)
      return Promise.resolve({
        code: 1,
        out: '',
        err: 'Sorry, try again.\nsudo: no password was provided\nsudo: 1 incorrect password attempt\n',
        stdin: rest,
      });
  }
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, out, err, stdin: rest }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(rest);
  });
}

const userPublic = utils.parseKey(readFileSync(`${userKey.file}.pub`, 'utf8'));

function startNode(key: Buffer) {
  const server = new Server({ hostKeys: [key] }, (client) => {
    client.on('authentication', (ctx) => {
      if (ctx.username !== USER) return ctx.reject();
      if (ctx.method === 'password') return ctx.password === PASSWORD ? ctx.accept() : ctx.reject();
      if (ctx.method === 'publickey' && !(userPublic instanceof Error)) {
        const pub = Array.isArray(userPublic) ? userPublic[0] : userPublic;
        if (!ctx.key.data.equals(pub.getPublicSSH())) return ctx.reject();
        if (ctx.signature && !pub.verify(ctx.blob!, ctx.signature, ctx.hashAlgo)) return ctx.reject();
        return ctx.accept();
      }
      ctx.reject(['password', 'publickey']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        accept().on('exec', (acceptExec, _reject, info) => {
          const stream = acceptExec();
          let input = '';
          stream.on('data', (d: Buffer) => (input += d.toString()));
          stream.on('end', () => {
            node.commands.push(info.command);
            void play(info.command, input).then((r) => {
              node.stdins.push(r.stdin);
              stream.stderr.write(r.err);
              stream.write(r.out);
              stream.exit(r.code);
              stream.end();
            });
          });
        });
      });
    });
    client.on('error', () => undefined);
  });
  return new Promise<{ port: number; close: () => Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

let srv: { port: number; close: () => Promise<void> };
let changedSrv: { port: number; close: () => Promise<void> };
const known = join(dir, 'known_hosts');
before(async () => {
  srv = await startNode(hostKey.private);
  changedSrv = await startNode(otherHostKey.private);
  // The nodes' keys as an earlier `ssh` left them: the second server's entry is the first's key.
  writeFileSync(
    known,
    `[127.0.0.1]:${srv.port} ssh-ed25519 ${hostKey.blob.toString('base64')}\n` +
      `[127.0.0.1]:${changedSrv.port} ssh-ed25519 ${hostKey.blob.toString('base64')}\n`,
  );
});
after(async () => {
  await srv.close();
  await changedSrv.close();
});

const opts = (over: Partial<SshOptions> = {}): SshOptions => ({
  user: USER,
  host: '127.0.0.1',
  port: srv.port,
  knownHosts: known,
  password: PASSWORD,
  sudoPassword: SUDO_PASSWORD,
  connectTimeoutMs: 5000,
  ...over,
});
const label = () => `ssh ${USER}@127.0.0.1:${srv.port}`;

test('an unknown host key is refused naming its fingerprint; --accept-host-key adds it to known_hosts', async () => {
  const fresh = join(dir, 'fresh_known_hosts');
  const fp = fingerprintOf(hostKey.blob);
  await assert.rejects(sshExecutor(opts({ knownHosts: fresh })), {
    name: 'SshError',
    message: `${label()}: the host key ssh-ed25519 ${fp} is not in ${fresh}. Check it on the node (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and accept it with --accept-host-key ${fp}`,
  });
  const wrong = `SHA256:${'A'.repeat(43)}`;
  await assert.rejects(sshExecutor(opts({ knownHosts: fresh, acceptHostKey: wrong })), (e: Error) => {
    assert.match(
      e.message,
      new RegExp(`the host key is ssh-ed25519 ${fp.replace(/[+/]/g, '\\$&')}, not ${wrong}`),
    );
    return true;
  });
  const notices: string[] = [];
  const ex = await sshExecutor(
    opts({ knownHosts: fresh, acceptHostKey: fp, notice: (t) => notices.push(t) }),
  );
  await ex.close();
  assert.equal(
    readFileSync(fresh, 'utf8'),
    `[127.0.0.1]:${srv.port} ssh-ed25519 ${hostKey.blob.toString('base64')}\n`,
  );
  assert.deepEqual(notices, [`added the host key of 127.0.0.1 (ssh-ed25519 ${fp}) to ${fresh}\n`]);
  // Known from now on, without the flag.
  await (await sshExecutor(opts({ knownHosts: fresh }))).close();
});

test('a changed host key is refused before any password is sent', async () => {
  node.commands.length = 0;
  await assert.rejects(sshExecutor(opts({ port: changedSrv.port })), (e: Error) => {
    assert.match(
      e.message,
      /the host key changed: it is ssh-ed25519 SHA256:\S+, not the one in .*known_hosts line 2\./,
    );
    assert.match(e.message, new RegExp(`ssh-keygen -R '\\[127\\.0\\.0\\.1\\]:${changedSrv.port}' -f `));
    return true;
  });
  assert.deepEqual(node.commands, []);
});

test('a wrong password or key is a clear error naming the login and what to check', async () => {
  await assert.rejects(sshExecutor(opts({ password: 'wrong' })), {
    message: `${label()}: authentication failed (password): check the user and password`,
  });
  await assert.rejects(sshExecutor(opts({ user: 'root', password: PASSWORD })), {
    message: `ssh root@127.0.0.1:${srv.port}: authentication failed (password): check the user and password`,
  });
  await assert.rejects(sshExecutor(opts({ password: undefined, keyFile: strangerKey.file })), {
    message: `${label()}: authentication failed (key ${strangerKey.file}): check the user and that the key is in its ~/.ssh/authorized_keys`,
  });
  await assert.rejects(
    sshExecutor(opts({ password: undefined, keyFile: join(dir, 'nope') })),
    /cannot read the key file .*nope: ENOENT/,
  );
});

test("sudo with a password: checked once, then the first stdin line of each command, never the command's", async () => {
  node.nopasswd = false;
  node.commands.length = 0;
  node.stdins.length = 0;
  const ex = await sshExecutor(opts({ password: undefined, keyFile: userKey.file }));
  try {
    assert.equal(ex.where, `${label()} (sudo)`);
    assert.equal(ex.sudo, 'password');
    const hostile = ["it's", '$(id)', '`x`', 'a;b', ' ', '', 'line\nbreak', '"q"', '*'];
    const r = await ex.run({ argv: ['printf', '%s|', ...hostile] });
    assert.deepEqual(r, { code: 0, stdout: hostile.map((w) => `${w}|`).join(''), stderr: '' });
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const c = await ex.run({ argv: ['cat'], stdin: cert });
    assert.equal(c.stdout, cert, "the command's input is exactly its own");
    const f = await ex.run({ argv: ['sh', '-c', 'echo oops >&2; exit 3'] });
    assert.deepEqual(f, { code: 3, stdout: '', stderr: 'oops\n' });
  } finally {
    await ex.close();
  }
  assert.deepEqual(node.commands.slice(0, 2), ['sudo -n true', "sudo -k -S -p '' -- true"]);
  assert.ok(node.commands.slice(2).every((l) => l.startsWith("sudo -k -S -p '' -- ")));
  assert.ok(
    node.stdins.every((s) => !s.includes(SUDO_PASSWORD)),
    'the password never reaches a command',
  );
});

test('sudo without a password (NOPASSWD): no password is sent', async () => {
  node.nopasswd = true;
  node.commands.length = 0;
  node.stdins.length = 0;
  try {
    const ex = await sshExecutor(opts({ sudoPassword: undefined }));
    assert.equal(ex.sudo, 'nopasswd');
    assert.equal((await ex.run({ argv: ['cat'], stdin: 'x\n' })).stdout, 'x\n');
    await ex.close();
    assert.deepEqual(node.commands, ['sudo -n true', 'sudo -n -- cat']);
  } finally {
    node.nopasswd = false;
  }
});

test('a wrong sudo password is an error; the login password is tried, then the terminal is asked', async () => {
  await assert.rejects(sshExecutor(opts({ sudoPassword: 'nope' })), {
    message: `${label()}: sudo did not accept the sudo password given: check it (--sudo-password-stdin gives it)`,
  });
  await assert.rejects(sshExecutor(opts({ sudoPassword: undefined })), {
    message: `${label()}: sudo did not accept the login password: check it (--sudo-password-stdin gives it)`,
  });
  await assert.rejects(
    sshExecutor(opts({ password: undefined, sudoPassword: undefined, keyFile: userKey.file })),
    {
      message: `${label()}: sudo needs ${USER}'s password: give it with --sudo-password-stdin, or run from a terminal to be asked`,
    },
  );
  const asked: string[] = [];
  const ex = await sshExecutor(
    opts({
      sudoPassword: undefined,
      askSecret: async (p) => {
        asked.push(p);
        return SUDO_PASSWORD;
      },
    }),
  );
  await ex.close();
  assert.deepEqual(
    asked,
    [`[sudo] password for ${USER}@127.0.0.1: `],
    'asked once the login password failed',
  );
  assert.equal(ex.sudo, 'password');
});

test('root logs in without sudo; sudo: false is respected', async () => {
  node.commands.length = 0;
  const ex = await sshExecutor(opts({ sudo: false }));
  assert.equal(ex.where, label());
  assert.equal((await ex.run({ argv: ['echo', 'hi'] })).stdout, 'hi\n');
  await ex.close();
  assert.deepEqual(node.commands, ['echo hi']);
});

test('no answer in time, and a refused port, say what to check', async () => {
  // Takes the connection and never speaks (reads, so it sees the client give up).
  const silent = createTcpServer((s) => s.resume());
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as AddressInfo).port;
  try {
    await assert.rejects(sshExecutor(opts({ port, connectTimeoutMs: 300 })), {
      message: `ssh ${USER}@127.0.0.1:${port}: no SSH answer within 0.3 s: check the address and that sshd runs there`,
    });
  } finally {
    await new Promise((r) => silent.close(r));
  }
  await assert.rejects(sshExecutor(opts({ port })), {
    message: `ssh ${USER}@127.0.0.1:${port}: connection refused: is sshd running there on port ${port}?`,
  });
});
