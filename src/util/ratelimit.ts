/**
 * Log lines that repeat (an app hook that keeps throwing, a store that stays unreachable) at most once per
 * interval per key, with how many were skipped since the last one.
 */
export type LogGate = (key: string) => { log: boolean; skipped: number };

export function logGate(intervalMs: number, now: () => number): LogGate {
  const seen = new Map<string, { last: number; skipped: number }>();
  return (key) => {
    const t = now();
    const st = seen.get(key) ?? { last: -Infinity, skipped: 0 };
    seen.set(key, st);
    if (t - st.last < intervalMs) {
      st.skipped++;
      return { log: false, skipped: st.skipped };
    }
    const skipped = st.skipped;
    st.last = t;
    st.skipped = 0;
    return { log: true, skipped };
  };
}
