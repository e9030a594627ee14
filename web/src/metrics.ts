/**
 * Values of unlabelled samples in a Prometheus text exposition (what /metrics serves): enough for the
 * controller's own counters, which carry no labels. Lines with labels, comments and junk are skipped.
 */
export function unlabelledSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[2]);
    if (!Number.isNaN(v)) out.set(m[1], v);
  }
  return out;
}

export interface CounterPoint {
  /** Seconds since the epoch. */
  t: number;
  values: Record<string, number>;
}

/**
 * Per-second rates between consecutive counter readings. A counter that went down (the controller restarted)
 * starts over: that interval has no rate rather than a negative one.
 */
export function ratesBetween(a: CounterPoint, b: CounterPoint): Record<string, number | null> {
  const dt = b.t - a.t;
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(b.values)) {
    const before = a.values[k];
    out[k] = dt > 0 && before !== undefined && v >= before ? (v - before) / dt : null;
  }
  return out;
}
