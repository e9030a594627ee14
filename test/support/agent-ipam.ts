/** Concurrency checks shared by the embedded (unit) and etcd (integration) runs of the agent's store layer. */
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/index.js';
import { Ipam, NetworkStore } from '../../src/agent/index.js';

/**
 * `count` allocations at once from `hosts` Ipam instances, each over its own Store handle (as separate agents
 * would be), in one network: every allocation gets its own address, and the record holds exactly those.
 */
export async function concurrentAllocations(stores: readonly Store[], count: number): Promise<string[]> {
  await new NetworkStore(stores[0]).create({ name: 'race', subnet: '10.9.0.0/24' });
  const ipams = stores.map((s) => new Ipam(s));
  const got = await Promise.all(
    Array.from({ length: count }, (_, i) => ipams[i % ipams.length].allocate('race', `ep${i}`)),
  );
  const addresses = got.map((a) => a.address);
  assert.equal(new Set(addresses).size, count, `duplicates in ${addresses.join(' ')}`);
  const stored = await ipams[0].list('race');
  assert.deepEqual(Object.keys(stored).sort(), [...addresses].sort());
  assert.ok(!addresses.includes('10.9.0.1'), 'the gateway is never handed out');
  return addresses;
}

/** Racing creates of clashing networks (same VNI or overlapping subnets): exactly one wins. */
export async function concurrentCreates(stores: readonly Store[]): Promise<void> {
  const results = await Promise.allSettled(
    stores.map((s, i) => new NetworkStore(s).create({ name: `n${i}`, subnet: `10.20.${i}.0/24`, vni: 77 })),
  );
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results) {
    if (r.status === 'rejected') assert.equal((r.reason as { field?: string }).field, 'vni');
  }
  // Nested prefixes (/16, /17, /18...): every pair overlaps, whichever wins.
  const overlap = await Promise.allSettled(
    stores.map((s, i) => new NetworkStore(s).create({ name: `o${i}`, subnet: `10.30.0.0/${16 + i}` })),
  );
  assert.equal(overlap.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of overlap) {
    if (r.status === 'rejected') assert.equal((r.reason as { field?: string }).field, 'subnet');
  }
}
