/**
 * The Mininet start's stall path, on real OVS and Mininet: the driver's build is made to hang exactly as Mininet
 * did (a 0x01 byte in a node command's output blocks Node.monitor() forever), and the harness must notice within
 * `stallAfterMs`, leave the stacks and process tree in the log, tear the attempt down and retry once; a second
 * stall fails the start and leaves nothing behind.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ensureOvs,
  isAlive,
  leftovers,
  MininetNet,
  MininetStallError,
  ovsTestControllerCommand,
  startController,
  type RunningController,
} from './harness/index.js';

const STALL_AFTER_MS = 3000;
let ctl: RunningController;

before(async () => {
  await ensureOvs();
  ctl = await startController({ command: ovsTestControllerCommand() });
});
after(async () => {
  await ctl?.stop();
});

test('a start whose build stalls once is diagnosed, torn down and retried, and the network works', async () => {
  const startedAt = Date.now();
  const net = await MininetNet.start({
    topo: 'linear,2',
    controllerPort: ctl.openflowPort,
    stallAfterMs: STALL_AFTER_MS,
    simulateStall: 'once',
  });
  try {
    const stalled = net.stalledAttempt;
    assert.ok(stalled instanceof MininetStallError, 'the first attempt is reported as stalled');
    assert.match(stalled.phase, /building linear,2/);
    // faulthandler's dump of the stuck main thread names the Mininet call it blocks in.
    assert.match(stalled.log, /most recent call first/);
    assert.match(stalled.log, /mininet\/node\.py", line \d+ in monitor/);
    assert.match(stalled.log, /STALLED: no progress for 3\.0 s/);
    assert.match(stalled.log, /process tree:\n\s*PID\s+PPID/);
    assert.match(stalled.log, /mininet:c0/, 'the stuck controller shell is in the process tree');
    assert.match(stalled.log, /ovs-vsctl show \(exit 0\)/);
    assert.ok(Date.now() - startedAt < 60_000, 'recovered well within the 60 s start timeout');
    assert.equal((await net.pingallUntil(0, 20_000)).lossPct, 0);
  } finally {
    await net.stop();
  }
});

test('a start that stalls on the retry too fails with the stall, and leaves nothing behind', async () => {
  const error = await MininetNet.start({
    topo: 'linear,2',
    controllerPort: ctl.openflowPort,
    stallAfterMs: STALL_AFTER_MS,
    simulateStall: 'always',
  }).then(
    async (net) => {
      await net.stop();
      return undefined;
    },
    (e: unknown) => e,
  );
  assert.ok(error instanceof MininetStallError, `a MininetStallError, got ${String(error)}`);
  assert.match(error.log, /in monitor/);
  const left = await leftovers();
  assert.deepEqual(
    { ...left, processes: left.processes.filter((p) => !p.startsWith('ovs-testcontroller')) },
    { mininets: [], processes: [], bridges: [], namespaces: [], interfaces: [], accounts: [] },
  );
  assert.ok(isAlive(ctl.proc.pid!), 'the controller is untouched');
});

test('a controller whose HELLO wins the race with the port check does not hang the build', async (t) => {
  // Mininet checked a RemoteController's port with `echo A | telnet -e A IP PORT` in a node shell. On a busy
  // machine the "A" came late, telnet printed Sluice's HELLO (0x01 bytes) and Node.monitor() blocked forever.
  // A telnet whose input is 1 s late makes that race certain; the driver must not depend on it.
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'sit-slow-telnet-'));
  t.after(() => fs.rmSync(bin, { recursive: true, force: true }));
  fs.writeFileSync(path.join(bin, 'telnet'), '#!/bin/sh\n{ sleep 1; cat; } | /usr/bin/telnet "$@"\n', {
    mode: 0o755,
  });
  const sluice = await startController();
  t.after(() => sluice.stop());
  const net = await MininetNet.start({
    topo: 'linear,2',
    controllerPort: sluice.openflowPort,
    stallAfterMs: 10_000,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
  });
  try {
    assert.equal(net.stalledAttempt, undefined, 'the first attempt did not stall');
    assert.equal(net.switches.length, 2);
  } finally {
    await net.stop();
  }
});
