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
  /** THRESHOLD_MET: the consecutive met count including this poll. */
  count?: number;
}

export type MessageInput = Omit<HandMessage, 'seq'>;

/** A message's keys in one order, whoever built it: the page (serialized by the API's schema) and the stream agree. */
const KEYS = ['type', 'at', 'message', 'rule', 'host', 'source', 'metric', 'count'] as const;

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
    const msg = { seq: ++this.seq } as HandMessage;
    for (const k of KEYS) if (k in m) Object.assign(msg, { [k]: m[k] });
    this.ring.push(msg);
    // Trimmed in batches: a splice per message would cost O(capacity) each at 10,000 messages a round.
    if (this.ring.length >= this.capacity * 1.25) this.ring.splice(0, this.ring.length - this.capacity);
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
    opts: {
      after?: number;
      limit?: number;
      type?: EventType;
      rule?: string;
      host?: string;
      source?: string;
    } = {},
  ): MessagePage {
    const limit = opts.limit ?? 100;
    const keep = (m: HandMessage) =>
      (opts.type === undefined || m.type === opts.type) &&
      (opts.rule === undefined || m.rule === opts.rule) &&
      (opts.host === undefined || m.host === opts.host) &&
      (opts.source === undefined || m.source === opts.source);
    // The ring may hold up to a quarter more than `capacity` between trims: only the newest `capacity` count.
    const off = Math.max(0, this.ring.length - this.capacity);
    const first = this.ring[off]?.seq ?? this.seq + 1;
    const messages: HandMessage[] = [];
    if (opts.after === undefined) {
      for (let i = this.ring.length - 1; i >= off && messages.length < limit; i--) {
        if (keep(this.ring[i]!)) messages.push(this.ring[i]!);
      }
      messages.reverse();
      return { messages, next: messages.at(-1)?.seq ?? this.seq, dropped: first - 1 };
    }
    const after = opts.after;
    // Seqs in the ring are consecutive: the first message after `after` is found by index.
    for (let i = off + Math.max(0, after - first + 1); i < this.ring.length; i++) {
      const m = this.ring[i]!;
      if (!keep(m)) continue;
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
