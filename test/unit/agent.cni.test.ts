import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CNI_ERR,
  CniError,
  cniResult,
  parseCniArgs,
  parseCniConfig,
  parseCniEnv,
  parseIpAddrJson,
  runCni,
  type CniDeps,
} from '../../src/agent/cni.js';
import type { Endpoint } from '../../src/agent/index.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/agent/cnimain.js');

const EP: Endpoint = {
  id: '0123456789abcdef',
  network: 'blue',
  networkId: 'nid',
  vni: 7,
  host: 'h1',
  kind: 'cni',
  containerId: 'ctr1',
  ifname: 'eth0',
  hostIface: 'sv0123456789a',
  address: '10.1.0.5',
  cidr: '10.1.0.5/16',
  gateway: '10.1.0.1',
  mac: '0a:58:0a:01:00:05',
  mtu: 1450,
  createdAt: '2026-12-04T00:00:00.000Z',
};

const env = (command: string, over: Record<string, string> = {}) => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: 'ctr1',
  CNI_NETNS: '/var/run/netns/ctr1',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin',
  ...over,
});
const config = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ cniVersion: '1.0.0', name: 'blue', type: 'sluice', ...over });

function cniCode(fn: () => unknown, code: number, msg?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CniError, String(e));
    assert.equal(e.code, code, e.msg);
    if (msg) assert.match(e.msg, msg);
    return true;
  });
}

test('env: each bad CNI_* variable is code 4 naming it; CNI_ARGS IP= is a static address', () => {
  assert.deepEqual(parseCniEnv(env('ADD', { CNI_ARGS: 'IgnoreUnknown=1;IP=10.1.0.9;K8S_POD_NAME=p' })), {
    command: 'ADD',
    containerId: 'ctr1',
    netns: '/var/run/netns/ctr1',
    ifname: 'eth0',
    ip: '10.1.0.9',
  });
  assert.equal(parseCniEnv({ CNI_COMMAND: 'VERSION' }).command, 'VERSION');
  assert.equal(parseCniEnv(env('DEL', { CNI_NETNS: '' })).netns, '', 'DEL may come without a netns');
  cniCode(() => parseCniEnv({}), CNI_ERR.INVALID_ENV, /^CNI_COMMAND/);
  cniCode(() => parseCniEnv(env('GC')), CNI_ERR.INVALID_ENV, /^CNI_COMMAND/);
  cniCode(() => parseCniEnv(env('ADD', { CNI_CONTAINERID: '' })), CNI_ERR.INVALID_ENV, /^CNI_CONTAINERID/);
  cniCode(
    () => parseCniEnv(env('ADD', { CNI_IFNAME: 'a-much-too-long-name' })),
    CNI_ERR.INVALID_ENV,
    /^CNI_IFNAME/,
  );
  cniCode(() => parseCniEnv(env('ADD', { CNI_NETNS: '' })), CNI_ERR.INVALID_ENV, /^CNI_NETNS/);
  cniCode(() => parseCniEnv(env('CHECK', { CNI_NETNS: 'relative' })), CNI_ERR.INVALID_ENV, /^CNI_NETNS/);
  cniCode(() => parseCniEnv(env('ADD', { CNI_ARGS: 'IP=ten' })), CNI_ERR.INVALID_ENV, /^CNI_ARGS/);
  cniCode(() => parseCniArgs('novalue'), CNI_ERR.INVALID_ENV, /^CNI_ARGS/);
});

