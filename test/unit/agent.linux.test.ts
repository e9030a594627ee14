import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IFNAME_MAX, endpointId } from '../../src/agent/endpoints.js';
import {
  LinkError,
  LinuxNet,
  VETH_PREFIX,
  netnsPath,
  vethNames,
  vxlanName,
  type Runner,
} from '../../src/agent/linux.js';

/** A runner that records command lines and answers from a script (by a prefix of the line). */
function fakeRunner(answers: [prefix: string, reply: { stdout?: string; stderr?: string }][] = []) {
  const lines: string[] = [];
  const run: Runner = async (file, args) => {
    const line = [file, ...args].join(' ');
    lines.push(line);
    const hit = answers.find(([p]) => line.startsWith(p));
    if (hit?.[1].stderr !== undefined) throw Object.assign(new Error('exit 1'), { stderr: hit[1].stderr });
    return { stdout: hit?.[1].stdout ?? '' };
  };
  return { run, lines };
}

test('veth names: deterministic, distinct per endpoint, at most 15 characters', () => {
  const ids = [
    endpointId('c1', 'n1', 'eth0'),
    endpointId('c1', 'n2', 'eth0'),
    endpointId('c1', 'n1', 'eth1'),
    endpointId('x'.repeat(128), 'n1', 'eth0'),
  ];
  const names = ids.map(vethNames);
  for (const n of names) {
    assert.ok(n.host.length <= IFNAME_MAX && n.peer.length <= IFNAME_MAX, JSON.stringify(n));
    assert.ok(n.host.startsWith(VETH_PREFIX));
    assert.notEqual(n.host, n.peer);
  }
  assert.deepEqual(vethNames(ids[1]), names[1]);
  assert.equal(new Set(names.map((n) => n.host)).size, ids.length);
  assert.throws(() => vethNames(''), RangeError);
  assert.throws(() => vethNames('not/an/id-at-all'), RangeError);
});

test('vxlan names carry the VNI and fit; bad VNIs are refused', () => {
  assert.equal(vxlanName(42), 'slx42');
  assert.ok(vxlanName(16_777_215).length <= IFNAME_MAX);
  for (const bad of [0, -1, 16_777_216, 1.5]) assert.throws(() => vxlanName(bad), /vni/);
});

test('netns paths: a pid, or an absolute path', () => {
  assert.equal(netnsPath({ pid: 42 }), '/proc/42/ns/net');
  assert.equal(netnsPath({ path: '/var/run/netns/x' }), '/var/run/netns/x');
  assert.throws(() => netnsPath({ path: 'x' }), /absolute/);
  assert.throws(() => netnsPath({ pid: 0 }), /pid/);
});

const portOnly = (i: string) =>
  `sysctl -q -e -w net/ipv4/conf/${i}/arp_ignore=8 net/ipv4/conf/${i}/forwarding=0 net/ipv6/conf/${i}/disable_ipv6=1`;

test('createVeth: the pair, tx offload off on both ends, host end out of IP and up', async () => {
  const { run, lines } = fakeRunner();
  await new LinuxNet(run).createVeth('slvabc', 'slpabc', 1450);
  assert.deepEqual(lines, [
    'ip link add slvabc mtu 1450 type veth peer name slpabc mtu 1450',
    'ethtool -K slvabc tx off',
    'ethtool -K slpabc tx off',
    portOnly('slvabc'),
    'ip link set slvabc up',
  ]);
});

test('createVeth: the peer MAC in the same command; replace removes a pair left behind, else EEXIST fails', async () => {
  const exists = { stderr: 'RTNETLINK answers: File exists' };
  const add = 'ip link add slvabc mtu 1450 type veth peer name slpabc mtu 1450 address 0a:58:0a:01:00:02';
  let first = true;
  const lines: string[] = [];
  const run: Runner = async (file, args) => {
    const line = [file, ...args].join(' ');
    lines.push(line);
    if (line === add && first) {
      first = false;
      throw Object.assign(new Error('exit 2'), exists);
    }
    return { stdout: '' };
  };
  await new LinuxNet(run).createVeth('slvabc', 'slpabc', 1450, {
    peerMac: '0a:58:0a:01:00:02',
    replace: true,
  });
  assert.deepEqual(lines, [
    add,
    'ip link del slvabc',
    'ip link del slpabc',
    add,
    'ethtool -K slvabc tx off',
    'ethtool -K slpabc tx off',
    portOnly('slvabc'),
    'ip link set slvabc up',
  ]);
  const plain = fakeRunner([['ip link add', exists]]);
  const err = await new LinuxNet(plain.run).createVeth('slvabc', 'slpabc', 1450).catch((e: unknown) => e);
  assert.ok(err instanceof LinkError && /File exists/.test(err.stderr));
  assert.equal(plain.lines.length, 1);
});

