/**
 * `make demo` keeps working: the demo script runs end to end (controller, Mininet ring, pingall, a firewall
 * deny beating a QoS policy, container networks, the proxy, a host-aware rule on a gmond metric) in its
 * non-interactive mode, provisions a simulated node from JSON, and leaves nothing behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ensureOvs, freePorts, leftovers, REPO_ROOT, run } from './harness/index.js';

test('the demo brings up a network where every host reaches every other, a deny beats QoS, then cleans up', async () => {
  await ensureOvs();
  const [ofPort, apiPort] = await freePorts(2);
  const demo = path.join(REPO_ROOT, 'dist', 'scripts', 'demo.js');
  const r = await run(
    'env',
    [
      'SLUICE_DEMO_EXIT=after-pingall',
      `SLUICE_DEMO_OF_PORT=${ofPort}`,
      `SLUICE_DEMO_API_PORT=${apiPort}`,
      process.execPath,
      demo,
    ],
    { timeoutMs: 300_000 },
  );
  const output = r.stdout + r.stderr;
  assert.equal(r.code, 0, output);
  assert.match(output, /all hosts reach each other/);
  // The pipeline step: a firewall deny beats a QoS policy on the same traffic, and lifting it restores it.
  assert.match(output, /no reply\. The deny wins although the QoS policy matches too/);
  assert.match(output, /answers again, through the meter/);
  // Container networks: a client container on host 1 fetches a page from a server container on host 2.
  assert.match(
    output,
    /client on h1 fetched http:\/\/10\.60\.0\.\d+\/ from h2 across VXLAN: "hello from host 2"/,
  );
  assert.match(
    output,
    /client on h1 pinged 10\.99\.0\.254 \(outside the overlay\) via its gateway 10\.60\.0\.1, NAT on/,
  );
  // The proxy: docker run through sluice proxy joins the network (network adapter) with the example label.
  assert.match(
    output,
    /docker run -e SLUICE_NETWORK=demo: container "proxied" on network demo, eth0 10\.60\.0\.\d+\/24, labels \{"sluice\.example":"labelled"\}/,
  );
  assert.match(output, /proxied container fetched http:\/\/10\.60\.0\.\d+\/ from h2: "hello from host 2"/);
  // Host-aware: a gmond metric over the threshold drops h1's traffic; when it falls, h1 answers again.
  assert.match(output, /ACTION\s+applied drop: ACL rule \d+/);
  assert.match(output, /h1 -> h2: no reply while the rule is active/);
  assert.match(output, /the rule cleared, its ACL entry is gone, h1 answers again/);
  // Nodes: a simulated hypervisor applied from JSON and provisioned over SSL; a second run changes nothing.
  assert.match(output, /hv1: created \(revision \d+\)|hv1: (updated|unchanged) \(revision \d+\)/);
  assert.match(output, /hv1: provisioned \(\d+ of \d+ steps changed\)/);
  assert.match(output, /^\s+hv1\s+hypervisor\s+demo-zone\s+10\.76\.0\.11\s+connected\s+connected/m);
  assert.match(output, /provisioned again: hv1: nothing to change/);
  // HA: three members, a master per bridge; kill -9 moves it; no steal-back; rebalance gives one back.
  assert.match(output, /MEMBER\s+API\s+OPENFLOW\s+VERSION\s+LEADER\s+SINCE\s+SWITCHES/);
  assert.match(output, /kill -9 c\d \(master of ha1\): ha1 mastered by c\d [\d.]+ s later/);
  assert.match(output, /c\d is back and masters 0 bridges \(no steal-back\)/);
  assert.match(output, /masters now: ha1=c\d ha2=c\d ha3=c\d/);
  assert.match(output, /nothing left behind/);
  assert.deepEqual(await leftovers(), {
    mininets: [],
    processes: [],
    bridges: [],
    namespaces: [],
    interfaces: [],
    accounts: [],
  });
});
