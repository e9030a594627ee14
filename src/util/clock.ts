/**
 * Time and timers, injected: the controller, its sessions, the reconciler, the apps and the embedded
 * store's leases take a Clock, so tests drive a FakeClock instead of waiting or spinning event-loop turns.
 */

/** Time source and timers. */
export interface Clock {
  /** Milliseconds since the epoch, monotonic enough for deadlines. */
  now(): number;
  setTimer(cb: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** setTimeout's delay is a signed 32-bit millisecond count; callers re-arm for longer waits. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(cb, ms) {
    const t = setTimeout(cb, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
    // A pending timer alone (a lease deadline, a keepalive sweep) must not keep a process alive.
    t.unref();
    return t;
  },
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** A clock that moves only when told; timers due at or before the new time fire in deadline order. */
export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; cb: () => void }>();

  constructor(startMs = 1_700_000_000_000) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimer(cb: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(ms, 0), cb });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let next: [number, { at: number; cb: () => void }] | undefined;
      for (const entry of this.timers)
        if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = Math.max(this.time, next[1].at);
      next[1].cb();
    }
    this.time = target;
  }
}

/** Calls `fn` every `ms` on `clock` (re-armed before each call, so a throw does not stop it); returns stop. */
export function every(clock: Clock, ms: number, fn: () => void): () => void {
  let stopped = false;
  let handle: unknown;
  const tick = (): void => {
    if (stopped) return;
    handle = clock.setTimer(tick, ms);
    fn();
  };
  handle = clock.setTimer(tick, ms);
  return () => {
    stopped = true;
    clock.clearTimer(handle);
  };
}
