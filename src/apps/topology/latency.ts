/**
 * Link latency from timestamped LLDP, as Floodlight's link discovery measures it: the probe carries the
 * controller's send time, and on its return as a packet-in the time since then, less the control-channel delay
 * to the sending switch and back from the receiving switch (half of each switch's echo round trip), is the time
 * the frame spent on the link. Pure: every time comes from the caller.
 */

export interface LatencyProbe {
  /** Controller-clock send time carried in the probe (ms). */
  sentAtMs: number;
  /** Controller-clock time the probe came back as a packet-in (ms). */
  receivedAtMs: number;
  /** Echo round trip (ms) of the switch that sent the probe out of its port; undefined when not measured. */
  srcEchoRttMs: number | undefined;
  /** Echo round trip (ms) of the switch the probe arrived at. */
  dstEchoRttMs: number | undefined;
}

/** Weight of a new sample in the smoothed link latency (the rest is history, so one slow round is damped). */
export const LATENCY_SMOOTHING = 0.3;

function usableRtt(rtt: number | undefined): rtt is number {
  return rtt !== undefined && Number.isFinite(rtt) && rtt >= 0;
}

/**
 * One latency sample (ms, >= 0), or undefined when it cannot be trusted: a switch's control-channel delay is
 * unknown, the clock went backwards, or the probe is older than `maxAgeMs` (a stale or replayed frame, or one
 * that sat in a queue for longer than a discovery round).
 */
export function latencySample(p: LatencyProbe, maxAgeMs: number): number | undefined {
  if (!usableRtt(p.srcEchoRttMs) || !usableRtt(p.dstEchoRttMs)) return undefined;
  const elapsed = p.receivedAtMs - p.sentAtMs;
  if (!Number.isFinite(elapsed) || elapsed < 0 || elapsed > maxAgeMs) return undefined;
  // Control-channel jitter can make the estimate undershoot a fast link; a link takes no negative time.
  return Math.max(0, elapsed - (p.srcEchoRttMs + p.dstEchoRttMs) / 2);
}

/** Exponentially weighted moving average; the first sample is taken as is. */
export function smoothLatency(
  previous: number | undefined,
  sample: number,
  weight = LATENCY_SMOOTHING,
): number {
  return previous === undefined ? sample : previous + weight * (sample - previous);
}

/** One figure for a physical link from its two directions: their mean, or whichever has been measured. */
export function combineLatency(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return (a + b) / 2;
}