test('config: decode, version, type, network (default: name), agent URL, token', () => {
  assert.deepEqual(parseCniConfig(config()), {
    cniVersion: '1.0.0',
    name: 'blue',
    network: 'blue',
    agent: 'http://127.0.0.1:6675',
  });
  assert.deepEqual(
    parseCniConfig(
      config({ network: 'red', agent: 'http://10.0.0.1:7000/', token: 't', prevResult: { ips: [] } }),
    ),
    {
      cniVersion: '1.0.0',
      name: 'blue',
      network: 'red',
      agent: 'http://10.0.0.1:7000',
      token: 't',
      prevResult: { ips: [] },
    },
  );
  cniCode(() => parseCniConfig('{nope'), CNI_ERR.DECODE_FAILURE);
  cniCode(() => parseCniConfig('[]'), CNI_ERR.DECODE_FAILURE);
  cniCode(() => parseCniConfig(config({ cniVersion: undefined })), CNI_ERR.INVALID_CONFIG, /^cniVersion/);
  cniCode(() => parseCniConfig(config({ cniVersion: '2.0.0' })), CNI_ERR.INCOMPATIBLE_VERSION, /^cniVersion/);
  cniCode(() => parseCniConfig(config({ type: 'bridge' })), CNI_ERR.INVALID_CONFIG, /^type/);
  cniCode(() => parseCniConfig(config({ name: '' })), CNI_ERR.INVALID_CONFIG, /^name/);
  cniCode(() => parseCniConfig(config({ name: 'k8s pod network' })), CNI_ERR.INVALID_CONFIG, /^name/);
  cniCode(() => parseCniConfig(config({ network: 'bad/name' })), CNI_ERR.INVALID_CONFIG, /^network/);
  cniCode(() => parseCniConfig(config({ agent: 'unix:///x' })), CNI_ERR.INVALID_CONFIG, /^agent/);
  cniCode(() => parseCniConfig(config({ agent: 'nope' })), CNI_ERR.INVALID_CONFIG, /^agent/);
  cniCode(() => parseCniConfig(config({ token: 5 })), CNI_ERR.INVALID_CONFIG, /^token/);
});

test('result shapes for 1.0.0 and the 0.x versions; ip -j addr parsing', () => {
  assert.deepEqual(cniResult(EP, '1.0.0', '/ns'), {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'eth0', mac: '0a:58:0a:01:00:05', sandbox: '/ns' }],
    ips: [{ address: '10.1.0.5/16', gateway: '10.1.0.1', interface: 0 }],
    routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }],
    dns: {},
  });
  assert.deepEqual((cniResult(EP, '0.4.0', '/ns').ips as object[])[0], {
    version: '4',
    address: '10.1.0.5/16',
    gateway: '10.1.0.1',
    interface: 0,
  });
  const ip = JSON.stringify([
    {
      ifname: 'eth0',
      address: '0a:58:0a:01:00:05',
      addr_info: [
        { family: 'inet', local: '10.1.0.5', prefixlen: 16 },
        { family: 'inet6', local: 'fe80::1', prefixlen: 64 },
      ],
    },
  ]);
  assert.deepEqual(parseIpAddrJson(ip), { mac: '0a:58:0a:01:00:05', addresses: ['10.1.0.5/16'] });
  assert.equal(parseIpAddrJson(''), undefined);
  assert.equal(parseIpAddrJson('[]'), undefined);
});

/** Fake I/O: an agent answering from `answers` (method -> response or thrown error), a netns view. */
function fakeDeps(
  answers: Record<string, { status: number; body?: unknown } | Error>,
  iface?: { mac: string; addresses: string[] },
) {
  const calls: { method: string; url: string; body: unknown; token?: string }[] = [];
  const deps: CniDeps = {
    request: async (method, url, body, token) => {
      calls.push({ method, url, body, ...(token ? { token } : {}) });
      const a = answers[method];
      if (a === undefined || a instanceof Error) throw a ?? new Error('no answer');
      return { status: a.status, body: a.body };
    },
    inspectIface: async () => iface,
  };
  return { deps, calls };
}
const out = (o: { stdout: string }) => JSON.parse(o.stdout);

