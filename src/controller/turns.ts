/**
 * Input is handled once per event-loop turn, not once per read. A read callback only queues the bytes;
 * after the poll phase has read every readable switch (setImmediate), run() handles all of it back to
 * back and then writes every switch's replies in one burst. With many switches each sending one
 * packet-in at a time, handling them together keeps the code and tables hot across packet-ins instead of
 * cold after every read, and the peer wakes once for the burst instead of once per switch.
 *
 * One scheduler per Controller (ControllerOptions.turns), so two controllers in a process, or tests, never
 * share a burst.
 */

/** What the scheduler asks of a session with queued input. */
export interface TurnInput {
  handleInput(): void;
}

export class TurnScheduler {
  private inbox: TurnInput[] = [];
  private burst: Array<() => void> = [];
  private scheduled = false;
  private running = false;

  /** `defer` runs the turn after the poll phase; tests may pass their own to run turns by hand. */
  constructor(private readonly defer: (run: () => void) => void = setImmediate) {}

  /** True while a turn's input is handled: writes then join the burst, in the order first queued. */
  get inTurn(): boolean {
    return this.running;
  }

  /** `session` has input; it is handled in the next turn (call once per turn, when its queue was empty). */
  queueInput(session: TurnInput): void {
    this.inbox.push(session);
    this.schedule();
  }

  /** Adds a flush to the running turn's burst (only while inTurn). */
  queueFlush(flush: () => void): void {
    this.burst.push(flush);
  }

  private readonly runBound = () => this.run();

  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(this.runBound);
    }
  }

  private run(): void {
    const sessions = this.inbox;
    this.inbox = [];
    let flushes: Array<() => void> = [];
    let i = 0;
    let j = 0;
    this.running = true;
    try {
      for (; i < sessions.length; i++) sessions[i].handleInput();
      this.running = false;
      flushes = this.burst;
      this.burst = [];
      for (; j < flushes.length; j++) flushes[j]();
    } finally {
      this.running = false;
      this.scheduled = false;
      // If one of them threw, the others still get their turn (their queues would otherwise stay stuck).
      if (i + 1 < sessions.length) this.inbox = sessions.slice(i + 1).concat(this.inbox);
      if (j + 1 < flushes.length) this.burst = flushes.slice(j + 1).concat(this.burst);
      // Streams that deliver data synchronously (tests' in-memory pairs) can add input while this runs.
      if (this.inbox.length || this.burst.length) this.schedule();
    }
  }
}
