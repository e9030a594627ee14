/**
 * Mastership per switch, decided through the store (issue 13). Every member is connected to every switch; the
 * member holding a switch's master key (created by compare-and-swap, on the member's lease) is its master and
 * tells the switch so with the key's revision as the OpenFlow generation id, so a master the store has since
 * replaced is refused by the switch itself. The others are slaves.
 *
 * - A member whose lease can no longer be counted on turns slave on every switch at once (before the store can
 *   let the lease expire and another member take over): never two masters.
 * - A vacant switch goes to the least-loaded connected member (plan.ts) after a short settle time; any other
 *   connected member takes it if it is still vacant after a grace period (the preferred one may be gone).
 * - A master never gives a switch up to a returning member (no steal-back) unless a rebalance asks it to.
 */
import { StoreError, systemClock, type Clock, type Store, type WatchEvent } from '../store/index.js';
import type { ClusterMember } from './member.js';
import { placeVacant, rebalancePlan, type Move, type SwitchMastership } from './plan.js';

/** What mastership drives: the controller's roles on its switches. */
export interface MastershipTarget {
  /** Slave takes effect at once; master once the switch agrees. False when the switch is gone or refused. */
  setRole(dpid: bigint, role: 'master' | 'slave', generation?: bigint): Promise<boolean>;
}

export interface MastershipLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

export interface MastershipOptions {
  store: Store;
  member: ClusterMember;
  target: MastershipTarget;
  log: MastershipLog;
  clock?: Clock;
  /** The preferred member of a vacant switch waits this long for the others' keys to arrive (default 300). */
  settleMs?: number;
  /** Any connected member takes a switch still vacant after this (default 1500). */
  graceMs?: number;
}

/** A master key's value. */
export interface MasterRecord {
  member: string;
  since: string;
}

/** One switch as the cluster view shows it. */
export interface SwitchMastershipView {
  dpid: string;
  master: string | null;
  since?: string;
  generation?: string;
  members: string[];
}

/** A rebalance request's value: the moves asked for. */
export interface RebalanceRecord {
  moves: Move[];
  at: string;
  by: string;
}

/** How long a member leaves a switch alone after the switch refused it as master. */
const REFUSED_BACKOFF_MS = 10_000;

/** How long a rebalance's choice of new master is preferred for a switch it moved. */
const HANDOFF_MS = 15_000;

export const dpidHex = (dpid: bigint): string => dpid.toString(16).padStart(16, '0');

export class Mastership {
  private readonly store: Store;
  private readonly member: ClusterMember;
  private readonly target: MastershipTarget;
  private readonly log: MastershipLog;
  private readonly clock: Clock;
  private readonly settleMs: number;
  private readonly graceMs: number;
  /** Switches connected to this member. */
  private readonly local = new Set<string>();
  /** Master keys as the store has them. */
  private readonly masters = new Map<string, MasterRecord & { revision: number }>();
  /** Per switch, the members connected to it (from the store). */
  private readonly connections = new Map<string, Set<string>>();
  private readonly live = new Set<string>();
  /** Switches this member masters (or is asserting), with the generation id. */
  private readonly mine = new Map<string, bigint>();
  private readonly campaigning = new Set<string>();
  private readonly vacantSince = new Map<string, number>();
  private readonly handoff = new Map<string, { to: string; until: number }>();
  /** Switches that refused this member as master: not asked again before the time given. */
  private readonly backoff = new Map<string, number>();
  private lease: string | undefined;
  private unsubscribe: (() => void)[] = [];
  private timer: { at: number; handle: unknown } | undefined;
  private stopped = false;

  constructor(opts: MastershipOptions) {
    this.store = opts.store;
    this.member = opts.member;
    this.target = opts.target;
    this.log = opts.log;
    this.clock = opts.clock ?? systemClock;
    this.settleMs = opts.settleMs ?? 300;
    this.graceMs = opts.graceMs ?? 1500;
  }

  private get me(): string {
    return this.member.id;
  }

  /** Before the member starts: follows its lease and the store's mastership keys. */
  start(): void {
    const keys = this.member.keys;
    const onRegistered = (lease: string) => void this.onRegistered(lease);
    const onLost = (reason: string) => this.onLeaseLost(reason);
    this.member.on('registered', onRegistered);
    this.member.on('lease lost', onLost);
    this.unsubscribe.push(
      () => this.member.off('registered', onRegistered),
      () => this.member.off('lease lost', onLost),
      this.store.watch(keys.switches, (ev) => this.onSwitchKey(ev)),
      this.store.watch(keys.members, (ev) => this.onMemberKey(ev)),
      this.store.watch(keys.rebalance, (ev) => this.onRebalance(ev)),
    );
  }