test('ADD, DEL, CHECK, VERSION against a fake agent; failures as CNI error objects', async () => {
  {
    const { deps, calls } = fakeDeps({ POST: { status: 201, body: EP } });
    const r = await runCni(env('ADD', { CNI_ARGS: 'IP=10.1.0.5' }), config({ token: 'sekrit' }), deps);
    assert.equal(r.exitCode, 0);
    assert.deepEqual(out(r), cniResult(EP, '1.0.0', '/var/run/netns/ctr1'));
    assert.deepEqual(calls, [
      {
        method: 'POST',
        url: 'http://127.0.0.1:6675/api/v1/endpoints',
        body: {
          netns: '/var/run/netns/ctr1',
          containerId: 'ctr1',
          network: 'blue',
          ifname: 'eth0',
          address: '10.1.0.5',
        },
        token: 'sekrit',
      },
    ]);
  }
  const addFails = async (answer: { status: number; body?: unknown } | Error, code: number, msg: RegExp) => {
    const r = await runCni(env('ADD'), config({ cniVersion: '0.4.0' }), fakeDeps({ POST: answer }).deps);
    assert.equal(r.exitCode, 1);
    const e = out(r);
    assert.equal(e.cniVersion, '0.4.0');
    assert.equal(e.code, code, JSON.stringify(e));
    assert.match(e.msg, msg);
  };
  await addFails(
    Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    11,
    /not reachable/,
  );
  await addFails({ status: 503, body: { error: 'store_unavailable', detail: 'etcd down' } }, 11, /etcd down/);
  await addFails(
    { status: 404, body: { error: 'not_found', detail: 'network: no network named blue', field: 'network' } },
    7,
    /no network named blue/,
  );
  await addFails({ status: 409, body: { error: 'conflict', detail: 'address: in use' } }, 100, /in use/);
  await addFails(
    { status: 400, body: { error: 'validation', detail: 'netns: no such file', field: 'netns' } },
    4,
    /netns/,
  );

  for (const status of [200, 404]) {
    const { deps, calls } = fakeDeps({ DELETE: { status, body: { removed: [] } } });
    const r = await runCni(env('DEL', { CNI_NETNS: '' }), config(), deps);
    assert.deepEqual(r, { stdout: '', exitCode: 0 }, `DEL with the agent answering ${status}`);
    assert.equal(
      calls[0].url,
      'http://127.0.0.1:6675/api/v1/endpoints?containerId=ctr1&network=blue&ifname=eth0',
    );
  }
  const delDown = await runCni(env('DEL'), config(), fakeDeps({ DELETE: new Error('ECONNREFUSED') }).deps);
  assert.equal(out(delDown).code, 11);

  const good = { mac: '0A:58:0A:01:00:05', addresses: ['10.1.0.5/16'] };
  const checkWith = (list: unknown, iface: typeof good | null = good, over = {}) =>
    runCni(
      env('CHECK'),
      config(over),
      fakeDeps({ GET: { status: 200, body: list } }, iface ?? undefined).deps,
    );
  assert.deepEqual(await checkWith([EP]), { stdout: '', exitCode: 0 });
  assert.deepEqual(await checkWith([EP], good, { prevResult: cniResult(EP, '1.0.0', '/x') }), {
    stdout: '',
    exitCode: 0,
  });
  for (const [r, msg] of [
    [await checkWith([]), /no endpoint of container ctr1/],
    [await checkWith([{ ...EP, ifname: 'net1' }]), /no endpoint/],
    [await checkWith([EP], null), /no interface eth0/],
    [await checkWith([EP], { ...good, addresses: ['10.1.0.6/16'] }), /does not have 10\.1\.0\.5\/16/],
    [await checkWith([EP], { ...good, mac: '02:00:00:00:00:01' }), /MAC/],
    [await checkWith([EP], good, { prevResult: { ips: [{ address: '10.9.9.9/16' }] } }), /prevResult/],
  ] as const) {
    assert.equal(r.exitCode, 1);
    assert.equal(out(r).code, CNI_ERR.CHECK_FAILED);
    assert.match(out(r).msg, msg);
  }
  assert.equal(out(await checkWith([EP], good, { cniVersion: '0.3.1' })).code, CNI_ERR.INCOMPATIBLE_VERSION);

  const v = await runCni({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"0.4.0"}', fakeDeps({}).deps);
  assert.deepEqual(out(v), { cniVersion: '0.4.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0'] });
  assert.equal(out(await runCni({ CNI_COMMAND: 'VERSION' }, '', fakeDeps({}).deps)).cniVersion, '1.0.0');
  const bad = await runCni(env('ADD', { CNI_IFNAME: '' }), config(), fakeDeps({}).deps);
  assert.deepEqual([bad.exitCode, out(bad).code], [1, 4]);
});

