/** Shared by app and API unit tests: temporary directories and stores, and an AppContext over a fake controller. */
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_PIPELINE,
  type AppContext,
  type ControllerApi,
  type ControllerMetrics,
  type Logger,
} from '../../src/controller/index.js';
import { openEmbeddedStore, systemClock, type Store } from '../../src/store/index.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory, removed when the test file ends. */
export function tempDir(prefix = 'sluice-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** An embedded store in a fresh directory. */
export function tempStore(prefix?: string): Store {
  return openEmbeddedStore(tempDir(prefix));
}

export const quietLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** An AppContext over a controller with no switches; `reconciles` records the apps that asked for one. */
export function fakeAppContext(store: Store): { ctx: AppContext; reconciles: string[] } {
  const reconciles: string[] = [];
  const requestReconcile = (name: string) => void reconciles.push(name);
  const controller: ControllerApi = {
    switches: new Map(),
    on: () => () => {},
    off: () => {},
    requestReconcile,
    metrics: {} as ControllerMetrics,
  };
  const ctx: AppContext = {
    controller,
    store,
    log: quietLog,
    clock: systemClock,
    now: Date.now,
    requestReconcile,
    reconcile: async (req) => {
      reconciles.push(req.app);
      return [];
    },
    requestReconcileIntent: () => void reconciles.push('*intent*'),
    pipeline: DEFAULT_PIPELINE,
  };
  return { ctx, reconciles };
}