  /** Gives every switch up (slave, keys deleted) so the others take them at once; then stops following. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    for (const dpid of [...this.mine.keys()]) await this.release(dpid, 'the member is stopping');
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
  }

  /** Whether this member masters the switch now. */
  isMaster(dpid: bigint): boolean {
    return this.mine.has(dpidHex(dpid));
  }

  switchConnected(dpid: bigint): void {
    const hex = dpidHex(dpid);
    this.local.add(hex);
    if (this.lease) void this.publishConnection(hex, this.lease);
    const held = this.masters.get(hex);
    // Reconnected while our key lives: assert it again (the switch forgot us).
    if (held?.member === this.me && this.lease)
      void this.assertMaster(hex, BigInt(held.revision), this.lease);
    else this.schedule(0);
  }

  switchDisconnected(dpid: bigint): void {
    const hex = dpidHex(dpid);
    this.local.delete(hex);
    const wasMine = this.mine.delete(hex);
    if (!this.lease) return;
    const keys = this.member.keys;
    void this.store.delete(keys.switchMember(hex, this.me)).catch((err) => this.failed(err, 'unpublish'));
    // Nobody can master it through us: let the others take it now rather than at our lease's end.
    if (wasMine || this.masters.get(hex)?.member === this.me) {
      void this.store.delete(keys.master(hex)).catch((err) => this.failed(err, 'release'));
    }
  }

  /** Every switch the store knows, with its master and connected members, by dpid. */
  async view(): Promise<SwitchMastershipView[]> {
    const { switches } = await this.read();
    return switches.map((s) => {
      const m = s.record;
      return {
        dpid: s.dpid,
        master: m?.member ?? null,
        ...(m ? { since: m.since, generation: String(m.revision) } : {}),
        members: [...s.members].sort(),
      };
    });
  }

  /** Computes the moves that even out mastership and asks the members concerned to make them. */
  async rebalance(): Promise<Move[]> {
    const { switches, live } = await this.read();
    const moves = rebalancePlan(
      switches.map((s) => ({ dpid: s.dpid, master: s.record?.member, members: s.members })),
      live,
    );
    if (moves.length) {
      const record: RebalanceRecord = { moves, at: new Date(this.clock.now()).toISOString(), by: this.me };
      await this.store.put(this.member.keys.rebalance, record);
    }
    return moves;
  }

  // ---------------------------------------------------------------------------------------------------

  /** The store's view: switches (with master and members) and live members. */
  private async read(): Promise<{
    switches: { dpid: string; record?: MasterRecord & { revision: number }; members: string[] }[];
    live: Set<string>;
  }> {
    const keys = this.member.keys;
    const [switchEntries, memberEntries] = await Promise.all([
      this.store.list(keys.switches),
      this.store.list(keys.members),
    ]);
    const byDpid = new Map<string, { record?: MasterRecord & { revision: number }; members: string[] }>();
    const at = (dpid: string) => byDpid.get(dpid) ?? byDpid.set(dpid, { members: [] }).get(dpid)!;
    for (const e of switchEntries) {
      const k = parseSwitchKey(keys.switches, e.key);
      if (!k) continue;
      if (k.kind === 'master') {
        const rec = parseMasterRecord(e.value);
        if (rec) at(k.dpid).record = { ...rec, revision: e.revision };
      } else at(k.dpid).members.push(k.member);
    }
    const live = new Set(memberEntries.map((e) => e.key.slice(keys.members.length)));
    return {
      switches: [...byDpid].sort(([a], [b]) => (a < b ? -1 : 1)).map(([dpid, v]) => ({ dpid, ...v })),
      live,
    };
  }

  private async onRegistered(lease: string): Promise<void> {
    this.lease = lease;
    try {
      // A new lease: what hung on the old one is gone; read the store afresh.
      const { switches, live } = await this.read();
      if (this.lease !== lease) return;
      this.masters.clear();
      this.connections.clear();
      this.live.clear();
      for (const m of live) this.live.add(m);
      for (const s of switches) {
        if (s.record) this.masters.set(s.dpid, s.record);
        this.connections.set(s.dpid, new Set(s.members));
      }
    } catch (err) {
      this.failed(err, 'read the mastership keys');
    }
    for (const hex of this.local) void this.publishConnection(hex, lease);
    this.schedule(0);
  }

