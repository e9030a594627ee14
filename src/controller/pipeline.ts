/** Packet-in pipeline order: a topological sort over `after`, stable by registration order. */
import type { App } from './app.js';
import { AppOrderError } from './errors.js';

/**
 * Orders apps so each runs after the apps it names in `after`. Among apps whose predecessors have all run,
 * the earliest registered goes first, so the order is deterministic. Names not registered are ignored.
 * Throws AppOrderError on duplicate names or a cycle (naming the apps on it).
 */
export function orderApps<A extends Pick<App, 'name' | 'after'>>(apps: readonly A[]): A[] {
  const index = new Map<string, number>();
  apps.forEach((app, i) => {
    if (index.has(app.name)) throw new AppOrderError(`app name '${app.name}' registered twice`);
    index.set(app.name, i);
  });
  const waitingOn = apps.map(
    (app) => new Set((app.after ?? []).filter((n) => index.has(n) && n !== app.name)),
  );
  const selfLoop = apps.find((app) => app.after?.includes(app.name));
  if (selfLoop) throw new AppOrderError(`app '${selfLoop.name}' lists itself in 'after'`);
  const done = new Set<string>();
  const order: A[] = [];
  while (order.length < apps.length) {
    const next = apps.findIndex(
      (app, i) => !done.has(app.name) && [...waitingOn[i]].every((n) => done.has(n)),
    );
    if (next < 0) {
      const stuck = apps.filter((app) => !done.has(app.name)).map((app) => app.name);
      throw new AppOrderError(`apps' 'after' lists form a cycle among: ${stuck.join(', ')}`);
    }
    done.add(apps[next].name);
    order.push(apps[next]);
  }
  return order;
}
