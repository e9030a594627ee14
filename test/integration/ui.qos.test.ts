/**
 * The QoS page in Chromium against `sluice controller` and Mininet linear,2 (OpenFlow 1.3): QoS enabled from
 * the page; a queuing policy added in the form is listed with where it is placed and its flow is on s1
 * (ovs-ofctl dump-flows), a malformed address comes back as the API's error next to the field; a service
 * and a path (listed with its hops) are added and deleted. No console error and no failed request beyond
 * that rejection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dumpFlows, waitFor } from './harness/index.js';
import { assertClean, S1, startRig, takeBackRejection, type FormsRig } from './helpers/forms.js';
import { waitForShown } from './helpers/ui.js';

let rig: FormsRig;

before(async () => {
  rig = await startRig('qos');
});

after(async () => {
  await rig?.stop();
});

/** QoS flows carry the qos app's cookie (0x6 in the top bits). */
const qosFlowOnS1 = (pred: (line: string) => boolean, what: string, present = true) =>
  waitFor(
    async () =>
      (await dumpFlows('s1')).some((l) => /cookie=0x6[0-9a-f]{12}\b/.test(l) && pred(l)) === present,
    {
      what: `${what} ${present ? 'on' : 'gone from'} s1`,
      timeoutMs: 15_000,
      detail: async () => (await dumpFlows('s1')).join('\n'),
    },
  );

test('QoS: enable, a policy from the form on the switch, a bad address named, services and paths', async () => {
  const { b, ctl, net } = rig;
  const page = b.page;

  await waitForShown(b, ctl, 'the QoS switch', () => page.getByTestId('enabled').innerText(), /disabled/);
  await page.getByRole('button', { name: 'Enable QoS' }).click();
  await waitForShown(b, ctl, 'the QoS switch', () => page.getByTestId('enabled').innerText(), /enabled/);

  const policy = page.getByRole('form', { name: 'QoS policy' });
  const input = (name: string) => policy.locator(`[name="${name}"]`);
  await policy.getByLabel('Does').selectOption('queue');
  await input('name').fill('ui-queue');
  await waitFor(async () => (await input('sw').locator('option').count()) === 4, {
    what: 'all, none and both switches offered',
    timeoutMs: 10_000,
  });
  await input('sw').selectOption(S1);
  await input('ip-dst').fill('10.0.0.999');
  await input('queue').fill('1');
  await input('enqueue-port').fill('2');
  await policy.getByRole('button', { name: 'Add policy' }).click();
  await waitForShown(
    b,
    ctl,
    'the ip-dst error',
    () => page.getByTestId('field-error-ip-dst').innerText(),
    /10\.0\.0\.999/,
  );
  takeBackRejection(b, 'POST', '/api/v1/qos/policies', 400);
  await b.screenshot('qos-field-error');

  await input('ip-dst').fill('10.0.0.2');
  await policy.getByRole('button', { name: 'Add policy' }).click();
  const row = page.getByTestId('qos-policies').locator('tr[data-name="ui-queue"]');
  await waitForShown(b, ctl, 'the ui-queue policy', () => row.innerText(), new RegExp(`${S1} → port 2`));
  await qosFlowOnS1((l) => /nw_dst=10\.0\.0\.2.*actions=set_queue:1/.test(l), 'the ui-queue flow');

  // A service, and a path between the hosts (once they are known) listed with its hops.
  const service = page.getByRole('form', { name: 'QoS service' });
  await service.locator('[name="name"]').fill('Expedited');
  await service.locator('[name="tos"]').fill('184');
  await service.getByRole('button', { name: 'Add service' }).click();
  await waitForShown(
    b,
    ctl,
    'the service',
    () => page.getByTestId('qos-services').innerText(),
    /Expedited\s+184 \(DSCP 46\)/,
  );

  await net.pingallUntil(0, 20_000);
  const path = page.getByRole('form', { name: 'QoS path' });
  await path.locator('[name="name"]').fill('ui-path');
  await path.locator('[name="src-ip"]').fill('10.0.0.1');
  await path.locator('[name="dst-ip"]').fill('10.0.0.2');
  await path.locator('[name="rate-kbps"]').fill('2000');
  await path.getByRole('button', { name: 'Add path' }).click();
  const pathRow = page.getByTestId('qos-paths').locator('tr[data-name="ui-path"]');
  const shown = await waitForShown(
    b,
    ctl,
    'the ui-path hops',
    () => pathRow.innerText(),
    /active[\s\S]*:02: port \d+ → \d+/,
  );
  assert.match(shown, /00:00:00:00:00:00:00:01: port 1 → 2/);
  await b.screenshot('qos');

  await pathRow.getByRole('button', { name: 'Delete' }).click();
  await waitFor(async () => (await pathRow.count()) === 0, { what: 'the path to go', timeoutMs: 10_000 });
  await row.getByRole('button', { name: 'Delete' }).click();
  await waitFor(async () => (await row.count()) === 0, { what: 'the policy to go', timeoutMs: 10_000 });
  await qosFlowOnS1((l) => l.includes('set_queue:1'), 'the ui-queue flow', false);
  assertClean(b);
});
