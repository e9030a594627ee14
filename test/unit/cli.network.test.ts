import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createAgentApiServer } from '../../src/api/index.js';
import { dockerBinary, labelArg, networksText, endpointsText } from '../../src/cli/network.js';
import { runCli } from '../../src/cli/run.js';
import { FakeOps } from './agent.fakeops.js';
import { closedPort } from './api.fakes.js';
import { recordingIo } from './cli.io.js';

/** An agent API over FakeOps on a real port; `sluice` runs a command line against it. */
async function agent(t: { after(fn: () => Promise<void>): void }, token?: string) {
  const { ops, close } = FakeOps.open();
  const api = await createAgentApiServer({ ops, version: '1.2.3', auth: { token } });
  await api.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await api.close();
    await close();
  });
  const url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  const execs: { file: string; args: readonly string[]; env: Record<string, string | undefined> }[] = [];
  const sluice = async (args: string[], env: Record<string, string> = {}, dockerCode = 0) => {
    const io = recordingIo(
      { SLUICE_AGENT: url, ...env },
      {
        now: () => Date.parse('2026-12-04T00:05:00Z'),
        exec: async (file, a, e) => {
          execs.push({ file, args: a, env: e });
          return dockerCode;
        },
        exists: (p) => p === '/usr/bin/docker',
      },
    );
    const code = await runCli(args, io.cli);
    return { code, out: io.out(), err: io.err() };
  };
  return { ops, url, sluice, execs };
}

test('parsers and tables', () => {
  assert.deepEqual(labelArg('b=2', labelArg('a=1', undefined)), { a: '1', b: '2' });
  assert.throws(() => labelArg('nokey', undefined), /'nokey' is not KEY=VALUE/);
  assert.throws(() => labelArg('a=2', { a: '1' }), /label 'a' is given twice/);
  assert.equal(
    dockerBinary(() => true),
    '/usr/bin/docker',
  );
  assert.equal(
    dockerBinary(() => false),
    'docker',
  );
  assert.equal(
    networksText([
      {
        id: 'i',
        name: 'red',
        subnet: '10.5.0.0/24',
        gateway: '10.5.0.1',
        vni: 7,
        mtu: 1450,
        labels: { a: 'b' },
        nat: false,
      },
    ]),
    'NETWORK   SUBNET        GATEWAY    VNI   MTU    NAT   LABELS\nred       10.5.0.0/24   10.5.0.1   7     1450   no    a=b\n',
  );
  assert.equal(endpointsText([]), 'CONTAINER   NETWORK   ADDRESS   MAC   INTERFACE   HOST   HOST IFACE\n');
});

test('network create (Socketplane’s form and options), list, info, hosts, delete', async (t) => {
  const { sluice, ops } = await agent(t);
  const made = await sluice(['network', 'create', 'red', '10.5.0.0/24', '--vni', '7', '--label', 'team=a']);
  assert.equal(made.code, 0, made.err);
  assert.match(
    made.out,
    /^NETWORK\s+SUBNET.*\nred\s+10\.5\.0\.0\/24\s+10\.5\.0\.1\s+7\s+1450\s+no\s+team=a\n$/,
  );
  const dflt = await sluice(['network', 'create', 'blue', '--mtu', '1400', '--json']);
  assert.equal(dflt.code, 0, dflt.err);
  assert.equal(JSON.parse(dflt.out).subnet, '10.1.0.0/16');
  assert.deepEqual(ops.calls.at(-1), ['createNetwork', { name: 'blue', mtu: 1400 }]);
  const natted = await sluice(['network', 'create', 'green', '10.7.0.0/24', '--nat']);
  assert.equal(natted.code, 0, natted.err);
  assert.deepEqual(ops.calls.at(-1), ['createNetwork', { name: 'green', subnet: '10.7.0.0/24', nat: true }]);
  assert.match(natted.out, /\ngreen\s+10\.7\.0\.0\/24\s+\S+\s+\d+\s+1450\s+yes\s+-\n$/);

  const list = await sluice(['network', 'list']);
  assert.deepEqual(
    list.out
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[0]),
    ['NETWORK', 'blue', 'green', 'red'],
  );
  const info = await sluice(['network', 'info', 'red']);
  assert.match(info.out, /^Name:\s+red\n/);
  assert.match(info.out, /\nVNI:\s+7\n/);
  assert.match(info.out, /\nNAT:\s+no\n/);
  assert.match(info.out, /\nEndpoints:\s+0\n$/);
  const hosts = await sluice(['network', 'hosts']);
  assert.match(hosts.out, /^HOST\s+HOSTNAME\s+UNDERLAY\s+BRIDGE\s+VERSION\s+STARTED\n/);
  assert.match(hosts.out, /\nh1\s+node-1\s+10\.99\.0\.1\s+sluice0\s+1\.2\.3\s+5 minutes ago\n/);
  assert.equal((await sluice(['network', 'delete', 'blue'])).out, 'blue\n');
  assert.equal((await sluice(['network', 'ls', '--json'])).out.includes('"blue"'), false);
});

