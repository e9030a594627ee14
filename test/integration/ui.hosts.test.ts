/**
 * The Hosts page in headless Chromium against `sluice controller` and a Mininet tree,2,3 network (9 hosts):
 * after pingall the table shows every host with its IP; the search narrows it (and lives in the URL, so a
 * link opens a search); a column header flips the sort; next/previous walk the pages. Every host request
 * asks for one page (limit=), never the whole list. No console error, no failed request; screenshots.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, type BrowserSession, type MininetNet, type RunningController } from './harness/index.js';
import {
  assertNoPageProblems,
  openPage,
  pageProblems,
  startUi,
  textOf,
  waitForText,
  type UiRig,
} from './helpers/ui.js';

const HOSTS = 9;

let rig: UiRig;
let ctl: RunningController;
let net: MininetNet;
let b: BrowserSession;
/** Every GET of /api/v1/hosts the page made. */
const hostRequests: URL[] = [];

before(async () => {
  rig = await startUi({ topo: 'tree,2,3' });
  ({ ctl, net, b } = rig);
  await net.pingallUntil(0, 30_000);
  b.page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.pathname === '/api/v1/hosts') hostRequests.push(url);
  });
});

after(async () => {
  await rig?.stop();
});

const hostNames = Array.from({ length: HOSTS }, (_, i) => `h${i + 1}`);
const macsShown = async () =>
  Promise.all(
    (await b.page.locator('[data-testid=hosts] tbody tr').all()).map((r) => r.getAttribute('data-mac')),
  );

async function waitForMacs(want: string[], what: string): Promise<void> {
  let last: (string | null)[] = [];
  await waitFor(
    async () => {
      last = await macsShown();
      return JSON.stringify(last) === JSON.stringify(want);
    },
    { what, timeoutMs: 20_000, detail: () => `rows ${JSON.stringify(last)}; ${pageProblems(b, ctl)}` },
  );
}

function assertClean(): void {
  assertNoPageProblems(b);
  assert.ok(hostRequests.length > 0, 'the page asked for hosts');
  for (const u of hostRequests)
    assert.match(u.searchParams.get('limit') ?? '', /^\d+$/, `one page only: ${u}`);
}

test('every host with its IPs; the search narrows; the sort flips; pages go next and back', async () => {
  const hosts = hostNames.map((n) => net.host(n));
  const byMac = [...hosts].sort((x, y) => (x.mac < y.mac ? -1 : 1)).map((h) => h.mac);

  await openPage(b, `${ctl.apiUrl}/ui/hosts?limit=25`);
  await waitForText(b, ctl, b.page.getByTestId('host-count'), new RegExp(`^${HOSTS} hosts$`), 'all hosts');
  for (const h of hosts) {
    await waitForText(
      b,
      ctl,
      b.page.locator(`[data-testid=hosts] tr[data-mac="${h.mac}"]`),
      (t) => t.includes(h.ip) && /port \d+/.test(t),
      `${h.name} (${h.mac}) with ${h.ip} and its attachment point`,
    );
  }
  await waitForMacs(byMac, 'hosts sorted by MAC, ascending');
  await b.screenshot('hosts');

  // The sort flips on a second look at the same column.
  await b.page.getByRole('button', { name: /^MAC/ }).click();
  await waitForMacs([...byMac].reverse(), 'hosts sorted by MAC, descending');
  assert.equal(
    await b.page.getByRole('columnheader', { name: /^MAC/ }).getAttribute('aria-sort'),
    'descending',
  );
  assert.equal(new URL(b.page.url()).searchParams.get('order'), 'desc');

  // Four a page: 9 hosts are three pages.
  await b.page.getByLabel('Rows per page').selectOption('10');
  await waitFor(() => new URL(b.page.url()).searchParams.get('limit') === '10', {
    what: 'the rows per page in the URL',
    detail: () => b.page.url(),
  });
  assertClean();
  await openPage(b, `${ctl.apiUrl}/ui/hosts?order=desc&limit=4`);
  const desc = [...byMac].reverse();
  await waitForText(b, ctl, b.page.getByTestId('page-of'), /^Page 1 of 3$/, 'page 1 of 3');
  await waitForMacs(desc.slice(0, 4), 'page 1');
  await b.page.getByRole('button', { name: /Next/ }).click();
  await waitForText(b, ctl, b.page.getByTestId('page-of'), /^Page 2 of 3$/, 'page 2 of 3');
  await waitForMacs(desc.slice(4, 8), 'page 2');
  await b.page.getByRole('button', { name: /Next/ }).click();
  await waitForMacs(desc.slice(8), 'page 3');
  assert.equal(
    await b.page.getByRole('button', { name: /Next/ }).isDisabled(),
    true,
    'no page after the last',
  );
  await b.page.getByRole('button', { name: /Previous/ }).click();
  await waitForText(b, ctl, b.page.getByTestId('page-of'), /^Page 2 of 3$/, 'back to page 2');
  await waitForMacs(desc.slice(4, 8), 'page 2 again');
  assert.equal(new URL(b.page.url()).searchParams.get('page'), '2', 'the page is in the URL');
  await b.screenshot('hosts-page-2');

  // Searching starts over on page 1 and puts the search in the URL.
  const h3 = net.host('h3');
  await b.page.getByLabel('Search hosts').fill(h3.ip);
  await waitForText(b, ctl, b.page.getByTestId('host-count'), /^1 host matching/, `the search for ${h3.ip}`);
  await waitForMacs([h3.mac], 'only h3');
  const url = new URL(b.page.url());
  assert.equal(url.searchParams.get('q'), h3.ip);
  assert.equal(url.searchParams.get('page'), null);
  await b.screenshot('hosts-search');

  // Nothing matches: said so.
  await b.page.getByLabel('Search hosts').fill('no-such-host');
  await waitForText(b, ctl, b.page.getByTestId('host-count'), /^No host matches/, 'an empty search');
  assertClean();
});

test('a link with ?q= opens that search', async () => {
  const h5 = net.host('h5');
  await openPage(b, `${ctl.apiUrl}/ui/hosts?q=${encodeURIComponent(h5.mac)}`);
  await waitForText(b, ctl, b.page.getByTestId('host-count'), /^1 host matching/, `the search for ${h5.mac}`);
  await waitForMacs([h5.mac], 'only h5');
  assert.equal(await b.page.getByLabel('Search hosts').inputValue(), h5.mac, 'the box shows the search');
  assert.match(
    await textOf(b.page.locator(`tr[data-mac="${h5.mac}"]`)),
    new RegExp(h5.ip.replaceAll('.', '\\.')),
  );
  assertClean();
});
