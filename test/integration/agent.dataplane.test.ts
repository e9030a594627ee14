/**
 * The agent's dataplane on real parts: a Controller with AGENT_PIPELINE and the overlay app programs a
 * userspace OVS bridge (OpenFlow 1.3, fail_mode secure); three network namespaces plumbed with LinuxNet are
 * the containers, two in network A and one in network B, B's address in A's subnet so that only the flows
 * keep them apart. Also LinuxNet's VXLAN calls against the kernel, in a namespace of their own.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, type Logger, type SwitchReconcile } from '../../src/controller/index.js';
import type { Store } from '../../src/store/index.js';
import {
  AGENT_PIPELINE,
  LinuxNet,
  OverlayApp,
  endpointId,
  execFileRunner,
  vethNames,
  type BridgeView,
  type Runner,
} from '../../src/agent/index.js';
import {
  addTestBridge,
  deleteBridge,
  ofctl,
  ensureOvs,
  freePort,
  run,
  runOk,
  vsctl,
  waitFor,
} from './harness/index.js';

const errors: string[] = [];
const log: Logger = {
  debug: () => {},
  info: () => {},
  warn: (o, m) => errors.push(`warn ${m} ${JSON.stringify(o, (_k, v: unknown) => String(v))}`),
  error: (o, m) => errors.push(`error ${m} ${JSON.stringify(o, (_k, v: unknown) => String(v))}`),
};

const BRIDGE = 'sitdp0';
const A = 3101;
const B = 3102;
interface Box {
  ns: string;
  vni: number;
  ip: string;
  mac: string;
  host: string;
  peer: string;
  ofport?: number;
}
const boxes: Box[] = [
  { ns: 'sit-dpc1', vni: A, ip: '10.31.0.2' },
  { ns: 'sit-dpc2', vni: A, ip: '10.31.0.3' },
  { ns: 'sit-dpc3', vni: B, ip: '10.31.0.4' },
].map((b) => {
  const id = endpointId(b.ns, String(b.vni), 'eth0');
  const mac = `0a:58:${b.ip
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .join(':')}`;
  return { ...b, mac, ...vethNames(id) };
});
const [c1, c2, c3] = boxes;

const linux = new LinuxNet();
const overlay = new OverlayApp();
let controller: Controller;

function view(): BridgeView {
  return {
    networks: [{ vni: A }, { vni: B }],
    local: boxes.map((b) => ({ ofport: b.ofport!, mac: b.mac, ip: b.ip, vni: b.vni })),
    remote: [],
  };
}

function failures(runs: SwitchReconcile[]): string[] {
  return runs.flatMap((r) => [
    ...(r.failure ? [r.failure.message] : []),
    ...r.flows.filter((f) => f.error).map((f) => `${f.op}: ${f.error!.message}`),
  ]);
}

const inNs = (ns: string, args: string[]) => run('ip', ['netns', 'exec', ns, ...args], { timeoutMs: 20_000 });
const ping = (from: Box, to: string, extra: string[] = []) =>
  inNs(from.ns, ['ping', '-c', '2', '-i', '0.2', '-W', '1', ...extra, to]);

before(async () => {
  await ensureOvs();
  const port = await freePort();
  controller = new Controller({
    listen: [{ host: '127.0.0.1', port }],
    log,
    store: {} as Store,
    versions: [4],
    pipeline: AGENT_PIPELINE,
  });
  controller.use(overlay);
  await controller.start();
  await addTestBridge(BRIDGE, {
    protocols: 'OpenFlow13',
    failMode: 'secure',
    controllers: [`tcp:127.0.0.1:${port}`],
  });
  await waitFor(() => controller.switches.size === 1 || undefined, { what: `${BRIDGE} to connect` });
  // The empty view's drops are in before any container is plugged (so none of its packets reach us).
  assert.deepEqual(failures(await overlay.setView(view0())), []);
  for (const b of boxes) {
    await runOk('ip', ['netns', 'add', b.ns]);
    await linux.createVeth(b.host, b.peer, 1450);
    await vsctl('add-port', BRIDGE, b.host);
    await linux.plugIntoNetns(
      b.peer,
      { path: `/var/run/netns/${b.ns}` },
      { ifname: 'eth0', mac: b.mac, mtu: 1450, cidr: `${b.ip}/24` },
    );
    b.ofport = await waitFor(
      async () => {
        const n = Number(await vsctl('get', 'interface', b.host, 'ofport'));
        return n > 0 ? n : undefined;
      },
      { what: `an ofport for ${b.host}` },
    );
  }
  assert.deepEqual(failures(await overlay.setView(view())), []);
});

function view0(): BridgeView {
  return { networks: [], local: [], remote: [] };
}

after(async () => {
  await controller?.stop();
  await deleteBridge(BRIDGE);
  for (const b of boxes) {
    await linux.deleteLink(b.host);
    await run('ip', ['netns', 'del', b.ns]);
  }
});

test('containers of one network reach each other, a 1400-byte ping included', async () => {
  const r = await ping(c1, c2.ip);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const big = await ping(c2, c1.ip, ['-M', 'do', '-s', '1400']);
  assert.equal(big.code, 0, big.stdout + big.stderr);
});

test('ARP for a known address is answered by a flow (the responder counted it)', async () => {
  await inNs(c1.ns, ['ip', 'neigh', 'flush', 'dev', 'eth0']);
  assert.equal((await ping(c1, c2.ip)).code, 0);
  const neigh = await runOk('ip', ['netns', 'exec', c1.ns, 'ip', 'neigh', 'show', c2.ip]);
  assert.match(neigh, new RegExp(c2.mac));
  await waitFor(
    async () => {
      const out = await ofctl(['dump-flows', BRIDGE, `table=1,arp,arp_op=1,arp_tpa=${c2.ip}`]);
      return Number(/n_packets=(\d+)/.exec(out)?.[1] ?? 0) > 0 || undefined;
    },
    { what: 'the ARP responder flow for c2 to count a packet' },
  );
});

test('a container of another network is unreachable, though in the same subnet', async () => {
  const r = await ping(c1, c3.ip);
  assert.notEqual(r.code, 0, `c1 reached c3 across networks:\n${r.stdout}`);
  const back = await ping(c3, c1.ip);
  assert.notEqual(back.code, 0, `c3 reached c1 across networks:\n${back.stdout}`);
});

test('a spoofed source MAC or address is dropped; the real one passes again', async () => {
  // Another address on c1's interface, used as the source: dropped at classify.
  await runOk('ip', ['netns', 'exec', c1.ns, 'ip', 'addr', 'add', '10.31.0.99/24', 'dev', 'eth0']);
  const ipSpoof = await ping(c1, c2.ip, ['-I', '10.31.0.99']);
  await runOk('ip', ['netns', 'exec', c1.ns, 'ip', 'addr', 'del', '10.31.0.99/24', 'dev', 'eth0']);
  assert.notEqual(ipSpoof.code, 0, `a spoofed source address got through:\n${ipSpoof.stdout}`);

  await runOk('ip', ['netns', 'exec', c1.ns, 'ip', 'link', 'set', 'eth0', 'address', '0a:58:0a:1f:00:63']);
  const macSpoof = await ping(c1, c2.ip);
  await runOk('ip', ['netns', 'exec', c1.ns, 'ip', 'link', 'set', 'eth0', 'address', c1.mac]);
  assert.notEqual(macSpoof.code, 0, `a spoofed source MAC got through:\n${macSpoof.stdout}`);

  const again = await ping(c1, c2.ip);
  assert.equal(again.code, 0, again.stdout + again.stderr);
});

test('the bridge holds the view: reconciling it again sends nothing, and nothing came to the controller', async () => {
  const runs = await overlay.setView(view());
  assert.equal(runs.length, 1);
  assert.deepEqual(
    runs[0].flows.map((f) => `${f.op} ${f.flow.tableId}/${f.flow.priority}`),
    [],
    'OVS reports every flow back as it was sent (ARP responder actions included)',
  );
  assert.equal(controller.metrics.packetIn, 0);
  assert.deepEqual(errors, []);
});

// -------------------------------------------------------------------------------------------------------
// VXLAN devices and their FDB, in a namespace of their own with a veth as the underlay.

test('LinuxNet VXLAN: one device per VNI, kept when it matches, flood and per-MAC entries', async () => {
  const ns = 'sit-dpvx';
  const inside: Runner = (file, args) => execFileRunner('ip', ['netns', 'exec', ns, file, ...args]);
  const net = new LinuxNet(inside);
  await runOk('ip', ['netns', 'add', ns]);
  try {
    const x = (...args: string[]) => runOk('ip', ['netns', 'exec', ns, ...args]);
    await x('ip', 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul1');
    await x('ip', 'addr', 'add', '192.168.77.1/24', 'dev', 'ul0');
    await x('ip', 'link', 'set', 'ul0', 'up');
    const spec = { vni: 4242, underlayIp: '192.168.77.1', underlayIface: 'ul0', mtu: 1450 };
    const dev = await net.ensureVxlan(spec);
    const index = async () =>
      (JSON.parse(await x('ip', '-j', 'link', 'show', dev)) as { ifindex: number }[])[0];
    const first = await index();
    assert.equal(await net.ensureVxlan(spec), dev);
    assert.deepEqual(await index(), first, 'a matching device is kept');
    const details = await x('ip', '-d', 'link', 'show', dev);
    assert.match(details, /mtu 1450 /);
    assert.match(details, /vxlan id 4242 local 192\.168\.77\.1 dev ul0 .*dstport 4789 nolearning/);
    assert.match(await x('ethtool', '-k', dev), /tx-checksumming: off/);

    await net.addFloodPeer(dev, '192.168.77.2');
    await net.addFloodPeer(dev, '192.168.77.2');
    await net.addFloodPeer(dev, '192.168.77.3');
    await net.setRemoteMac(dev, '0a:58:0a:01:00:09', '192.168.77.2');
    await net.setRemoteMac(dev, '0a:58:0a:01:00:09', '192.168.77.3');
    const sorted = async () => (await net.listFdb(dev)).map((e) => `${e.mac} ${e.dst}`).sort();
    assert.deepEqual(await sorted(), [
      '00:00:00:00:00:00 192.168.77.2',
      '00:00:00:00:00:00 192.168.77.3',
      '0a:58:0a:01:00:09 192.168.77.3',
    ]);
    await net.removeRemoteMac(dev, '0a:58:0a:01:00:09');
    await net.removeRemoteMac(dev, '0a:58:0a:01:00:09');
    await net.removeFloodPeer(dev, '192.168.77.2');
    assert.deepEqual(await sorted(), ['00:00:00:00:00:00 192.168.77.3']);

    // The kernel refuses a second device of the VNI on the same port: why there is one device per VNI.
    const dup = await run('ip', [
      'netns', 'exec', ns, 'ip', 'link', 'add', 'vxdup', 'type', 'vxlan', 'id', '4242', 'dstport', '4789',
      'remote', '192.168.77.2', 'dev', 'ul0',
    ]); // prettier-ignore
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /exists/);

    // Moved to another address: re-created.
    await x('ip', 'addr', 'add', '192.168.77.5/24', 'dev', 'ul0');
    await net.ensureVxlan({ ...spec, underlayIp: '192.168.77.5' });
    assert.match(await x('ip', '-d', 'link', 'show', dev), /local 192\.168\.77\.5 /);
    await net.deleteVxlan(4242);
    await net.deleteVxlan(4242);
    assert.deepEqual(await net.listLinks('slx'), []);
  } finally {
    await run('ip', ['netns', 'del', ns]);
  }
});
