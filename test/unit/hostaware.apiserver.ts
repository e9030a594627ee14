/**
 * A real API server in-process with the host-aware app behind it (its sources answered by an injected poll that
 * reports `values`), for the client and CLI tests: requests go over HTTP as a user's would.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../src/api/index.js';
import { hostAwareRoutes } from '../../src/api/routes/hostaware.js';
import { AclApp } from '../../src/apps/acl/index.js';
import { HostAwareApp } from '../../src/apps/hostaware/index.js';
import type { SourceConfig, SourceSnapshot } from '../../src/apps/hostaware/sources/index.js';
import { fakeDeps } from './api.fakes.js';
import { fakeAppContext, tempStore } from './apps.testctx.js';

export interface HandServer {
  api: FastifyInstance;
  url: string;
  app: HostAwareApp;
  /** host -> metric -> value, as the fake gmond reports them at the next poll (hosts are 10.0.0.N for hN). */
  values: Map<string, Record<string, number>>;
  close(): Promise<void>;
}

export async function handServer(opts: { token?: string } = {}): Promise<HandServer> {
  const values = new Map<string, Record<string, number>>();
  const poll = async (cfg: SourceConfig, now: number): Promise<SourceSnapshot> => ({
    source: cfg.name,
    hosts: [...values.keys()].map((name) => ({
      name,
      ip: `10.0.0.${name.slice(1)}`,
      cluster: 'lab',
      source: cfg.name,
      reported: now,
    })),
    samples: [...values].flatMap(([host, metrics]) =>
      Object.entries(metrics).map(([name, value]) => ({ host, name, value, at: now, units: 'bytes/sec' })),
    ),
  });
  const { ctx } = fakeAppContext(tempStore('sluice-handapi-'));
  const acl = new AclApp();
  await acl.start(ctx);
  const app = new HostAwareApp({ acl, poll });
  await app.start(ctx);
  const api = await createApiServer({
    ...fakeDeps(),
    routes: [hostAwareRoutes(app)],
    ...(opts.token && { auth: { token: opts.token } }),
  });
  await api.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  return {
    api,
    url,
    app,
    values,
    close: async () => {
      app.stop();
      // A stream a test left open would hold close() forever.
      api.server.closeAllConnections();
      await api.close();
    },
  };
}

/** Text written to `write` accumulates; `until(re)` resolves once it matches (no polling, no sleeps). */
export function textSink() {
  let text = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  return {
    write: (t: string) => {
      text += t;
      for (const w of [...waiters]) {
        if (w.re.test(text)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    },
    text: () => text,
    until: (re: RegExp) =>
      re.test(text) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ re, resolve })),
  };
}
