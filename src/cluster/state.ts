/**
 * A member's decisions as a pure state machine: inputs are what the store answered (or that time passed),
 * outputs the next state and the effects the runtime (member.ts) carries out, in order. What hangs on the lease
 * is given up before anything else happens: 'leaseLost' (then 'leadershipLost') comes first in a step that
 * ends it.
 */

export type Role = 'out' | 'member' | 'leader';

/** The leader key's value. */
export interface LeaderRecord {
  id: string;
  /** ISO time it was elected. */
  since: string;
}

export interface MemberState {
  role: Role;
  /** The lease the member is registered under (role member or leader). */
  lease?: string;
  /**
   * Until when the lease is surely alive in the store: the send time of the last answered keepAlive plus the
   * TTL, less a margin (the store's countdown started after we sent). Past it the member is out.
   */
  deadline?: number;
  /** The leader as last seen; never a stale belief about itself (cleared whenever its lease goes). */
  leader?: LeaderRecord;
  stopped: boolean;
}

export type MemberInput =
  /** grantLease then the member key's put succeeded; `sentAt`: when the grant was sent. */
  | { type: 'registered'; lease: string; sentAt: number }
  | { type: 'kept'; lease: string; sentAt: number }
  /** `leaseGone`: the store says the lease does not exist (else it could not be asked). */
  | { type: 'keepFailed'; lease: string; leaseGone: boolean }
  | { type: 'time'; now: number }
  | { type: 'won'; lease: string; leader: LeaderRecord }
  /** The leader key as read or watched; undefined: there is none. */
  | { type: 'leaderSeen'; leader: LeaderRecord | undefined }
  | { type: 'stop' };

export type Effect =
  /** The member's lease (and every key on it: mastership too) can no longer be counted on; first of its step. */
  | { type: 'leaseLost'; reason: string }
  /** Registered under `lease`: keys that live as long as the member go on it. */
  | { type: 'registered'; lease: string }
  | { type: 'leadershipLost'; reason: string }
  | { type: 'elected'; leader: LeaderRecord }
  | { type: 'leaderChanged'; leader: LeaderRecord | undefined }
  | { type: 'campaign'; lease: string }
  /** Best effort: a lease given up is revoked so the others see its keys go at once. */
  | { type: 'revoke'; lease: string }
  /** Register again with a fresh lease (now, and on each tick until it works). */
  | { type: 'rejoin' };

export interface MemberSettings {
  /** This member's id (the leader record names it). */
  self: string;
  ttlMs: number;
}

export const INITIAL_STATE: MemberState = { role: 'out', stopped: false };

/** How much of the TTL a member keeps in hand: its clock and the store's may not tick alike. */
export function leaseMarginMs(ttlMs: number): number {
  return Math.min(1000, Math.floor(ttlMs / 5));
}

export function leaseDeadline(sentAt: number, ttlMs: number): number {
  return sentAt + ttlMs - leaseMarginMs(ttlMs);
}

const sameLeader = (a: LeaderRecord | undefined, b: LeaderRecord | undefined): boolean =>
  a?.id === b?.id && a?.since === b?.since;

export function step(
  s: MemberState,
  input: MemberInput,
  cfg: MemberSettings,
): { state: MemberState; effects: Effect[] } {
  const same = (state: MemberState) => ({ state, effects: [] as Effect[] });
  switch (input.type) {
    case 'registered':
      // A registration that finished after stop, or raced another one, is undone.
      if (s.stopped || s.role !== 'out')
        return { state: s, effects: [{ type: 'revoke', lease: input.lease }] };
      return {
        state: {
          ...s,
          role: 'member',
          lease: input.lease,
          deadline: leaseDeadline(input.sentAt, cfg.ttlMs),
        },
        // Whoever led before we registered may be gone: the compare-and-swap settles it either way.
        effects: [
          { type: 'registered', lease: input.lease },
          { type: 'campaign', lease: input.lease },
        ],
      };
    case 'kept':
      if (input.lease !== s.lease) return same(s);
      return same({ ...s, deadline: Math.max(s.deadline ?? 0, leaseDeadline(input.sentAt, cfg.ttlMs)) });
    case 'keepFailed':
      if (input.lease !== s.lease || !input.leaseGone) return same(s);
      return leaseLost(s, 'the store no longer has our lease');
    case 'time':
      if (s.lease === undefined || s.deadline === undefined || input.now < s.deadline) return same(s);
      return leaseLost(s, 'the store did not answer our keepalives within the lease TTL');
    case 'won':
      if (input.lease !== s.lease || s.role !== 'member') return same(s);
      return {
        state: { ...s, role: 'leader', leader: input.leader },
        // The watch may have shown our own key first (the embedded store calls back before the write returns).
        effects: [
          { type: 'elected', leader: input.leader },
          ...(sameLeader(s.leader, input.leader)
            ? []
            : [{ type: 'leaderChanged' as const, leader: input.leader }]),
        ],
      };
    case 'leaderSeen': {
      const seen = input.leader;
      if (s.role === 'leader') {
        if (sameLeader(seen, s.leader)) return same(s);
        // Someone removed or replaced our key: we do not lead any more, whatever our lease says.
        return {
          state: { ...s, role: 'member', leader: seen },
          effects: [
            { type: 'leadershipLost', reason: 'the leader key was removed or replaced' },
            { type: 'leaderChanged', leader: seen },
            ...(seen === undefined ? [{ type: 'campaign' as const, lease: s.lease! }] : []),
          ],
        };
      }
      const effects: Effect[] = sameLeader(seen, s.leader) ? [] : [{ type: 'leaderChanged', leader: seen }];
      if (seen === undefined && s.role === 'member') effects.push({ type: 'campaign', lease: s.lease! });
      return { state: { ...s, leader: seen }, effects };
    }
    case 'stop': {
      const effects: Effect[] = [];
      if (s.lease !== undefined) effects.push({ type: 'leaseLost', reason: 'the member is stopping' });
      if (s.role === 'leader') effects.push({ type: 'leadershipLost', reason: 'the member is stopping' });
      if (s.lease !== undefined) effects.push({ type: 'revoke', lease: s.lease });
      return { state: { role: 'out', stopped: true }, effects };
    }
  }
}

/** Out at once: what hangs on the lease first, then the old lease goes and a new registration starts. */
function leaseLost(s: MemberState, reason: string): { state: MemberState; effects: Effect[] } {
  const effects: Effect[] = [{ type: 'leaseLost', reason }];
  if (s.role === 'leader') effects.push({ type: 'leadershipLost', reason });
  if (s.leader !== undefined) effects.push({ type: 'leaderChanged', leader: undefined });
  effects.push({ type: 'revoke', lease: s.lease! }, ...(s.stopped ? [] : [{ type: 'rejoin' as const }]));
  return { state: { role: 'out', stopped: s.stopped }, effects };
}
