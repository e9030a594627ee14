/** Adapter from the staticflows app to the API's StaticFlowsView. */
import type { StaticFlowListing, StaticFlowsView } from '../api/routes/staticflows.js';
import { entryFlowSpec, matchToJson, type StaticFlowsApp } from '../apps/staticflows/index.js';

export function staticFlowsView(app: StaticFlowsApp): StaticFlowsView {
  return {
    add: (body) => app.add(body),
    addMany: (bodies) => app.addMany(bodies),
    delete: async (name) => {
      await app.delete(name);
    },
    clear: (dpid) => app.clear(dpid),
    list: async (dpid) =>
      (await app.list(dpid)).map((l): StaticFlowListing => ({
        name: l.entry.name,
        dpid: l.entry.dpid,
        entry: l.json,
        match: matchToJson(l.entry.match),
        state: l.state,
        spec: entryFlowSpec(l.entry, app.cookie),
        ...(l.version !== undefined ? { version: l.version } : {}),
        ...(l.flow ? { flow: l.flow } : {}),
      })),
  };
}