test('createVeth: a failure after the pair exists removes it; the error names the interface and stderr', async () => {
  const { run, lines } = fakeRunner([['ethtool -K slpabc', { stderr: 'Cannot get device features' }]]);
  const err = await new LinuxNet(run).createVeth('slvabc', 'slpabc', 1450).catch((e: unknown) => e);
  assert.ok(err instanceof LinkError);
  assert.equal(err.iface, 'slpabc');
  assert.equal(err.stderr, 'Cannot get device features');
  assert.match(err.message, /^slpabc: 'ethtool -K slpabc tx off' failed: Cannot get device features/);
  assert.equal(lines.at(-1), 'ip link del slvabc');
});

test('createVeth refuses names Linux would refuse', async () => {
  const { run, lines } = fakeRunner();
  await assert.rejects(new LinuxNet(run).createVeth('a'.repeat(16), 'p', 1450), /interface name/);
  await assert.rejects(new LinuxNet(run).createVeth('a b', 'p', 1450), /interface name/);
  assert.deepEqual(lines, []);
});

test('plugIntoNetns: moved by pid or path, then set up inside with nsenter', async () => {
  const { run, lines } = fakeRunner();
  const c = { ifname: 'eth0', mac: '0a:58:0a:01:00:02', mtu: 1450, cidr: '10.1.0.2/16', gateway: '10.1.0.1' };
  await new LinuxNet(run).plugIntoNetns('slpabc', { pid: 123 }, c);
  const ns = 'nsenter --net=/proc/123/ns/net';
  assert.deepEqual(lines, [
    'ip link set slpabc netns 123',
    `${ns} ip link set slpabc name eth0`,
    `${ns} ip link set eth0 address 0a:58:0a:01:00:02 mtu 1450`,
    `${ns} ethtool -K eth0 tx off`,
    `${ns} ip addr replace 10.1.0.2/16 dev eth0`,
    `${ns} ip link set eth0 up`,
    `${ns} ip route replace default via 10.1.0.1 dev eth0`,
  ]);
  const other = fakeRunner();
  await new LinuxNet(other.run).plugIntoNetns(
    'slpabc',
    { path: '/var/run/netns/c1' },
    { ...c, gateway: undefined },
  );
  assert.equal(other.lines[0], 'ip link set slpabc netns /var/run/netns/c1');
  assert.ok(
    other.lines.every((l) => !l.includes('route')),
    'no gateway: no route',
  );
});

test('plugIntoNetns: a failure inside names the interface and carries stderr', async () => {
  const { run } = fakeRunner([
    [
      'nsenter --net=/proc/9/ns/net ip addr',
      { stderr: 'Error: any valid prefix is expected rather than "x".' },
    ],
  ]);
  const c = { ifname: 'eth0', mac: '0a:58:0a:01:00:02', mtu: 1450, cidr: 'x' };
  await assert.rejects(
    new LinuxNet(run).plugIntoNetns('slpabc', { pid: 9 }, c),
    (e: unknown) => e instanceof LinkError && e.iface === 'eth0' && /valid prefix/.test(e.stderr),
  );
});

test('deleteLink: no error when the link is already gone, an error otherwise', async () => {
  const gone = fakeRunner([['ip link del', { stderr: 'Cannot find device "slvx"' }]]);
  await new LinuxNet(gone.run).deleteLink('slvx');
  const busy = fakeRunner([['ip link del', { stderr: 'RTNETLINK answers: Operation not permitted' }]]);
  await assert.rejects(new LinuxNet(busy.run).deleteLink('slvx'), LinkError);
});

