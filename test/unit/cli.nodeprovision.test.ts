/**
 * `sluice node provision` end to end on a scripted node (provision.fakenode.ts) against a small HTTP server
 * answering the routes provisioning uses (stored description, cluster, PKI, transport nodes): the progress
 * lines, a second run that changes nothing, a dry run, a failure that names its step, shows the output and
 * what was undone (exit 1), --json, and the command line's own checks (exit 2 naming file and field).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run.js';
import type { ProvisionResult } from '../../src/provision/index.js';
import type {
  ControlCluster,
  NodeDescription,
  TransportNode,
  TransportNodeRegistration,
} from '../../src/schema/index.js';
import { tempDir } from './apps.testctx.js';
import { recordingIo } from './cli.io.js';
import {
  CLUSTER as cluster,
  HV1 as hv1,
  fakeCa,
  fakeNode,
  freshState,
  type FakeCa,
  type FakeNode,
} from './provision.fakenode.js';

/** The controller's routes that provisioning calls, over real HTTP; `stored` is what `node apply` left. */
function fakeController(ca: FakeCa) {
  const stored = new Map<string, NodeDescription>([['hv1', hv1]]);
  const registrations = new Map<string, TransportNode>();
  let storedCluster: ControlCluster | undefined = cluster;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      const notFound = (detail: string) => send(404, { error: 'not_found', detail });
      const url = req.url ?? '';
      const node = /^\/api\/v1\/nodes\/([^/]+)$/.exec(url);
      const tn = /^\/api\/v1\/transport-nodes\/([^/]+)$/.exec(url);
      const when = new Date(0).toISOString();
      if (node && req.method === 'GET') {
        const d = stored.get(node[1]);
        return d
          ? send(200, { name: d.name, revision: 1, updated: when, description: d })
          : notFound('no node');
      }
      if (url === '/api/v1/cluster/description' && req.method === 'GET')
        return storedCluster
          ? send(200, { revision: 1, updated: when, description: storedCluster })
          : notFound('no cluster');
      if (url === '/api/v1/pki/ca') return send(200, ca.ca);
      if (url === '/api/v1/pki/sign' && req.method === 'POST') {
        const r = JSON.parse(body) as { node: string; csr: string };
        return send(200, ca.sign(r.node, r.csr));
      }
      if (tn && req.method === 'GET')
        return registrations.has(tn[1]) ? send(200, registrations.get(tn[1])) : notFound('not registered');
      if (tn && req.method === 'PUT') {
        const reg = JSON.parse(body) as TransportNodeRegistration;
        const t: TransportNode = {
          name: tn[1],
          ...reg,
          registered: when,
          ovsdb: { connected: false },
          openflow: { connected: false },
          tunnels: [],
        };
        registrations.set(tn[1], t);
        return send(200, t);
      }
      if (tn && req.method === 'DELETE') {
        registrations.delete(tn[1]);
        return send(200, { deleted: tn[1] });
      }
      send(404, { error: 'not_found', detail: `no route ${req.method} ${url}` });
    });
  });
  return {
    server,
    stored,
    registrations,
    setCluster(c: ControlCluster | undefined) {
      storedCluster = c;
    },
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
}

let ca: FakeCa;
let ctl: ReturnType<typeof fakeController>;
const dir = tempDir('sluice-provcli-');
const file = (name: string, body: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
  return path;
};

before(async () => {
  ca = fakeCa();
  ctl = fakeController(ca);
  await new Promise<void>((r) => ctl.server.listen(0, '127.0.0.1', r));
});
after(async () => {
  await new Promise((r) => ctl.server.close(r));
  ca.remove();
});

async function run(argv: string[], node: FakeNode, extra: Parameters<typeof recordingIo>[1] = {}) {
  const seen: NodeDescription[] = [];
  const r = recordingIo(
    {},
    {
      nodeExecutor: async (d) => {
        seen.push(d);
        return node;
      },
      ...extra,
    },
  );
  const code = await runCli(['node', 'provision', ...argv, '--api', ctl.url()], r.cli);
  return { code, out: r.out(), err: r.err(), seen };
}

