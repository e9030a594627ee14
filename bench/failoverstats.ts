/**
 * The pure parts of the `failover` section: whether every switch has exactly one connected master (from the
 * harness's controllerRoles), the outage a continuous `ping -D -O` saw around a kill, and the REST tally. Kept
 * apart from bench/failover.ts so unit tests need no OVS, etcd or Mininet.
 */
import type { ControllerRole } from '../test/integration/harness/index.js';

/**
 * The master of each of `switches` when every one of them has exactly one connected master among the targets
 * in `live` (a killed member's row may still say master until OVS notices); undefined otherwise.
 */
export function singleMasters(
  roles: Map<string, ControllerRole[]>,
  switches: readonly string[],
  live: ReadonlySet<string>,
): Map<string, string> | undefined {
  const masters = new Map<string, string>();
  for (const sw of switches) {
    const m = (roles.get(sw) ?? []).filter((c) => c.connected && c.role === 'master' && live.has(c.target));
    if (m.length !== 1) return undefined;
    masters.set(sw, m[0].target);
  }
  return masters;
}

/**
 * Whether a member's `GET /api/v1/cluster` answer names, for each of `switches` switches, a master among `live`
 * member names: the cluster's own view of the failover, ahead of what OVSDB shows.
 */
export function viewHasLiveMasters(
  view: { switches?: { master: string | null }[] },
  switches: number,
  live: ReadonlySet<string>,
): boolean {
  const sw = view.switches ?? [];
  return sw.length === switches && sw.every((s) => s.master !== null && live.has(s.master));
}

/** One echo request of `ping -D -O`: when it was sent (epoch ms) and, if it was answered, when. */
interface PingSeq {
  sentMs: number | undefined;
  replyMs: number | undefined;
}

/** Reply and "no answer yet" lines of `ping -D -O`, by icmp_seq. */
export function parsePing(output: string): Map<number, PingSeq> {
  const seqs = new Map<number, PingSeq>();
  const reply = /^\[(\d+\.\d+)\] \d+ bytes from [^:]+: icmp_seq=(\d+) .*time=([\d.]+) ms/;
  const none = /^\[(\d+\.\d+)\] no answer yet for icmp_seq=(\d+)/;
  for (const line of output.split('\n')) {
    const r = reply.exec(line);
    if (r) {
      const at = Number(r[1]) * 1000;
      seqs.set(Number(r[2]), { sentMs: at - Number(r[3]), replyMs: at });
      continue;
    }
    const n = none.exec(line);
    if (n && !seqs.has(Number(n[2]))) seqs.set(Number(n[2]), { sentMs: undefined, replyMs: undefined });
  }
  return seqs;
}

export interface PingOutage {
  /** From the kill until the first answer after the last echo request lost in the window (0: none lost). */
  outageMs: number;
  /** Echo requests sent in the window that got no answer. */
  lost: number;
}

/**
 * What a continuous ping (one request every `intervalMs`) saw of a failover: requests sent from `killMs` (less
 * one interval: one in flight at the kill counts) to `windowEndMs` that got no answer, and the time from the kill
 * until the first answer after the last of them. Undefined until a request sent at or after `windowEndMs` was
 * answered (the ping has not shown it answers again yet). A lost request's send time is estimated from the
 * nearest answered one before it (ping sends every `intervalMs`).
 */
export function pingOutage(
  seqs: Map<number, PingSeq>,
  killMs: number,
  windowEndMs: number,
  intervalMs: number,
): PingOutage | undefined {
  const order = [...seqs.keys()].sort((a, b) => a - b);
  if (!order.some((s) => (seqs.get(s)!.sentMs ?? -Infinity) >= windowEndMs)) return undefined;
  const maxSeq = order[order.length - 1];
  let anchor: { seq: number; sentMs: number } | undefined;
  let lastLost: number | undefined;
  let lost = 0;
  for (let s = order[0]; s <= maxSeq; s++) {
    const p = seqs.get(s);
    if (p?.replyMs !== undefined && p.sentMs !== undefined) {
      anchor = { seq: s, sentMs: p.sentMs };
      continue;
    }
    if (!anchor) continue; // lost before the first answer: the ping was starting, not the failover
    const sent = anchor.sentMs + (s - anchor.seq) * intervalMs;
    if (sent >= killMs - intervalMs && sent < windowEndMs) {
      lost++;
      lastLost = s;
    }
  }
  if (lastLost === undefined) return { outageMs: 0, lost: 0 };
  const next = order.find((s) => s > lastLost! && seqs.get(s)!.replyMs !== undefined);
  // A request after windowEndMs was answered, so one after the last lost one was.
  const recovered = seqs.get(next!)!.replyMs!;
  return { outageMs: Math.max(0, recovered - killMs), lost };
}

/** Answers and failures of the REST requests made during the failovers, and the slowest answer. */
export class RestTally {
  answered = 0;
  failed = 0;
  slowestMs = 0;
  /** The first few failures, for the report ("GET /api/v1/cluster on m2: 503"). */
  readonly failures: string[] = [];

  record(ok: boolean, ms: number, what: string): void {
    if (ok) {
      this.answered++;
      this.slowestMs = Math.max(this.slowestMs, ms);
    } else {
      this.failed++;
      if (this.failures.length < 5) this.failures.push(what);
    }
  }

  add(other: RestTally): void {
    this.answered += other.answered;
    this.failed += other.failed;
    this.slowestMs = Math.max(this.slowestMs, other.slowestMs);
    for (const f of other.failures) if (this.failures.length < 5) this.failures.push(f);
  }
}
