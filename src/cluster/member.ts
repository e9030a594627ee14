/**
 * A cluster member at run time: the store calls, timers and events around the pure state machine (state.ts).
 *
 *   const m = new ClusterMember({store, clusterId, memberId, info});
 *   m.on('elected', (leader) => ...); m.on('leadership lost', (reason) => ...);
 *   await m.start(); ... await m.stop();
 *
 * One periodic tick (TTL/3) keeps the lease alive, re-reads the leader key (in case a watch event was missed)
 * and retries a registration that failed; a deadline timer puts the member out when the store has not
 * confirmed its lease for nearly a TTL, whether or not a keepAlive is still pending.
 */
import { EventEmitter } from 'node:events';
import { StoreError, systemClock, type Clock, type Store, type WatchEvent } from '../store/index.js';
import { every } from '../util/clock.js';
import { clusterKeys, type ClusterKeys } from './keys.js';
import {
  INITIAL_STATE,
  step,
  type Effect,
  type LeaderRecord,
  type MemberInput,
  type MemberState,
  type Role,
} from './state.js';

/** What a member publishes about itself besides its id (the cluster view shows it). */
export interface MemberInfo {
  display_name: string;
  version: string;
  /** e.g. http:127.0.0.1:8080 */
  api: string;
  /** e.g. tcp:127.0.0.1:6653, one per OpenFlow listener */
  openflow: string[];
  ovsdb_manager?: string;
}

/** A member's key's value. */
export interface MemberRecord extends MemberInfo {
  id: string;
  /** ISO time this member (process) started. */
  started: string;
}

export interface ClusterMemberOptions {
  store: Store;
  clusterId: string;
  memberId: string;
  /** Read at each registration (addresses are known once the listeners run). */
  info: () => MemberInfo;
  clock?: Clock;
  /** Default 5. */
  ttlSeconds?: number;
  /** Store failures no caller receives (they are retried on the next tick). */
  onError?: (err: unknown, context: string) => void;
}

export interface ClusterMemberEvents {
  /** Registered under a (new) lease: keys that live as long as this member go on it. */
  registered: [string];
  /** The lease can no longer be counted on (its keys, mastership too, may be gone): emitted first. */
  'lease lost': [string];
  /** This member became the leader. */
  elected: [LeaderRecord];
  /** This member no longer leads: emitted before anything else happens on that path. */
  'leadership lost': [string];
  /** The leader as this member sees it changed (undefined: none known). */
  leader: [LeaderRecord | undefined];
}

export const DEFAULT_TTL_SECONDS = 5;

export class ClusterMember extends EventEmitter<ClusterMemberEvents> {
  readonly keys: ClusterKeys;
  readonly id: string;
  readonly clusterId: string;
  private state: MemberState = INITIAL_STATE;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly ttlSeconds: number;
  private readonly started: string;
  private readonly onError: (err: unknown, context: string) => void;
  private unwatch?: () => void;
  private stopTicks?: () => void;
  private deadlineTimer?: { at: number; handle: unknown };
  private joining = false;
  private keeping = false;

  constructor(private readonly opts: ClusterMemberOptions) {
    super();
    this.store = opts.store;
    this.id = opts.memberId;
    this.clusterId = opts.clusterId;
    this.keys = clusterKeys(opts.clusterId);
    this.clock = opts.clock ?? systemClock;
    this.ttlSeconds = opts.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    this.started = new Date(this.clock.now()).toISOString();
    this.onError = opts.onError ?? (() => {});
  }

  get role(): Role {
    return this.state.role;
  }

  get lease(): string | undefined {
    return this.state.lease;
  }

  /** The leader as last seen (this member when it leads). */
  get leader(): LeaderRecord | undefined {
    return this.state.leader;
  }

  /** Watches the leader key and registers; a store that does not answer yet is retried on every tick. */
  async start(): Promise<void> {
    if (this.stopTicks || this.state.stopped) return;
    this.unwatch = this.store.watch(this.keys.leader, (ev) => this.onLeaderEvent(ev));
    this.stopTicks = every(this.clock, Math.max(1, Math.floor((this.ttlSeconds * 1000) / 3)), () => {
      void this.tick();
    });
    await this.join();
  }

  /** Leadership ends, the lease is revoked (the others see this member go at once) and the watch stops. */
  async stop(): Promise<void> {
    this.stopTicks?.();
    this.unwatch?.();
    this.clearDeadline();
    await this.dispatch({ type: 'stop' });
  }

  /** Every member the store lists, by id; a record that does not read back is reported and left out. */
  async members(): Promise<MemberRecord[]> {
    const out: MemberRecord[] = [];
    for (const e of await this.store.list(this.keys.members)) {
      const rec = parseMemberRecord(e.value);
      if (rec) out.push(rec);
      else this.onError(new Error(`${e.key}: not a member record`), 'members');
    }
    return out;
  }

  /** The leader key as the store has it now. */
  async currentLeader(): Promise<LeaderRecord | undefined> {
    return parseLeaderRecord((await this.store.get(this.keys.leader))?.value);
  }

