/**
 * The firewall & ACL page in Chromium against `sluice controller` and Mininet linear,2 (OpenFlow 1.3): the
 * firewall enabled from the page with an allow-everything rule lets h1 ping h2; a deny rule for h1 -> h2
 * added in the form stops the ping and shows its flows (by the rule's cookie tag); deleting it brings the
 * ping back. A malformed address comes back as the API's error next to the field; ACL rules are added and
 * deleted. No console error and no failed request beyond that rejection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './harness/index.js';
import { pingOk } from './helpers/mininet.js';
import {
  assertNoPageProblems,
  startFormsRig,
  takeBackRejection,
  waitForShown,
  type UiRig,
} from './helpers/ui.js';

let rig: UiRig;

before(async () => {
  rig = await startFormsRig('firewall');
});

after(async () => {
  await rig?.stop();
});

const ping = (want: boolean, what: string) =>
  waitFor(async () => (await pingOk(rig.net, 'h1', 'h2')) === want, { what, timeoutMs: 20_000 });

test('firewall: enable, allow, deny h1 -> h2 in the form (the ping stops), delete (it resumes)', async () => {
  const { b, ctl } = rig;
  const page = b.page;
  const form = page.getByRole('form', { name: 'Firewall rule' });
  const input = (name: string) => form.locator(`[name="${name}"]`);
  const rows = page.getByTestId('firewall-rules').locator('tbody tr');

  await waitForShown(
    b,
    ctl,
    'the firewall switch',
    () => page.getByTestId('enabled').innerText(),
    /disabled/,
  );
  await page.getByRole('button', { name: 'Enable firewall' }).click();
  await waitForShown(b, ctl, 'the firewall switch', () => page.getByTestId('enabled').innerText(), /enabled/);

  // Allow everything (evaluated last), so the ping works through the enabled firewall.
  await input('priority').fill('100');
  await form.getByRole('button', { name: 'Add rule' }).click();
  await waitFor(async () => (await rows.count()) === 1, { what: 'the allow rule listed', timeoutMs: 10_000 });
  await ping(true, 'h1 pings h2 through the allow rule');

  // A malformed address: the API's error under src-ip, no rule added.
  await input('src-ip').fill('10.0.0.999');
  await input('action').selectOption('deny');
  await form.getByRole('button', { name: 'Add rule' }).click();
  await waitForShown(
    b,
    ctl,
    'the src-ip error',
    () => page.getByTestId('field-error-src-ip').innerText(),
    /10\.0\.0\.999/,
  );
  takeBackRejection(b, 'POST', '/api/v1/firewall/rules', 400);
  assert.equal(await rows.count(), 1);

  await input('src-ip').fill('10.0.0.1/32');
  await input('dst-ip').fill('10.0.0.2/32');
  await input('nw-proto').selectOption('ICMP');
  await input('priority').fill('0');
  await form.getByRole('button', { name: 'Add rule' }).click();
  const deny = rows.filter({ hasText: 'src-ip=10.0.0.1/32' });
  await waitFor(async () => (await deny.count()) === 1, { what: 'the deny rule listed', timeoutMs: 10_000 });
  await ping(false, "h1's ping to h2 to stop");
  // The drop flow the rule caused shows under it (matched by its cookie tag).
  const ruleid = await deny.getAttribute('data-ruleid');
  await waitForShown(
    b,
    ctl,
    'the deny rule flows',
    () => page.getByTestId(`rule-flows-${ruleid}`).innerText(),
    /[1-9]\d* flows?/,
  );
  await page.getByTestId(`rule-flows-${ruleid}`).locator('summary').click();
  assert.match(
    await page.getByTestId(`rule-flows-${ruleid}`).innerText(),
    /nw_src=10\.0\.0\.1.*actions=drop/,
  );
  await b.screenshot('firewall');

  await deny.getByRole('button', { name: 'Delete' }).click();
  await waitFor(async () => (await deny.count()) === 0, { what: 'the deny rule to go', timeoutMs: 10_000 });
  await ping(true, "h1's ping to h2 to resume");

  await page.getByRole('button', { name: 'Disable firewall' }).click();
  await waitForShown(
    b,
    ctl,
    'the firewall switch',
    () => page.getByTestId('enabled').innerText(),
    /disabled/,
  );
  assertNoPageProblems(b);
});

test('ACL: add a rule in the form, see it listed, delete it', async () => {
  const { b, ctl } = rig;
  const page = b.page;
  const form = page.getByRole('form', { name: 'ACL rule' });
  const rows = page.getByTestId('acl-rules').locator('tbody tr');
  await form.locator('[name="src-ip"]').fill('10.0.0.1/32');
  await form.locator('[name="dst-ip"]').fill('10.0.0.9/32');
  await form.getByRole('button', { name: 'Add ACL rule' }).click();
  await waitForShown(
    b,
    ctl,
    'the ACL rule',
    () => rows.first().innerText(),
    /src-ip=10\.0\.0\.1\/32 dst-ip=10\.0\.0\.9\/32\s+deny/,
  );
  await b.screenshot('firewall-acl');
  await rows.first().getByRole('button', { name: 'Delete' }).click();
  await waitForShown(b, ctl, 'the ACL list', () => page.locator('.firewall').innerText(), /No ACL rules/);
  assertNoPageProblems(b);
});