  /** Slave everywhere, now: the store may let our keys expire at any moment and another member take over. */
  private onLeaseLost(reason: string): void {
    this.lease = undefined;
    for (const hex of [...this.mine.keys()]) {
      this.mine.delete(hex);
      void this.target.setRole(BigInt(`0x${hex}`), 'slave');
      this.log.warn({ dpid: hex, reason }, 'mastership: stepped down (lease lost)');
    }
  }

  private async publishConnection(hex: string, lease: string): Promise<void> {
    const key = this.member.keys.switchMember(hex, this.me);
    await this.store.put(key, { since: new Date(this.clock.now()).toISOString() }, { lease }).catch((err) => {
      this.failed(err, 'publish a connection');
    });
  }

  private onSwitchKey(ev: WatchEvent): void {
    const k = parseSwitchKey(this.member.keys.switches, ev.key);
    if (!k) return;
    if (k.kind === 'member') {
      const set = this.connections.get(k.dpid) ?? new Set<string>();
      if (ev.type === 'put') set.add(k.member);
      else set.delete(k.member);
      this.connections.set(k.dpid, set);
    } else {
      const rec = ev.type === 'put' ? parseMasterRecord(ev.value) : undefined;
      if (rec) {
        this.masters.set(k.dpid, { ...rec, revision: ev.revision });
        this.vacantSince.delete(k.dpid);
      } else {
        const was = this.masters.get(k.dpid)?.member;
        this.masters.delete(k.dpid);
        this.vacantSince.set(k.dpid, this.clock.now());
        if (this.local.has(k.dpid))
          this.log.info({ dpid: k.dpid, was }, 'mastership: switch without a master');
      }
      if (this.mine.has(k.dpid) && rec?.member !== this.me) {
        this.mine.delete(k.dpid);
        void this.target.setRole(BigInt(`0x${k.dpid}`), 'slave');
        this.log.warn({ dpid: k.dpid, master: rec?.member ?? null }, 'mastership: our master key went');
      }
    }
    this.schedule(0);
  }

  private onMemberKey(ev: WatchEvent): void {
    const id = ev.key.slice(this.member.keys.members.length);
    if (ev.type === 'put') this.live.add(id);
    else this.live.delete(id);
    this.schedule(0);
  }

  private onRebalance(ev: WatchEvent): void {
    const rec = ev.type === 'put' ? parseRebalanceRecord(ev.value) : undefined;
    if (!rec) return;
    const until = this.clock.now() + HANDOFF_MS;
    for (const m of rec.moves) {
      this.handoff.set(m.dpid, { to: m.to, until });
      if (m.from === this.me && this.mine.has(m.dpid)) void this.release(m.dpid, `rebalance: to ${m.to}`);
    }
    this.schedule(0);
  }

  /** Slave on the switch, then the key goes (only ours: a key another member holds is left alone). */
  private async release(hex: string, reason: string): Promise<void> {
    this.mine.delete(hex);
    const slave = this.target.setRole(BigInt(`0x${hex}`), 'slave');
    this.log.info({ dpid: hex, reason }, 'mastership: giving the switch up');
    if (this.masters.get(hex)?.member === this.me) {
      await this.store.delete(this.member.keys.master(hex)).catch((err) => this.failed(err, 'release'));
    }
    await slave;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    const at = this.clock.now() + ms;
    if (this.timer && this.timer.at <= at) return;
    this.clearTimer();
    const handle = this.clock.setTimer(() => {
      this.timer = undefined;
      this.evaluate();
    }, ms);
    this.timer = { at, handle };
  }

  private clearTimer(): void {
    if (this.timer) this.clock.clearTimer(this.timer.handle);
    this.timer = undefined;
  }