test('provision: a line per step as the seed printed it; a second run says nothing to change', async () => {
  ctl.registrations.clear();
  const node = fakeNode();
  const first = await run(['hv1'], node);
  assert.equal(first.code, 0, first.err);
  const lines = first.out.split('\n');
  assert.equal(lines[0], 'Provisioning hv1 (hypervisor, zone tz1) on fake');
  assert.deepEqual(
    lines.filter((l) => l.startsWith('[')),
    [
      '[1/8] Open vSwitch is installed and running ... changed',
      "[2/8] Node key and certificate signed by the cluster's CA ... changed",
      '[3/8] Open vSwitch uses the node certificate (set-ssl) ... changed',
      '[4/8] Integration bridge ... changed',
      '[5/8] Data bridge with the data interface ... changed',
      '[6/8] OVSDB manager: the control cluster over SSL ... changed',
      '[7/8] OpenFlow controller of the integration bridge over SSL ... changed',
      '[8/8] Registered with the control cluster ... changed',
    ],
  );
  assert.match(first.out, /\n {6}create br-int\n/);
  assert.match(first.out, /\n {6}add manager ssl:10\.0\.0\.254:6640\n/);
  assert.doesNotMatch(first.out, /Sending…/, 'commands only with --verbose');
  assert.equal(lines.at(-2), 'hv1: provisioned (8 of 8 steps changed)');
  assert.equal(ctl.registrations.get('hv1')?.transport_zone, 'tz1');
  assert.deepEqual(node.state.managers, ['ssl:10.0.0.254:6640']);

  const second = await run(['hv1', '--verbose'], node);
  assert.equal(second.code, 0, second.err);
  assert.equal(second.out.split('\n').filter((l) => l.endsWith('... ok')).length, 8);
  assert.doesNotMatch(second.out, /Sending…/);
  assert.match(second.out, /\nhv1: nothing to change \(all 8 steps already as described\)\n$/);
});

test('--verbose shows each command sent, under its step', async () => {
  ctl.registrations.clear();
  const r = await run(['hv1', '--verbose'], fakeNode());
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    /\[3\/8\] Open vSwitch uses the node certificate \(set-ssl\) \.\.\. changed\n {6}set SSL key, certificate and CA\n {2}Sending… ovs-vsctl --db=unix:\/var\/run\/openvswitch\/db\.sock --timeout=10 set-ssl \/etc\/openvswitch\/sluice-privkey\.pem /,
  );
  assert.match(r.out, / {2}Sending… PUT \/api\/v1\/transport-nodes\/hv1\n/);
});

test('--dry-run prints the plan and changes neither the node nor the controller', async () => {
  ctl.registrations.clear();
  const node = fakeNode();
  const before = JSON.stringify(node.state);
  const r = await run(['hv1', '--dry-run'], node);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Provisioning hv1 \(hypervisor, zone tz1\) on fake: dry run\n/);
  assert.match(r.out, /\[6\/8\] OVSDB manager: the control cluster over SSL \.\.\. would change\n/);
  assert.match(r.out, / {8}would send: ovs-vsctl .* set-manager ssl:10\.0\.0\.254:6640\n/);
  assert.match(r.out, /\nhv1: dry run: 8 of 8 steps would change; nothing was changed\n$/);
  assert.equal(JSON.stringify(node.state), before);
  assert.equal(ctl.registrations.size, 0);
});

test('a failure names the step, shows the output and what was undone; exit 1; --json has the result', async () => {
  ctl.registrations.clear();
  const failing = () => {
    const node = fakeNode();
    node.failWhen((argv) => argv.includes('set-manager'), {
      code: 1,
      stdout: '',
      stderr: 'ovs-vsctl: unix:/var/run/openvswitch/db.sock: database connection failed (Connection refused)',
    });
    return node;
  };
  const node = failing();
  const before = JSON.stringify(node.state);
  const r = await run(['hv1'], node);
  assert.equal(r.code, 1);
  assert.match(r.out, /\[6\/8\] OVSDB manager: the control cluster over SSL \.\.\. FAILED\n/);
  assert.match(
    r.out,
    /\n {6}output:\n {8}\| ovs-vsctl: unix:\/var\/run\/openvswitch\/db\.sock: database connection failed/,
  );
  assert.match(
    r.out,
    /\n {2}undone: add eth1 to br-eth1\n {2}undone: create br-eth1\n {2}undone: create br-int\n/,
  );
  assert.doesNotMatch(r.out, /\[7\/8\]/);
  assert.equal(
    r.err,
    'error: hv1: step 6/8 (manager) failed; the 6 changes this run made were undone: the node is as it was\n',
  );
  assert.equal(JSON.stringify(node.state), before);
  assert.equal(ctl.registrations.size, 0);

  const j = await run(['hv1', '--json'], failing());
  assert.equal(j.code, 1);
  assert.equal(j.err, '');
  const result = JSON.parse(j.out) as ProvisionResult;
  assert.equal(result.ok, false);
  assert.equal(result.steps[5].status, 'failed');
  assert.match(result.steps[5].output!, /database connection failed/);
  assert.deepEqual(result.rollback, { undone: 6, failures: [] });
});

test('--json prints the ProvisionResult and nothing else', async () => {
  ctl.registrations.clear();
  const r = await run(['hv1', '--json'], fakeNode());
  assert.equal(r.code, 0, r.err);
  const result = JSON.parse(r.out) as ProvisionResult;
  assert.equal(result.node, 'hv1');
  assert.equal(result.ok, true);
  assert.equal(result.changed, true);
  assert.equal(result.steps.length, 8);
});

