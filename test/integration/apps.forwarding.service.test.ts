/**
 * A service address (virtual IP) in forwarding on real OVS (userspace datapath) and Mininet: h2 and h3 run a
 * TCP server that answers each line with its own name; 10.0.0.100:8080 is a service whose member is h2, then
 * h3. h1 reaches the address by ARP and TCP as it would a host; a new connection follows the member change
 * while a connection opened before it stays on h2. OpenFlow 1.0 and 1.3 (the rewrites are SET_DL/NW_* on 1.0,
 * set_field on 1.3).
 *
 * The controller runs in this process with the daemon's core apps, so the test drives the ForwardingApp handle
 * the host-aware app will use.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Controller, type Logger } from '../../src/controller/index.js';
import { coreApps } from '../../src/daemon/index.js';
import type { ForwardingApp } from '../../src/apps/forwarding/index.js';
import type { Store } from '../../src/store/index.js';
import { ensureOvs, freePort, MininetNet, waitFor } from './harness/index.js';

const PY = '/usr/bin/python3';
const VIP = '10.0.0.100';
const SVC = 'it:web';

/** One line in, the host's name out, per line, per connection (threads: connections overlap). */
const SERVER = `
import socket, sys, threading
name = sys.argv[1].encode() + b"\\n"
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080))
s.listen(64)
def serve(c):
    for _ in c.makefile("rb"):
        c.sendall(name)
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`;

/** One connection, one line: prints who answered. */
const CLIENT = `
import socket
c = socket.create_connection(("${VIP}", 8080), timeout=3)
c.sendall(b"who\\n")
print(c.makefile("rb").readline().decode().strip())
`;

/**
 * A connection kept open across the member change: the first answer goes to DIR/first; once DIR/go exists the
 * same connection asks again and the answer goes to DIR/second.
 */
const LONG_CLIENT = `
import os, socket, sys, time
d = sys.argv[1]
c = socket.create_connection(("${VIP}", 8080), timeout=10)
f = c.makefile("rb")
c.sendall(b"who\\n")
open(d + "/first.tmp", "w").write(f.readline().decode().strip())
os.rename(d + "/first.tmp", d + "/first")
while not os.path.exists(d + "/go"):
    time.sleep(0.05)
c.sendall(b"who\\n")
open(d + "/second.tmp", "w").write(f.readline().decode().strip())
os.rename(d + "/second.tmp", d + "/second")
`;

const lines: string[] = [];
const log: Logger = {
  debug: () => {},
  info: () => {},
  warn: (o, m) =>
    lines.push(
      `warn ${m} ${JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}`,
    ),
  error: (o, m) =>
    lines.push(
      `error ${m} ${JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}`,
    ),
};

function readIf(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

for (const protocols of ['OpenFlow10', 'OpenFlow13'] as const) {
  describe(`service address over ${protocols}`, () => {
    let ctl: Controller | undefined;
    let net: MininetNet | undefined;
    let dir: string | undefined;

    before(async () => {
      await ensureOvs();
    });
    afterEach(async () => {
      await net?.stop();
      await ctl?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
      net = ctl = dir = undefined;
    });
    after(async () => {
      await net?.stop();
      await ctl?.stop();
    });

    test('h1 reaches 10.0.0.100:8080 on h2, then new connections on h3; an open one stays on h2', async () => {
      const port = await freePort();
      const apps = coreApps();
      const fwd: ForwardingApp = apps.forwarding;
      ctl = new Controller({ listen: [{ host: '127.0.0.1', port }], log, store: {} as Store });
      for (const app of apps.all) ctl.use(app);
      await ctl.start();
      net = await MininetNet.start({ topo: 'linear,3', protocols, controllerPort: port });
      const n = net;
      await waitFor(() => apps.topology.links().length === 2, {
        what: 'the 2 links of linear,3',
        timeoutMs: 20_000,
      });
      const [h2, h3] = [n.host('h2'), n.host('h3')];
      await n.bg('h2', [PY, '-c', SERVER, 'h2']);
      await n.bg('h3', [PY, '-c', SERVER, 'h3']);
      fwd.setService({ id: SVC, ip: VIP, port: 8080, member: { ip: h2.ip } });

      // The members have sent nothing yet: the controller finds h2 by ARP, and the server may still be
      // starting; each try is a fresh connection.
      const ask = async () => {
        const r = await n.exec('h1', [PY, '-c', CLIENT], { timeoutMs: 10_000 });
        return r.code === 0 ? r.stdout.trim() : undefined;
      };
      const first = await waitFor(ask, {
        what: `an answer from ${VIP}:8080`,
        timeoutMs: 15_000,
        intervalMs: 200,
        detail: async () => `controller log:\n${lines.slice(-20).join('\n')}`,
      });
      assert.equal(first, 'h2');
      assert.equal(fwd.services()[0].mac, '02:5c:0a:00:00:64');

      // A connection that stays open over the change.
      dir = mkdtempSync(path.join(tmpdir(), 'sluice-it-svc-'));
      const d = dir;
      const long = await n.bg('h1', [PY, '-c', LONG_CLIENT, d]);
      assert.equal(
        await waitFor(() => readIf(path.join(d, 'first')), {
          what: 'the long connection',
          timeoutMs: 10_000,
        }),
        'h2',
      );

      assert.equal(fwd.setServiceMember(SVC, { ip: h3.ip }), true);
      assert.equal(await ask(), 'h3', 'a new connection goes to the new member at once');
      writeFileSync(path.join(d, 'go'), '');
      const second = await waitFor(() => readIf(path.join(d, 'second')), {
        what: 'the long connection to answer again',
        timeoutMs: 10_000,
        detail: async () => JSON.stringify(await long.kill()),
      });
      assert.equal(second, 'h2', 'the open connection stays on its member');
      assert.ok(fwd.services()[0].connections >= 2);

      assert.equal(fwd.clearService(SVC), true);
      assert.equal(await ask(), undefined, 'nothing answers once the service is gone');
    });
  });
}
