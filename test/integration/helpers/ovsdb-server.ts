import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isAlive, NETNS_PREFIX, waitFor } from '../harness/index.js';

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface SslSetup {
  port: number;
  privateKey: string;
  certificate: string;
  caCert: string;
}

/** A private ovsdb-server (no ovs-vswitchd) in a temp dir, with unix and tcp remotes (and ssl on request). */
export interface TestOvsdbServer {
  dir: string;
  unixRemote: string;
  tcpRemote: string;
  ssl?: SslSetup;
  /** Runs ovs-vsctl against this server and returns its trimmed stdout. */
  vsctl(...args: string[]): string;
  /** Parsed `ovs-vsctl --format=json list TABLE [RECORD]` as objects keyed by column. */
  list(table: string, record?: string): Record<string, unknown>[];
  pid(): number;
  /**
   * Starts an ovs-vswitchd on this database inside a network namespace of its own (its userspace datapath's
   * devices would clash with the system OVS's otherwise). Stopped by destroy().
   */
  startVswitchd(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes the dir. */
  destroy(): Promise<void>;
}

export async function startTestOvsdbServer(opts: { ssl?: boolean } = {}): Promise<TestOvsdbServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ovsdb-'));
  try {
    return await setUp(dir, opts);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function setUp(dir: string, opts: { ssl?: boolean }): Promise<TestOvsdbServer> {
  const db = join(dir, 'conf.db');
  const sock = join(dir, 'db.sock');
  const port = await freePort();
  execFileSync('ovsdb-tool', ['create', db, SCHEMA]);
  let ssl: SslSetup | undefined;
  if (opts.ssl) {
    const pki = join(dir, 'pki');
    const pkiArgs = [`--dir=${pki}`, `--log=${join(dir, 'pki.log')}`];
    // Relative names: ovs-pki puts the name in the certificate's CN, which may not exceed 64 characters.
    execFileSync('ovs-pki', [...pkiArgs, 'init'], { stdio: 'pipe' });
    execFileSync('ovs-pki', [...pkiArgs, 'req+sign', 'server', 'switch'], {
      stdio: 'ignore',
      cwd: dir,
    });
    execFileSync('ovs-pki', [...pkiArgs, 'req+sign', 'client', 'switch'], {
      stdio: 'ignore',
      cwd: dir,
    });
    ssl = {
      port: await freePort(),
      privateKey: join(dir, 'client-privkey.pem'),
      certificate: join(dir, 'client-cert.pem'),
      caCert: join(pki, 'switchca', 'cacert.pem'),
    };
  }
  const pidFile = join(dir, 'pid');
  const args = [
    db,
    `--remote=punix:${sock}`,
    `--remote=ptcp:${port}:127.0.0.1`,
    `--pidfile=${pidFile}`,
    `--unixctl=${join(dir, 'ctl')}`,
    '--detach',
    `--log-file=${join(dir, 'log')}`,
  ];
  if (ssl) {
    args.push(
      `--remote=pssl:${ssl.port}:127.0.0.1`,
      `--private-key=${join(dir, 'server-privkey.pem')}`,
      `--certificate=${join(dir, 'server-cert.pem')}`,
      `--ca-cert=${ssl.caCert}`,
    );
  }
  const vsctl = (...a: string[]): string =>
    execFileSync('ovs-vsctl', [`--db=unix:${sock}`, '--no-wait', '--timeout=5', ...a], {
      encoding: 'utf8',
    }).trim();
  const pid = (): number => Number(readFileSync(pidFile, 'utf8').trim());
  let running = false;
  const netns = `${NETNS_PREFIX}ovsdb-${process.pid}-${dir.slice(-6)}`;
  const vswitchdPid = join(dir, 'vswitchd.pid');
  let vswitchd = false;
  const server: TestOvsdbServer = {
    dir,
    unixRemote: `unix:${sock}`,
    tcpRemote: `tcp:127.0.0.1:${port}`,
    ssl,
    vsctl,
    list(table, record) {
      const out = JSON.parse(vsctl('--format=json', 'list', table, ...(record ? [record] : []))) as {
        headings: string[];
        data: unknown[][];
      };
      return out.data.map((row) => Object.fromEntries(out.headings.map((h, i) => [h, row[i]])));
    },
    pid,
    async start() {
      // --detach returns once the server is ready: its sockets are bound.
      execFileSync('ovsdb-server', args, { stdio: 'ignore' });
      running = true;
    },
    async startVswitchd() {
      execFileSync('ip', ['netns', 'add', netns]);
      vswitchd = true;
      execFileSync(
        'ip',
        [
          'netns',
          'exec',
          netns,
          'ovs-vswitchd',
          `unix:${sock}`,
          `--pidfile=${vswitchdPid}`,
          `--unixctl=${join(dir, 'vswitchd.ctl')}`,
          '--detach',
          `--log-file=${join(dir, 'vswitchd.log')}`,
        ],
        { stdio: 'ignore', env: { ...process.env, OVS_RUNDIR: dir } },
      );
    },
    async stop() {
      if (!running) return;
      running = false;
      const p = pid();
      process.kill(p, 'SIGTERM');
      await waitFor(() => !isAlive(p), { what: 'ovsdb-server to exit', timeoutMs: 5000, intervalMs: 20 });
    },
    async destroy() {
      try {
        if (vswitchd) {
          if (existsSync(vswitchdPid)) {
            const p = Number(readFileSync(vswitchdPid, 'utf8').trim());
            process.kill(p, 'SIGTERM');
            await waitFor(() => !isAlive(p), {
              what: 'ovs-vswitchd to exit',
              timeoutMs: 5000,
              intervalMs: 20,
            });
          }
          execFileSync('ip', ['netns', 'delete', netns]);
        }
        if (existsSync(pidFile)) await server.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  await server.start();
  try {
    vsctl('init');
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