test('--file: the node and cluster from a document or a single node, checked naming file and field', async () => {
  ctl.registrations.clear();
  const other: ControlCluster = { controllers: [{ address: '10.9.9.9', ovsdb_port: 16640 }] };
  const doc = file('doc.json', { cluster: other, nodes: [{ ...hv1, name: 'hv7', transport_zone: 'tz7' }] });
  const node = fakeNode();
  const r = await run(['hv7', '--file', doc], node);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.seen[0].transport_zone, 'tz7');
  assert.deepEqual(node.state.managers, ['ssl:10.9.9.9:16640'], "the file's cluster");

  // One node without a cluster: the controller's cluster.
  const single = file('one.json', { ...hv1, name: 'hv8' });
  const node8 = fakeNode();
  const r8 = await run(['hv8', '--file', single], node8);
  assert.equal(r8.code, 0, r8.err);
  assert.deepEqual(node8.state.managers, ['ssl:10.0.0.254:6640']);

  const bad = file('bad.json', { nodes: [{ ...hv1, data_interface: 'eth 1' }] });
  const rb = await run(['hv1', '--file', bad], fakeNode());
  assert.equal(rb.code, 2);
  assert.equal(
    rb.err,
    `error: ${bad}: nodes[0].data_interface: "eth 1" is not an interface name: 1 to 15 letters, digits, ".", "_", ":" or "-".\n`,
  );
  const misspelt = file('misspelt.json', { ...hv1, data_interfce: 'eth1' });
  const rm = await run(['hv1', '--file', misspelt], fakeNode());
  assert.equal(rm.code, 2);
  assert.match(rm.err, /misspelt\.json: data_interfce: unknown key \(check its spelling\)/);
  const rn = await run(['hv9', '--file', doc], fakeNode());
  assert.equal(rn.code, 2);
  assert.match(rn.err, /doc\.json has no node named hv9 \(it has hv7\)/);
  const rj = await run(['hv1', '--file', file('broken.json', '{"nodes": [')], fakeNode());
  assert.equal(rj.code, 2);
  assert.match(rj.err, /broken\.json: not valid JSON/);
  const rmissing = await run(['hv1', '--file', join(dir, 'nope.json')], fakeNode());
  assert.equal(rmissing.code, 2);
  assert.match(rmissing.err, /cannot read .*nope\.json: ENOENT/);
});

test('without a stored description or cluster: what to apply', async () => {
  const r = await run(['hv5'], fakeNode());
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /the controller has no description of node hv5: apply one \(sluice node apply FILE\) or give --file FILE/,
  );
  ctl.setCluster(undefined);
  try {
    const rc = await run(['hv1'], fakeNode());
    assert.equal(rc.code, 1);
    assert.match(rc.err, /the controller has no cluster description: apply a file with a "cluster" section/);
  } finally {
    ctl.setCluster(cluster);
  }
});

test('the command line: a bad name or fingerprint, and SSH secrets for a local node, are exit 2', async () => {
  const bad = await run(['no/slash'], fakeNode());
  assert.equal(bad.code, 2);
  assert.match(bad.err, /'no\/slash' is not a node name/);
  const fp = await run(['hv1', '--accept-host-key', 'MD5:aa:bb'], fakeNode());
  assert.equal(fp.code, 2);
  assert.match(fp.err, /'MD5:aa:bb' is not a SHA256 key fingerprint/);
  // Without the injected executor the real choice is made: a local node refuses SSH secrets.
  const r = recordingIo({}, { readStdin: async () => 'pw\npw\n' });
  const code = await runCli(['node', 'provision', 'hv1', '--sudo-password-stdin', '--api', ctl.url()], r.cli);
  assert.equal(code, 2);
  assert.match(r.err(), /node hv1 is provisioned on this machine \(access "local"\): --password-stdin/);
});

test('an SSH node without a key file needs a password: from stdin, else a terminal, else a clear error', async () => {
  ctl.stored.set('hv2', { ...hv1, name: 'hv2', access: { kind: 'ssh', user: 'labadmin' } });
  try {
    const r = recordingIo({});
    const code = await runCli(['node', 'provision', 'hv2', '--api', ctl.url()], r.cli);
    assert.equal(code, 2);
    assert.match(r.err(), /node hv2's access has no key_file: give the SSH password with --password-stdin/);
    const short = recordingIo({}, { readStdin: async () => 'only-one\n' });
    const code2 = await runCli(
      ['node', 'provision', 'hv2', '--password-stdin', '--sudo-password-stdin', '--api', ctl.url()],
      short.cli,
    );
    assert.equal(code2, 2);
    assert.match(short.err(), /--sudo-password-stdin: standard input has no sudo password line/);
  } finally {
    ctl.stored.delete('hv2');
  }
});

test('the progress of a state the node was left in by hand: only what differs', async () => {
  ctl.registrations.clear();
  const node = fakeNode(freshState());
  assert.equal((await run(['hv1'], node)).code, 0);
  node.state.bridges['br-int'].failMode = 'standalone';
  const r = await run(['hv1'], node);
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    /\[4\/8\] Integration bridge \.\.\. changed\n {6}fail mode secure \(was standalone\)\n/,
  );
  assert.match(r.out, /\nhv1: provisioned \(1 of 8 steps changed\)\n$/);
});
