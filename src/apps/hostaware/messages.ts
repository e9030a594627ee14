/**
 * The host-aware module's messages (issue 10, item 4): INFO, WARN, THRESHOLD_MET, ACTION and ERROR, each with a
 * sequence number, a time, and the rule, host and source it concerns. A bounded ring (the newest `capacity`
 * kept): a flapping metric must not grow the controller without limit. Subscribers (the SSE stream) see each
 * message as it is added; `since(seq)` lets a reconnecting reader catch up without gaps or repeats.
 */
import type { EventType } from './eval.js';

export interface HandMessage {
  seq: number;
  type: EventType;
  /** ms since the epoch. */
  at: number;
  message: string;
  rule?: string;
  host?: string;
  source?: string;
  metric?: string;
}

export type MessageInput = Omit<HandMessage, 'seq'>;

export interface MessagePage {
  messages: HandMessage[];
  /** Pass as `after` for the next page; equals the last message's seq (or `after` when empty). */
  next: number;
  /** Messages that fell out of the ring before this read (older than the first kept). */
  dropped: number;
}

export class MessageLog {
  private readonly ring: HandMessage[] = [];
  private seq = 0;
  private readonly listeners = new Set<(m: HandMessage) => void>();

  constructor(readonly capacity = 10_000) {}

  add(m: MessageInput): HandMessage {
    const msg: HandMessage = { seq: ++this.seq, ...m };
    this.ring.push(msg);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
    for (const l of this.listeners) l(msg);
    return msg;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Messages after `after` (a seq), oldest first, at most `limit`; filtered by type, rule or host. Without
   * `after`, the newest `limit` messages (what a `tail` shows).
   */
  page(
    opts: { after?: number; limit?: number; type?: EventType; rule?: string; host?: string } = {},
  ): MessagePage {
    const limit = opts.limit ?? 100;
    const keep = (m: HandMessage) =>
      (opts.type === undefined || m.type === opts.type) &&
      (opts.rule === undefined || m.rule === opts.rule) &&
      (opts.host === undefined || m.host === opts.host);
    const first = this.ring[0]?.seq ?? this.seq + 1;
    if (opts.after === undefined) {
      const all = this.ring.filter(keep);
      const messages = all.slice(Math.max(0, all.length - limit));
      return { messages, next: messages.at(-1)?.seq ?? this.seq, dropped: first - 1 };
    }
    const after = opts.after;
    const messages: HandMessage[] = [];
    for (const m of this.ring) {
      if (m.seq <= after || !keep(m)) continue;
      messages.push(m);
      if (messages.length >= limit) break;
    }
    return {
      messages,
      // Nothing matched: everything up to now was read, so the next page starts after it.
      next: messages.at(-1)?.seq ?? Math.max(after, this.seq),
      dropped: Math.max(0, first - 1 - after),
    };
  }

  /** Calls `fn` for every message added from now on; returns the unsubscribe. */
  subscribe(fn: (m: HandMessage) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
