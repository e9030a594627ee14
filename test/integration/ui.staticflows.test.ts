/**
 * The static flows page in Chromium against `sluice controller` and Mininet linear,2 (OpenFlow 1.3): an entry
 * added through the form lands on the switch (ovs-ofctl dump-flows), an edit replaces it, a delete removes
 * it; a port the switch lacks and a malformed address come back as the API's error next to the field it
 * names. No console error and no failed request beyond those two rejections.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dumpFlows, waitFor } from './harness/index.js';
import {
  assertNoPageProblems,
  S1,
  startFormsRig,
  takeBackRejection,
  waitForShown,
  type UiRig,
} from './helpers/ui.js';

let rig: UiRig;

before(async () => {
  rig = await startFormsRig('staticflows');
});

after(async () => {
  await rig?.stop();
});

const flowOnS1 = (pred: (line: string) => boolean, what: string, present = true) =>
  waitFor(async () => (await dumpFlows('s1')).some(pred) === present, {
    what: `${what} ${present ? 'on' : 'gone from'} s1`,
    timeoutMs: 15_000,
    detail: async () => (await dumpFlows('s1')).join('\n'),
  });

test('add, reject, edit and delete a static flow through the form', async () => {
  const { b, ctl } = rig;
  const page = b.page;
  const form = page.getByRole('form', { name: 'Static flow' });
  const input = (name: string) => form.locator(`input[name="${name}"]`);

  // Both switches offered; s1 speaks OpenFlow 1.3, so its OXM fields are offered, and its ports.
  await waitFor(async () => (await form.locator('select[name="switch"] option').count()) === 2, {
    what: 'two switches in the form',
    timeoutMs: 20_000,
  });
  await form.locator('select[name="switch"]').selectOption(S1);
  await waitForShown(
    b,
    ctl,
    'the switch label',
    () => form.locator('[data-field=switch] .field-label').innerText(),
    /OpenFlow 1\.3/,
  );
  assert.equal(await input('ip_dscp').count(), 1, 'OpenFlow 1.3 offers ip_dscp');
  await waitFor(async () => (await form.locator('datalist#suggest-in_port option').count()) >= 2, {
    what: "s1's ports offered for in_port",
    timeoutMs: 10_000,
  });

  // A port s1 does not have: the API's error under in_port.
  await input('name').fill('ui-flow');
  await input('priority').fill('40000');
  await input('in_port').fill('9');
  await input('eth_type').fill('0x0800');
  await input('ipv4_dst').fill('10.0.0.2');
  await input('actions').fill('output=2');
  await form.getByRole('button', { name: 'Add flow' }).click();
  const portError = await waitForShown(
    b,
    ctl,
    'the in_port error',
    () => page.getByTestId('field-error-in_port').innerText(),
    /no port 9/,
  );
  assert.match(portError, /it has .*1.*2/);
  takeBackRejection(b, 'POST', '/api/v1/staticflows', 400);

  // A malformed address: the error moves to ipv4_dst.
  await input('in_port').fill('1');
  await input('ipv4_dst').fill('10.0.0.999');
  await form.getByRole('button', { name: 'Add flow' }).click();
  await waitForShown(
    b,
    ctl,
    'the ipv4_dst error',
    () => page.getByTestId('field-error-ipv4_dst').innerText(),
    /10\.0\.0\.999/,
  );
  assert.equal(await page.getByTestId('field-error-in_port').count(), 0, 'in_port is no longer marked');
  takeBackRejection(b, 'POST', '/api/v1/staticflows', 400);
  await b.screenshot('staticflows-field-error');

  await input('ipv4_dst').fill('10.0.0.2');
  await form.getByRole('button', { name: 'Add flow' }).click();
  const row = page.locator('tr[data-name="ui-flow"]');
  await waitForShown(b, ctl, 'the ui-flow row', () => row.innerText(), /installed/);
  await flowOnS1(
    (l) => /priority=40000,ip,in_port=1,nw_dst=10\.0\.0\.2 actions=output:2/.test(l),
    'the ui-flow flow',
  );

  // Edit: the form takes the entry, the save replaces it (same name, new priority).
  await row.getByRole('button', { name: 'Edit' }).click();
  assert.equal(await input('ipv4_dst').inputValue(), '10.0.0.2');
  await input('priority').fill('40001');
  await form.getByRole('button', { name: 'Save' }).click();
  await flowOnS1((l) => /priority=40001,ip,in_port=1,nw_dst=10\.0\.0\.2/.test(l), 'the edited flow');
  await flowOnS1((l) => l.includes('priority=40000'), 'the old flow', false);
  await waitForShown(b, ctl, 'the edited row', () => row.innerText(), /priority=40001/);
  await b.screenshot('staticflows');

  await row.getByRole('button', { name: 'Delete' }).click();
  await waitFor(async () => (await row.count()) === 0, { what: 'the ui-flow row to go', timeoutMs: 10_000 });
  await flowOnS1((l) => l.includes('priority=40001'), 'the deleted flow', false);

  assertNoPageProblems(b);
});