  /** Campaigns for the vacant switches this member should take now; comes back when the next one is due. */
  private evaluate(): void {
    const lease = this.lease;
    if (!lease || this.stopped) return;
    const now = this.clock.now();
    const switches: SwitchMastership[] = [...new Set([...this.local, ...this.connections.keys()])].map(
      (dpid) => ({
        dpid,
        master: this.masters.get(dpid)?.member,
        members: [...(this.connections.get(dpid) ?? [])],
      }),
    );
    const live = new Set([...this.live, this.me]);
    const placed = placeVacant(switches, live);
    let next = Infinity;
    for (const hex of this.local) {
      if (this.masters.has(hex) || this.campaigning.has(hex)) continue;
      const wait = this.backoff.get(hex);
      if (wait !== undefined && wait > now) {
        next = Math.min(next, wait);
        continue;
      }
      const since = this.vacantSince.get(hex) ?? this.vacantSince.set(hex, now).get(hex)!;
      const handoff = this.handoff.get(hex);
      const preferred =
        handoff && handoff.until > now && live.has(handoff.to) && this.connections.get(hex)?.has(handoff.to)
          ? handoff.to
          : placed.get(hex);
      const due = since + (preferred === this.me ? this.settleMs : this.graceMs);
      if (due <= now) void this.campaign(hex, lease);
      else next = Math.min(next, due);
    }
    if (next !== Infinity) this.schedule(next - now);
  }

  private async campaign(hex: string, lease: string): Promise<void> {
    this.campaigning.add(hex);
    const key = this.member.keys.master(hex);
    try {
      const record: MasterRecord = { member: this.me, since: new Date(this.clock.now()).toISOString() };
      if (!(await this.store.compareAndSwap(key, 0, record, { lease }))) return;
      const entry = await this.store.get(key);
      const rec = parseMasterRecord(entry?.value);
      if (!entry || rec?.member !== this.me) return;
      this.masters.set(hex, { ...rec, revision: entry.revision });
      await this.assertMaster(hex, BigInt(entry.revision), lease);
    } catch (err) {
      this.failed(err, 'campaign');
    } finally {
      this.campaigning.delete(hex);
    }
  }

  /** Tells the switch; a switch that refuses (or is gone) gets its key released for another member. */
  private async assertMaster(hex: string, generation: bigint, lease: string): Promise<void> {
    if (this.lease !== lease || !this.local.has(hex)) return;
    this.mine.set(hex, generation);
    const ok = await this.target.setRole(BigInt(`0x${hex}`), 'master', generation);
    if (this.mine.get(hex) !== generation) return;
    if (this.lease !== lease) {
      // The lease went while the switch was being asked: slave again.
      this.mine.delete(hex);
      void this.target.setRole(BigInt(`0x${hex}`), 'slave');
      return;
    }
    if (ok) {
      this.log.info(
        { dpid: hex, generation: String(generation) },
        'mastership: this member masters the switch',
      );
      return;
    }
    // Another member may fare better (a newer generation id, or a healthier connection).
    this.backoff.set(hex, this.clock.now() + REFUSED_BACKOFF_MS);
    await this.release(hex, 'the switch did not take the master role');
  }

  private failed(err: unknown, context: string): void {
    if (this.stopped) return;
    const code = err instanceof StoreError ? err.code : undefined;
    this.log.warn(
      { err: err instanceof Error ? err.message : String(err), code },
      `mastership: ${context} failed`,
    );
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const DPID_HEX = /^[0-9a-f]{16}$/;

/** `<prefix><dpid>/master` or `<prefix><dpid>/members/<member>`; anything else is not ours. */
export function parseSwitchKey(
  prefix: string,
  key: string,
): { kind: 'master'; dpid: string } | { kind: 'member'; dpid: string; member: string } | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const parts = key.slice(prefix.length).split('/');
  if (!DPID_HEX.test(parts[0])) return undefined;
  if (parts.length === 2 && parts[1] === 'master') return { kind: 'master', dpid: parts[0] };
  if (parts.length === 3 && parts[1] === 'members' && parts[2])
    return { kind: 'member', dpid: parts[0], member: parts[2] };
  return undefined;
}

/** Values read from the store are checked where they enter. */
export function parseMasterRecord(v: unknown): MasterRecord | undefined {
  if (!isObject(v) || typeof v.member !== 'string' || typeof v.since !== 'string') return undefined;
  return { member: v.member, since: v.since };
}

export function parseRebalanceRecord(v: unknown): RebalanceRecord | undefined {
  if (!isObject(v) || !Array.isArray(v.moves) || typeof v.at !== 'string' || typeof v.by !== 'string')
    return undefined;
  const moves: Move[] = [];
  for (const m of v.moves) {
    if (!isObject(m) || typeof m.dpid !== 'string' || !DPID_HEX.test(m.dpid)) return undefined;
    if (typeof m.from !== 'string' || typeof m.to !== 'string') return undefined;
    moves.push({ dpid: m.dpid, from: m.from, to: m.to });
  }
  return { moves, at: v.at, by: v.by };
}
