/**
 * Throwaway etcd for tests: one member on random loopback ports (`startEtcd`), or a real cluster of several
 * members (`startEtcdCluster`) whose members can be stopped and started again with their data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestEtcd {
  endpoint: string;
  stop(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, host, resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One etcd process; `start()` again after `stop()` reuses its data dir (a member coming back). */
class Member {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private spawnError: Error | undefined;
  log = '';

  constructor(
    readonly name: string,
    readonly clientUrls: string[],
    private readonly args: string[],
  ) {}

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running) return;
    this.spawnError = undefined;
    const child = spawn('etcd', this.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-4000)));
    this.exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.once('error', (err) => (this.spawnError = err));
    this.child = child;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.running) this.child!.kill(signal);
    await this.exited;
  }

  /** Healthy on its first client URL (a member of a cluster only says so once there is a quorum). */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.spawnError) {
        throw new Error(
          `cannot start etcd (is etcd-server installed? make setup): ${this.spawnError.message}`,
        );
      }
      if (!this.running)
        throw new Error(`etcd ${this.name} exited with ${this.child?.exitCode}: ${this.log}`);
      try {
        const res = await fetch(`${this.clientUrls[0]}/health`, { signal: AbortSignal.timeout(1000) });
        if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return;
      } catch {
        // not listening yet, or no leader yet
      }
      if (Date.now() > deadline)
        throw new Error(`etcd ${this.name} not healthy after ${timeoutMs} ms: ${this.log}`);
      await delay(50);
    }
  }
}

export async function startEtcd(timeoutMs = 15_000): Promise<TestEtcd> {
  const cluster = await startEtcdCluster({ members: 1, timeoutMs });
  return { endpoint: cluster.endpoints[0], stop: () => cluster.stop() };
}

export interface EtcdClusterOptions {
  /** Number of members (default 3). */
  members?: number;
  /**
   * Addresses each member serves clients on, all on one port per member (default ['127.0.0.1']). The first one
   * makes `endpoints`. Peers always talk over 127.0.0.1.
   */
  clientHosts?: string[];
  /** Parent of the members' data dirs (default a new temp dir, removed by `stop`; a given one is kept). */
  dir?: string;
  timeoutMs?: number;
}

export interface TestEtcdCluster {
  /** One client URL per member (on the first of `clientHosts`), in member order. */
  endpoints: string[];
  /** Every client URL of member i. */
  clientUrls(i: number): string[];
  /** Stops member i (0-based), keeping its data dir. */
  stopMember(i: number): Promise<void>;
  /** Starts member i again from its data dir and waits until it is healthy. */
  startMember(i: number): Promise<void>;
  /** Whether member i's process runs. */
  running(i: number): boolean;
  /** Recent stderr of member i, for failure messages. */
  logTail(i: number): string;
  /** Stops every member and removes the data dirs (unless `dir` was given). */
  stop(): Promise<void>;
}

/** A real etcd cluster of `members` members on free ports; resolves once every member is healthy. */
export async function startEtcdCluster(opts: EtcdClusterOptions = {}): Promise<TestEtcdCluster> {
  const count = opts.members ?? 3;
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`members: must be a positive integer, got ${count}`);
  const clientHosts = opts.clientHosts ?? ['127.0.0.1'];
  if (clientHosts.length === 0) throw new Error('clientHosts: must name at least one address');
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-etcd-'));
  fs.mkdirSync(dir, { recursive: true });

  // A port free on every address (0.0.0.0) when clients use more than loopback.
  const anyHost = clientHosts.length === 1 && clientHosts[0] === '127.0.0.1' ? '127.0.0.1' : '0.0.0.0';
  const ports: { client: number; peer: number }[] = [];
  const taken = new Set<number>();
  const fresh = async (host: string) => {
    for (;;) {
      const p = await freePort(host);
      if (!taken.has(p)) return (taken.add(p), p);
    }
  };
  for (let i = 0; i < count; i++)
    ports.push({ client: await fresh(anyHost), peer: await fresh('127.0.0.1') });
  const names = ports.map((_, i) => (count === 1 ? 'test' : `m${i}`));
  const initialCluster = ports.map((p, i) => `${names[i]}=http://127.0.0.1:${p.peer}`).join(',');

  const members = ports.map((p, i) => {
    const clientUrls = clientHosts.map((h) => `http://${h}:${p.client}`);
    const peerUrl = `http://127.0.0.1:${p.peer}`;
    // Short heartbeat/election keep lease tests fast (minimum lease TTL is 1.5 election timeouts); a cluster on a
    // busy 2-core machine gets a little more slack than a single member, which never holds an election.
    const [heartbeat, election] = count === 1 ? ['50', '500'] : ['100', '1000'];
    const args = [
      ...['--name', names[i], '--data-dir', path.join(dir, names[i])],
      ...['--listen-client-urls', clientUrls.join(','), '--advertise-client-urls', clientUrls.join(',')],
      ...['--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl],
      ...['--initial-cluster', initialCluster, '--initial-cluster-token', path.basename(dir)],
      ...['--heartbeat-interval', heartbeat, '--election-timeout', election],
    ];
    return new Member(names[i], clientUrls, args);
  });

  const member = (i: number): Member => {
    const m = members[i];
    if (!m) throw new Error(`member: no member ${i} (0..${count - 1})`);
    return m;
  };
  const stop = async () => {
    // SIGKILL: members stopped together wait seconds for a leadership transfer nobody can take.
    await Promise.all(members.map((m) => m.stop(count === 1 ? 'SIGTERM' : 'SIGKILL')));
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  };

  for (const m of members) m.start();
  try {
    await Promise.all(members.map((m) => m.waitHealthy(timeoutMs)));
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    endpoints: members.map((m) => m.clientUrls[0]),
    clientUrls: (i) => member(i).clientUrls,
    stopMember: (i) => member(i).stop(),
    startMember: async (i) => {
      member(i).start();
      await member(i).waitHealthy(timeoutMs);
    },
    logTail: (i) => member(i).log,
    running: (i) => member(i).running,
    stop,
  };
}