test('attach, info, detach; delete refused while attached unless --force', async (t) => {
  const { sluice } = await agent(t);
  await sluice(['network', 'create', 'red', '10.5.0.0/24']);
  const att = await sluice(['attach', 'web', 'red', '--ip', '10.5.0.9']);
  assert.equal(att.code, 0, att.err);
  assert.match(att.out, /\nweb\s+red\s+10\.5\.0\.9\/24\s+0a:58:\S+\s+eth0\s+h1\s+sv0123456789a\n/);
  await sluice(['attach', 'db', 'red']);
  const all = await sluice(['info']);
  assert.equal(all.out.trim().split('\n').length, 3);
  const one = await sluice(['info', 'db', '--json']);
  assert.deepEqual(
    JSON.parse(one.out).map((e: { containerName: string }) => e.containerName),
    ['db'],
  );
  const busy = await sluice(['network', 'delete', 'red']);
  assert.equal(busy.code, 1);
  assert.match(busy.err, /^error: conflict: name: network red has endpoints.*\(field: name\)\n$/);
  const det = await sluice(['detach', 'web', 'red']);
  assert.equal(det.code, 0, det.err);
  assert.match(det.out, /\nweb\s+red\s+10\.5\.0\.9\/24/);
  assert.equal((await sluice(['network', 'delete', 'red', '--force'])).code, 0);
});

test('run -n NET: the docker network first, then docker run with the args untouched and its exit code', async (t) => {
  const { sluice, execs, ops } = await agent(t);
  await sluice(['network', 'create', 'red', '10.5.0.0/24']);
  const dockerArgs = ['-d', '--name', 'w', 'busybox', 'httpd', '-f'];
  const r = await sluice(['run', '-n', 'red', '--ip', '10.5.0.5', ...dockerArgs]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(ops.calls.at(-1), ['ensureDockerNetwork', 'red']);
  assert.deepEqual(execs[0].file, '/usr/bin/docker');
  assert.deepEqual(execs[0].args, ['run', '--network', 'red', '--ip', '10.5.0.5', ...dockerArgs]);
  const failed = await sluice(
    ['run', '-n', 'red', '--docker-host', 'unix:///h2.sock', '-it', 'busybox'],
    {},
    125,
  );
  assert.equal(failed.code, 125, 'docker’s exit code');
  assert.equal(execs[1].env.DOCKER_HOST, 'unix:///h2.sock');
  const unknown = await sluice(['run', '-n', 'blue', 'busybox']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /not_found: network: no network named blue \(field: network\)/);
  assert.equal(execs.length, 2, 'docker is not run for an unknown network');
});

test('bad paths: bad CIDR and unknown network exit 1 naming the field; bad arguments exit 2', async (t) => {
  const { sluice } = await agent(t, 'secret-token');
  const auth = ['--token', 'secret-token'];
  const cidr = await sluice(['network', 'create', 'x', '10.5.0.0/33', ...auth]);
  assert.equal(cidr.code, 1);
  assert.match(cidr.err, /^error: validation: .*prefix length.*\(field: subnet\)\n$/);
  const info = await sluice(['network', 'info', 'nope'], { SLUICE_AGENT_TOKEN: 'secret-token' });
  assert.equal(info.code, 1);
  assert.match(info.err, /not_found: name: no network named nope \(field: name\)/);
  const attach = await sluice(['attach', 'web', 'nope', ...auth]);
  assert.match(attach.err, /\(field: network\)/);
  const unauth = await sluice(['network', 'list']);
  assert.equal(unauth.code, 1);
  assert.match(unauth.err, /unauthorized/);
  const usage: [string[], RegExp][] = [
    [['network', 'create'], /missing required argument 'name'/],
    [['network', 'create', 'x', '--vni', '0'], /'0' is not a VNI/],
    [['network', 'create', 'x', '--mtu', 'big'], /'big' is not an MTU/],
    [['network', 'create', 'x', '--label', 'oops'], /'oops' is not KEY=VALUE/],
    [['attach', 'web'], /missing required argument 'network'/],
    [['attach', 'web', 'red', '--ip', '10.5.0'], /'10.5.0' is not an IPv4 address/],
    [['run', 'busybox'], /required option '-n, --network <net>' not specified/],
    [['run', '-n', 'red'], /missing required argument 'docker-args'/],
    [['network', 'list', '--agent', 'ftp://x'], /must use http or https/],
  ];
  for (const [args, want] of usage) {
    const r = await sluice(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, want, args.join(' '));
  }
  const badEnv = await sluice(['network', 'list'], { SLUICE_AGENT: 'nope' });
  assert.equal(badEnv.code, 2);
  assert.match(badEnv.err, /SLUICE_AGENT: 'nope' is not a URL/);
});

test('an agent that is not running: say how to start it', async () => {
  const io = recordingIo({ SLUICE_AGENT: `http://127.0.0.1:${await closedPort()}` });
  assert.equal(await runCli(['network', 'list'], io.cli), 1);
  assert.match(
    io.err(),
    /^error: the Sluice agent is not running at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)\.\n/,
  );
  assert.match(io.err(), /Start it on this host with `sluice agent`/);
  const help = recordingIo();
  assert.equal(await runCli(['network', '--help'], help.cli), 0);
  assert.match(help.out(), /create \[options\] <name> \[cidr\]/);
});
