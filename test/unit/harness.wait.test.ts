import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { canConnect, freePort } from '../integration/harness/index.js';
import { waitFor, WaitTimeoutError } from '../support/wait.js';

test('waitFor returns the first truthy value and treats throws as "not yet"', async () => {
  let calls = 0;
  const v = await waitFor(
    () => {
      calls++;
      if (calls === 1) throw new Error('not ready');
      return calls === 3 ? { ready: calls } : undefined;
    },
    { what: 'the third call', intervalMs: 1 },
  );
  assert.deepEqual(v, { ready: 3 });
});

test('waitFor times out naming what it waited for, the last error and the detail', async () => {
  await assert.rejects(
    waitFor(
      () => {
        throw new Error('connection refused');
      },
      { what: 'the API to answer', timeoutMs: 30, intervalMs: 5, detail: () => 'log tail here' },
    ),
    (e: unknown) =>
      e instanceof WaitTimeoutError &&
      /waiting for the API to answer; last error: connection refused\nlog tail here$/.test(e.message),
  );
});

test('freePort gives a port that can be bound; canConnect sees a listener', async () => {
  const port = await freePort();
  assert.equal(await canConnect(port), false);
  const srv = net.createServer().listen(port, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  assert.equal(await canConnect(port), true);
  await new Promise((r) => srv.close(r));
});
