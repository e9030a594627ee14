/** Numbers as people read them, for the CLI's tables and the dashboard alike (pure, browser-safe). */

const BIT_RATE_UNITS = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
const COMPACT_BIT_RATE_UNITS = ['b/s', 'kb/s', 'Mb/s', 'Gb/s', 'Tb/s'];

/**
 * Bits per second in SI units; unknown (not measured yet) is a dash. The dashboard's style:
 * `12.3 kbit/s`, `1.20 Gbit/s`, `–`; `compact`, the CLI's docker-like cells: `1.5Mb/s`, `25Gb/s`, `-`.
 */
export function formatBitRate(bps: number | null | undefined, style: 'text' | 'compact' = 'text'): string {
  const compact = style === 'compact';
  if (bps === null || bps === undefined) return compact ? '-' : '–';
  const units = compact ? COMPACT_BIT_RATE_UNITS : BIT_RATE_UNITS;
  let v = bps;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  if (i === 0) return `${Math.round(v)}${compact ? '' : ' '}${units[0]}`;
  return compact ? `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[i]}` : `${v.toPrecision(3)} ${units[i]}`;
}