/** Runs the built binary as a runtime would: env, config on stdin; returns exit code and parsed stdout. */
function runBinary(vars: Record<string, string>, stdin: string) {
  return new Promise<{ code: number; out: any }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN], { env: { PATH: process.env.PATH ?? '', ...vars } });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? -1, out: stdout.trim() === '' ? undefined : JSON.parse(stdout) }),
    );
    child.stdin.end(stdin);
  });
}

test('the sluice-cni binary against a tiny fake agent: ADD, CHECK, DEL, VERSION, bad config and env', async () => {
  const seen: { method: string; url: string; auth?: string; body: string }[] = [];
  const endpoints: Endpoint[] = [];
  const agent = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        body,
        ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
      });
      const reply = (status: number, v: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
      if (req.method === 'POST') {
        const b = JSON.parse(body);
        const ep = { ...EP, containerId: b.containerId, ifname: b.ifname, network: b.network };
        endpoints.push(ep);
        reply(201, ep);
      } else if (req.method === 'GET') reply(200, endpoints);
      else if (req.method === 'DELETE') reply(200, { removed: endpoints.splice(0) });
      else reply(405, {});
    });
  });
  await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(agent.address() as AddressInfo).port}`;
  try {
    const cfg = config({ agent: url, token: 'tok', network: 'blue' });
    const add = await runBinary(env('ADD'), cfg);
    assert.equal(add.code, 0, JSON.stringify(add.out));
    assert.deepEqual(add.out, cniResult(EP, '1.0.0', '/var/run/netns/ctr1'));
    assert.equal(seen[0].auth, 'Bearer tok');
    assert.deepEqual(JSON.parse(seen[0].body), {
      netns: '/var/run/netns/ctr1',
      containerId: 'ctr1',
      network: 'blue',
      ifname: 'eth0',
    });

    // CHECK finds the endpoint, then looks into the netns, which does not exist here.
    const check = await runBinary(env('CHECK', { CNI_NETNS: '/var/run/netns/sluice-cni-test-absent' }), cfg);
    assert.equal(check.code, 1);
    assert.equal(check.out.code, CNI_ERR.CHECK_FAILED);
    assert.match(check.out.msg, /no interface eth0/);

    const del = await runBinary(env('DEL'), cfg);
    assert.deepEqual(del, { code: 0, out: undefined });
    assert.equal(endpoints.length, 0);
    assert.deepEqual(
      await runBinary(env('DEL'), cfg),
      { code: 0, out: undefined },
      'DEL again: nothing left',
    );

    const version = await runBinary({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
    assert.deepEqual(version, {
      code: 0,
      out: { cniVersion: '1.0.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0'] },
    });

    const badConfig = await runBinary(env('ADD'), '{"cniVersion":');
    assert.equal(badConfig.code, 1);
    assert.equal(badConfig.out.code, CNI_ERR.DECODE_FAILURE);
    const badType = await runBinary(env('ADD'), config({ type: 'bridge' }));
    assert.deepEqual([badType.code, badType.out.code], [1, CNI_ERR.INVALID_CONFIG]);
    const badEnv = await runBinary(env('ADD', { CNI_CONTAINERID: '' }), cfg);
    assert.deepEqual([badEnv.code, badEnv.out.code], [1, CNI_ERR.INVALID_ENV]);
    assert.match(badEnv.out.msg, /CNI_CONTAINERID/);
  } finally {
    agent.closeAllConnections();
    await new Promise<void>((r) => agent.close(() => r()));
  }
  // The agent is gone: try again later.
  const down = await runBinary(env('ADD'), config({ agent: url }));
  assert.deepEqual([down.code, down.out.code], [1, CNI_ERR.TRY_AGAIN_LATER]);
  assert.match(down.out.msg, /not reachable/);
});
