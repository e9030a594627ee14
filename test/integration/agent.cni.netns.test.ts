/**
 * sluice-cni CHECK looks into a real network namespace (nsenter + ip -j): an interface with the endpoint's
 * address and MAC passes; a changed address or a missing interface fails with the spec's error object. The
 * agent is a fake here (the unit tests cover the rest of the protocol); ADD/DEL through a real agent belong
 * to the agent's own tests.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CNI_ERR } from '../../src/agent/cni.js';
import type { Endpoint } from '../../src/agent/index.js';
import { NETNS_PREFIX, run, runOk } from './harness/index.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/agent/cnimain.js');
const NS = `${NETNS_PREFIX}cni`;
const NETNS = `/var/run/netns/${NS}`;
const HOST_END = `${NETNS_PREFIX}cnih`;

const EP: Endpoint = {
  id: '0123456789abcdef',
  network: 'blue',
  networkId: 'nid',
  vni: 7,
  host: 'h1',
  kind: 'cni',
  containerId: 'ctr1',
  ifname: 'eth0',
  hostIface: HOST_END,
  address: '10.61.0.5',
  cidr: '10.61.0.5/16',
  gateway: '10.61.0.1',
  mac: '0a:58:0a:3d:00:05',
  mtu: 1450,
  createdAt: '2026-12-04T00:00:00.000Z',
};

let agent: http.Server;
let url: string;

before(async () => {
  await runOk('ip', ['netns', 'add', NS]);
  await runOk('ip', ['link', 'add', HOST_END, 'type', 'veth', 'peer', 'name', `${NETNS_PREFIX}cnic`]);
  await runOk('ip', ['link', 'set', `${NETNS_PREFIX}cnic`, 'netns', NS]);
  const inNs = (...args: string[]) => runOk('ip', ['-n', NS, ...args]);
  await inNs('link', 'set', `${NETNS_PREFIX}cnic`, 'name', 'eth0');
  await inNs('link', 'set', 'eth0', 'address', EP.mac, 'up');
  await inNs('addr', 'add', EP.cidr, 'dev', 'eth0');
  agent = http.createServer((_req, res) => res.writeHead(200).end(JSON.stringify([EP])));
  await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(agent.address() as AddressInfo).port}`;
});

after(async () => {
  agent?.closeAllConnections();
  await new Promise<void>((r) => (agent ? agent.close(() => r()) : r()));
  await run('ip', ['link', 'del', HOST_END]);
  await run('ip', ['netns', 'del', NS]);
});

function check(netns = NETNS, ifname = 'eth0') {
  return new Promise<{ code: number; out: any }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN], {
      env: {
        PATH: process.env.PATH ?? '',
        CNI_COMMAND: 'CHECK',
        CNI_CONTAINERID: 'ctr1',
        CNI_NETNS: netns,
        CNI_IFNAME: ifname,
      },
    });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? -1, out: stdout.trim() === '' ? undefined : JSON.parse(stdout) }),
    );
    child.stdin.end(JSON.stringify({ cniVersion: '1.0.0', name: 'blue', type: 'sluice', agent: url }));
  });
}

test('CHECK passes when the interface in the netns has the address and MAC, and fails when not', async () => {
  assert.deepEqual(await check(), { code: 0, out: undefined });

  await runOk('ip', ['-n', NS, 'addr', 'del', EP.cidr, 'dev', 'eth0']);
  await runOk('ip', ['-n', NS, 'addr', 'add', '10.61.0.6/16', 'dev', 'eth0']);
  const moved = await check();
  assert.equal(moved.code, 1);
  assert.equal(moved.out.code, CNI_ERR.CHECK_FAILED);
  assert.match(moved.out.msg, /does not have 10\.61\.0\.5\/16 \(has 10\.61\.0\.6\/16\)/);

  const gone = await check(`/var/run/netns/${NETNS_PREFIX}absent`);
  assert.equal(gone.code, 1);
  assert.match(gone.out.msg, /no interface eth0/);
});
