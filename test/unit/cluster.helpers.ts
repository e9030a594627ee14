/** A cluster of ClusterMembers on one embedded store with a FakeClock, each member cuttable from the store. */
import { after } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClusterMember, type MemberInfo } from '../../src/cluster/index.js';
import { FakeClock, openEmbeddedStore, StoreError, type Store } from '../../src/store/index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cluster-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let dirs = 0;

export const info = (n: string): MemberInfo => ({
  display_name: `host-${n}`,
  version: '9.9.9',
  api: `http:127.0.0.1:80${n}`,
  openflow: [`tcp:127.0.0.1:66${n}`],
});

/** A store a test can cut off from one member: every call fails as an unreachable etcd, watches go quiet. */
export function cuttable(store: Store): { store: Store; cut(down: boolean): void } {
  let down = false;
  const unavailable = () => Promise.reject(new StoreError('STORE_UNAVAILABLE', 'etcd test', 'cut off'));
  const wrapped = new Proxy(store, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== 'function') return v;
      if (prop === 'watch') {
        return (prefix: string, cb: Parameters<Store['watch']>[1]) =>
          target.watch(prefix, (ev) => {
            if (!down) cb(ev);
          });
      }
      if (prop === 'close') return v.bind(target);
      return (...args: unknown[]) =>
        down ? unavailable() : (v as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  return { store: wrapped, cut: (d) => (down = d) };
}

export interface Harness {
  clock: FakeClock;
  store: Store;
  members: ClusterMember[];
  /** Each member's view of the store (cut off with `cut`). */
  stores: Store[];
  cut: ((down: boolean) => void)[];
  /** Each member's events in order: 'elected', 'lost', 'leader:<id|none>'. */
  events: string[][];
  /** Moves the fake time in small steps, letting the members' store calls finish between them. */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

export const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function cluster(n: number): Promise<Harness> {
  const clock = new FakeClock();
  const store = openEmbeddedStore(path.join(root, `d${++dirs}`), { clock, onError: () => {} });
  const members: ClusterMember[] = [];
  const cut: ((down: boolean) => void)[] = [];
  const stores: Store[] = [];
  const events: string[][] = [];
  for (let i = 0; i < n; i++) {
    const c = cuttable(store);
    const m = new ClusterMember({
      store: c.store,
      clusterId: 'prod',
      memberId: `m${i}`,
      info: () => info(String(i)),
      clock,
      ttlSeconds: 5,
    });
    const log: string[] = [];
    m.on('elected', () => log.push('elected'));
    m.on('leadership lost', () => log.push('lost'));
    m.on('leader', (l) => log.push(`leader:${l?.id ?? 'none'}`));
    members.push(m);
    cut.push(c.cut);
    stores.push(c.store);
    events.push(log);
  }
  const elapse = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      clock.advance(Math.min(100, ms - t));
      for (let i = 0; i < 5; i++) await turn();
    }
  };
  return {
    clock,
    store,
    members,
    stores,
    cut,
    events,
    elapse,
    close: async () => {
      for (const m of members) await m.stop();
      await store.close();
    },
  };
}