test('listLinks and routeDestinations read ip -j output', async () => {
  const { run } = fakeRunner([
    [
      'ip -j link show',
      { stdout: JSON.stringify([{ ifname: 'lo' }, { ifname: 'slv1' }, { ifname: 'slv2' }]) },
    ],
    ['ip -j -4 route show', { stdout: JSON.stringify([{ dst: 'default' }, { dst: '172.17.0.0/16' }]) }],
  ]);
  const linux = new LinuxNet(run);
  assert.deepEqual(await linux.listLinks('slv'), ['slv1', 'slv2']);
  assert.deepEqual(await linux.routeDestinations(), ['default', '172.17.0.0/16']);
  const bad = fakeRunner([['ip -j link show', { stdout: 'not json' }]]);
  await assert.rejects(new LinuxNet(bad.run).listLinks('slv'), LinkError);
});

const SPEC = { vni: 42, underlayIp: '192.168.77.1', underlayIface: 'ul0', mtu: 1450 };
const vxlanShown = (data: object) =>
  JSON.stringify([{ ifname: 'slx42', linkinfo: { info_kind: 'vxlan', info_data: data } }]);

test('ensureVxlan: creates a missing device (nolearning, port 4789), sets MTU, up, tx off, out of IP', async () => {
  const { run, lines } = fakeRunner([['ip -j -d link show', { stderr: 'Device "slx42" does not exist.' }]]);
  assert.equal(await new LinuxNet(run).ensureVxlan(SPEC), 'slx42');
  assert.deepEqual(lines.slice(1), [
    'ip link add slx42 type vxlan id 42 dstport 4789 local 192.168.77.1 dev ul0 nolearning',
    'ip link set slx42 mtu 1450 up',
    'ethtool -K slx42 tx off',
    portOnly('slx42'),
  ]);
});

test('ensureVxlan: keeps a matching device, re-creates one that differs', async () => {
  const same = fakeRunner([
    [
      'ip -j -d link show',
      { stdout: vxlanShown({ id: 42, local: '192.168.77.1', link: 'ul0', port: 4789 }) },
    ],
  ]);
  await new LinuxNet(same.run).ensureVxlan(SPEC);
  assert.ok(!same.lines.some((l) => l.startsWith('ip link add') || l.startsWith('ip link del')));
  const moved = fakeRunner([
    [
      'ip -j -d link show',
      { stdout: vxlanShown({ id: 42, local: '192.168.77.9', link: 'ul0', port: 4789 }) },
    ],
  ]);
  await new LinuxNet(moved.run).ensureVxlan(SPEC);
  assert.deepEqual(moved.lines.slice(1, 3), [
    'ip link del slx42',
    'ip link add slx42 type vxlan id 42 dstport 4789 local 192.168.77.1 dev ul0 nolearning',
  ]);
});

test('FDB: flood and per-MAC entries; removing an absent one is no error; listFdb reads bridge -j', async () => {
  const { run, lines } = fakeRunner([
    ['bridge fdb del', { stderr: 'RTNETLINK answers: No such file or directory' }],
    [
      'bridge -j fdb show',
      {
        stdout: JSON.stringify([
          { mac: '0a:58:0a:01:00:09', dst: '192.168.77.2', state: 'permanent' },
          { mac: '00:00:00:00:00:00', dst: '192.168.77.3' },
          { mac: 'c2:6a:4c:94:9d:cc', state: 'permanent' },
        ]),
      },
    ],
  ]);
  const linux = new LinuxNet(run);
  await linux.addFloodPeer('slx42', '192.168.77.2');
  await linux.setRemoteMac('slx42', '0a:58:0a:01:00:09', '192.168.77.2');
  await linux.removeRemoteMac('slx42', '0a:58:0a:01:00:07');
  await linux.removeFloodPeer('slx42', '192.168.77.9');
  assert.deepEqual(lines, [
    'bridge fdb append 00:00:00:00:00:00 dev slx42 dst 192.168.77.2',
    'bridge fdb replace 0a:58:0a:01:00:09 dev slx42 dst 192.168.77.2',
    'bridge fdb del 0a:58:0a:01:00:07 dev slx42',
    'bridge fdb del 00:00:00:00:00:00 dev slx42 dst 192.168.77.9',
  ]);
  assert.deepEqual(await linux.listFdb('slx42'), [
    { mac: '0a:58:0a:01:00:09', dst: '192.168.77.2' },
    { mac: '00:00:00:00:00:00', dst: '192.168.77.3' },
  ]);
});
