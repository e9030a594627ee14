/**
 * What the browser tests of the dashboard's forms share: the set-up every one of them starts from (a
 * controller with a token, Mininet linear,2, a logged-in browser), and taking back the 4xx a test provoked
 * on purpose so that "no failed request" still holds for everything else.
 */
import assert from 'node:assert/strict';
import {
  ensureOvs,
  MininetNet,
  openBrowser,
  sluiceCommand,
  startController,
  type BrowserSession,
  type RunningController,
} from '../harness/index.js';
import { openLoggedIn } from './ui.js';

export const TOKEN = 'ui-forms-token-3b9e';
export const S1 = '00:00:00:00:00:00:00:01';

export interface FormsRig {
  ctl: RunningController;
  net: MininetNet;
  b: BrowserSession;
  stop(): Promise<void>;
}

/** Controller (API token), Mininet linear,2 over OpenFlow 1.3, and Chromium logged in at /ui/<path>. */
export async function startRig(path: string): Promise<FormsRig> {
  await ensureOvs();
  const ctl = await startController({ command: sluiceCommand(['--api-token', TOKEN]) });
  let net: MininetNet | undefined;
  let b: BrowserSession | undefined;
  const stop = async () => {
    await b?.close();
    await net?.stop();
    await ctl.stop();
  };
  try {
    net = await MininetNet.start({
      topo: 'linear,2',
      protocols: 'OpenFlow13',
      controllerPort: ctl.openflowPort,
    });
    b = await openBrowser();
    await openLoggedIn(b, ctl, path, TOKEN);
    // The login's own 401 (the probe before the token) is not the page's.
    b.resetProblems();
  } catch (err) {
    await stop();
    throw err;
  }
  return { ctl, net, b, stop };
}

/**
 * Takes back the one failed request `method path` answered `status` (a rejection the test caused on
 * purpose) and the console line Chromium logs for it; fails when there was none.
 */
export function takeBackRejection(b: BrowserSession, method: string, path: string, status: number): void {
  const i = b.failedRequests.findIndex((r) => {
    const m = /^(\S+) (\S+): (\S+)$/.exec(r);
    return m !== null && m[1] === method && new URL(m[2]).pathname === path && m[3] === String(status);
  });
  assert.ok(i >= 0, `a ${method} ${path} answered ${status} among ${JSON.stringify(b.failedRequests)}`);
  b.failedRequests.splice(i, 1);
  const j = b.consoleErrors.findIndex((e) => e.includes(`status of ${status}`) && e.includes(path));
  if (j >= 0) b.consoleErrors.splice(j, 1);
}

/** Nothing went wrong on the page beyond what was taken back. */
export function assertClean(b: BrowserSession): void {
  assert.deepEqual(b.consoleErrors, [], 'no console errors');
  assert.deepEqual(b.failedRequests, [], 'no failed requests');
}
