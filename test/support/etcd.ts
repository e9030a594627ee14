/** Starts a throwaway single-member etcd on random loopback ports in a temp data dir, for integration tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestEtcd {
  endpoint: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export async function startEtcd(timeoutMs = 15_000): Promise<TestEtcd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  // Short heartbeat/election make etcd's minimum lease TTL 1 s, so lease tests stay fast.
  const args = [
    ...['--name', 'test', '--data-dir', path.join(dir, 'data')],
    ...['--listen-client-urls', endpoint, '--advertise-client-urls', endpoint],
    ...['--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl],
    ...['--initial-cluster', `test=${peerUrl}`, '--heartbeat-interval', '50', '--election-timeout', '500'],
  ];
  const child: ChildProcess = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) {
      await stop();
      throw new Error(`cannot start etcd (is etcd-server installed? make setup): ${spawnError.message}`);
    }
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`etcd exited with ${child.exitCode}: ${log}`);
    }
    try {
      const res = await fetch(`${endpoint}/health`);
      if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return { endpoint, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd not healthy after ${timeoutMs} ms: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
