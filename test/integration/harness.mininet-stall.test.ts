/**
 * The Mininet start's stall path, on real OVS and Mininet: the driver's build is made to hang exactly as Mininet
 * did (a 0x01 byte in a node command's output blocks Node.monitor() forever), and the harness must notice within
 * `stallAfterMs`, leave the stacks and process tree in the log, tear the attempt down and retry once; a second
 * stall fails the start and leaves nothing behind.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
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
    { mininets: [], processes: [], bridges: [], namespaces: [], interfaces: [] },
  );
  assert.ok(isAlive(ctl.proc.pid!), 'the controller is untouched');
});
