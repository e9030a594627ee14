/**
 * Route constraints and service addresses across a cluster (issue 13): host-aware actions set them on the
 * leader only, but every member forwards the packets of the switches it masters, so each must hold them. In a
 * cluster the forwarding app stores each one it sets (and deletes each one it clears) under
 * /apps/forwarding/{constraints,services}/ID, and follows those prefixes to set or clear the others'. Alone,
 * nothing is stored: they live as long as the host-aware action that set them.
 */
import type { AppContext } from '../../controller/index.js';
import { SerialQueue, formatDpid, parseDpid } from '../../util/index.js';
import { StoreFollower, type StoreChange } from '../follow.js';
import type { Avoid } from '../topology/index.js';
import type { ServiceAddress } from './service.js';

export const FORWARDING_PREFIX = '/apps/forwarding/';
const CONSTRAINTS = `${FORWARDING_PREFIX}constraints/`;
const SERVICES = `${FORWARDING_PREFIX}services/`;

/** How the app applies another member's change (without storing it again). */
export interface SharedTarget {
  setConstraint(id: string, mac: number, avoid: Avoid): void;
  clearConstraint(id: string): void;
  setService(s: ServiceAddress): void;
  clearService(id: string): void;
}

interface ConstraintRecord {
  mac: number;
  switches?: string[];
  links?: string[];
}

const keyOf = (prefix: string, id: string) => prefix + encodeURIComponent(id);

export class SharedForwarding {
  /** The JSON last stored or applied per key: a change coming back through the watch is a no-op. */
  private readonly known = new Map<string, string>();
  /** Writes in the order the app made the changes. */
  private readonly writes = new SerialQueue();
  private readonly follower: StoreFollower;

  constructor(
    private readonly ctx: AppContext,
    private readonly target: SharedTarget,
  ) {
    this.follower = new StoreFollower({
      store: ctx.store,
      prefixes: [CONSTRAINTS, SERVICES],
      apply: (changes) => this.apply(changes),
      log: ctx.log,
      app: 'forwarding',
    });
  }

  /** Takes what the others set before this member started, then follows. */
  async start(): Promise<void> {
    const changes: StoreChange[] = [];
    for (const prefix of [CONSTRAINTS, SERVICES])
      for (const entry of await this.ctx.store.list(prefix)) changes.push({ key: entry.key, entry });
    this.apply(changes);
    this.follower.start();
  }

  stop(): void {
    this.follower.stop();
  }

  settled(): Promise<void> {
    return this.follower.settled();
  }

  constraintSet(id: string, mac: number, avoid: Avoid): void {
    const rec: ConstraintRecord = {
      mac,
      ...(avoid.switches && { switches: [...avoid.switches].map(formatDpid) }),
      ...(avoid.links && { links: [...avoid.links] }),
    };
    this.write(keyOf(CONSTRAINTS, id), rec);
  }

  constraintCleared(id: string): void {
    this.write(keyOf(CONSTRAINTS, id), undefined);
  }

  serviceSet(s: ServiceAddress): void {
    this.write(keyOf(SERVICES, s.id), s);
  }

  serviceCleared(id: string): void {
    this.write(keyOf(SERVICES, id), undefined);
  }

  private write(key: string, value: unknown): void {
    const text = value === undefined ? undefined : JSON.stringify(value);
    if (this.known.get(key) === text) return;
    if (text === undefined) this.known.delete(key);
    else this.known.set(key, text);
    const store = this.ctx.store;
    void this.writes
      .run<unknown>(() => (value === undefined ? store.delete(key) : store.put(key, value)))
      .catch((err: unknown) => this.ctx.log.warn({ key, err: String(err) }, 'forwarding: storing failed'));
  }

  private apply(changes: StoreChange[]): void {
    for (const { key, entry } of changes) {
      const text = entry && JSON.stringify(entry.value);
      if (this.known.get(key) === text) continue;
      let id: string;
      try {
        id = decodeURIComponent(
          key.slice(key.startsWith(CONSTRAINTS) ? CONSTRAINTS.length : SERVICES.length),
        );
        if (key.startsWith(CONSTRAINTS)) {
          if (entry) {
            const { mac, avoid } = parseConstraint(entry.value);
            this.target.setConstraint(id, mac, avoid);
          } else this.target.clearConstraint(id);
        } else if (entry) {
          const s = entry.value as ServiceAddress;
          if (s?.id !== id) throw new Error(`id does not match the key`);
          this.target.setService(s);
        } else this.target.clearService(id);
      } catch (err) {
        this.ctx.log.warn({ key, err: (err as Error).message }, 'forwarding: skipping a bad stored record');
        continue;
      }
      if (text === undefined) this.known.delete(key);
      else this.known.set(key, text);
    }
  }
}

function parseConstraint(v: unknown): { mac: number; avoid: Avoid } {
  const r = (typeof v === 'object' && v !== null ? v : {}) as Partial<ConstraintRecord>;
  if (typeof r.mac !== 'number' || !Number.isInteger(r.mac) || r.mac < 0 || r.mac >= 2 ** 48)
    throw new Error('mac: must be a MAC as a 48-bit number');
  const list = (field: string, x: unknown): string[] | undefined => {
    if (x === undefined) return undefined;
    if (!Array.isArray(x) || !x.every((e) => typeof e === 'string'))
      throw new Error(`${field}: must be a list of strings`);
    return x as string[];
  };
  const switches = list('switches', r.switches)?.map((d) => {
    const dpid = parseDpid(d);
    if (dpid === undefined) throw new Error(`switches: '${d}' is not a DPID`);
    return dpid;
  });
  const links = list('links', r.links);
  return {
    mac: r.mac,
    avoid: { ...(switches && { switches: new Set(switches) }), ...(links && { links: new Set(links) }) },
  };
}