  private async join(): Promise<void> {
    if (this.joining || this.state.role !== 'out' || this.state.stopped) return;
    this.joining = true;
    let lease: string | undefined;
    try {
      const sentAt = this.clock.now();
      lease = await this.store.grantLease(this.ttlSeconds);
      const record: MemberRecord = { id: this.id, ...this.opts.info(), started: this.started };
      await this.store.put(this.keys.member(this.id), record, { lease });
      this.joining = false;
      await this.dispatch({ type: 'registered', lease, sentAt });
    } catch (err) {
      this.joining = false;
      if (lease !== undefined) void this.revoke(lease);
      this.onError(err, 'register');
    }
  }

  private async tick(): Promise<void> {
    const { lease, role } = this.state;
    if (role === 'out') return this.join();
    if (lease === undefined) return;
    if (!this.keeping) {
      this.keeping = true;
      const sentAt = this.clock.now();
      try {
        await this.store.keepAlive(lease);
        await this.dispatch({ type: 'kept', lease, sentAt });
      } catch (err) {
        const leaseGone = err instanceof StoreError && err.code === 'STORE_LEASE_NOT_FOUND';
        if (!leaseGone) this.onError(err, 'keepalive');
        await this.dispatch({ type: 'keepFailed', lease, leaseGone });
      } finally {
        this.keeping = false;
      }
    }
    // A watch can miss a delete while it reconnects: re-read the key so a vacant leadership is not left so.
    if (this.state.role === 'member') {
      try {
        await this.dispatch({ type: 'leaderSeen', leader: await this.currentLeader() });
      } catch (err) {
        this.onError(err, 'read the leader');
      }
    }
  }

  private onLeaderEvent(ev: WatchEvent): void {
    if (ev.key !== this.keys.leader) return;
    const leader = ev.type === 'put' ? parseLeaderRecord(ev.value) : undefined;
    void this.dispatch({ type: 'leaderSeen', leader });
  }

  /** Runs one step; effects in order (leadership lost first). Never throws: store failures go to onError. */
  private async dispatch(input: MemberInput): Promise<void> {
    const { state, effects } = step(this.state, input, { self: this.id, ttlMs: this.ttlSeconds * 1000 });
    this.state = state;
    this.armDeadline();
    for (const e of effects) await this.apply(e);
  }

  private async apply(e: Effect): Promise<void> {
    switch (e.type) {
      case 'leaseLost':
        this.emit('lease lost', e.reason);
        return;
      case 'registered':
        this.emit('registered', e.lease);
        return;
      case 'leadershipLost':
        this.emit('leadership lost', e.reason);
        return;
      case 'elected':
        this.emit('elected', e.leader);
        return;
      case 'leaderChanged':
        this.emit('leader', e.leader);
        return;
      case 'revoke':
        // Awaited: after stop() resolves the others already see this member gone.
        return this.revoke(e.lease);
      case 'rejoin':
        void this.join();
        return;
      case 'campaign':
        return this.campaign(e.lease);
    }
  }

  private async campaign(lease: string): Promise<void> {
    const leader: LeaderRecord = { id: this.id, since: new Date(this.clock.now()).toISOString() };
    try {
      if (await this.store.compareAndSwap(this.keys.leader, 0, leader, { lease })) {
        await this.dispatch({ type: 'won', lease, leader });
      } else {
        await this.dispatch({ type: 'leaderSeen', leader: await this.currentLeader() });
      }
    } catch (err) {
      if (err instanceof StoreError && err.code === 'STORE_LEASE_NOT_FOUND') {
        await this.dispatch({ type: 'keepFailed', lease, leaseGone: true });
      } else this.onError(err, 'campaign');
    }
  }

  /** Best effort: a store that cannot be reached lets the lease expire by itself. */
  private async revoke(lease: string): Promise<void> {
    await this.store.revokeLease(lease).catch((err) => this.onError(err, 'revoke the lease'));
  }

  private armDeadline(): void {
    const at = this.state.deadline;
    if (this.deadlineTimer?.at === at) return;
    this.clearDeadline();
    if (at === undefined || this.state.lease === undefined) return;
    const handle = this.clock.setTimer(() => {
      this.deadlineTimer = undefined;
      void this.dispatch({ type: 'time', now: this.clock.now() });
    }, at - this.clock.now());
    this.deadlineTimer = { at, handle };
  }

  private clearDeadline(): void {
    if (this.deadlineTimer) this.clock.clearTimer(this.deadlineTimer.handle);
    this.deadlineTimer = undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/** Values read from the store are checked where they enter: another version (or a person) may have written them. */
export function parseLeaderRecord(v: unknown): LeaderRecord | undefined {
  if (!isObject(v) || !isString(v.id) || !isString(v.since)) return undefined;
  return { id: v.id, since: v.since };
}

export function parseMemberRecord(v: unknown): MemberRecord | undefined {
  if (!isObject(v)) return undefined;
  const { id, display_name, version, api, openflow, ovsdb_manager, started } = v;
  if (![id, display_name, version, api, started].every(isString)) return undefined;
  if (!Array.isArray(openflow) || !openflow.every(isString)) return undefined;
  if (ovsdb_manager !== undefined && !isString(ovsdb_manager)) return undefined;
  return {
    id: id as string,
    display_name: display_name as string,
    version: version as string,
    api: api as string,
    openflow: openflow as string[],
    ...(ovsdb_manager !== undefined ? { ovsdb_manager } : {}),
    started: started as string,
  };
}
