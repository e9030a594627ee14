/** Numbers as people read them, for the CLI's tables and the dashboard alike (pure, browser-safe). */

const BIT_RATE_UNITS = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
const COMPACT_BIT_RATE_UNITS = ['b/s', 'kb/s', 'Mb/s', 'Gb/s', 'Tb/s'];

/**
 * Bits per second in SI units; unknown (not measured yet) is a dash. The dashboard's style:
 * `12.3 kbit/s`, `1.20 Gbit/s`, `–`; `compact`, the CLI's docker-like cells: `1.5Mb/s`, `25Gb/s`, `-`.
 */
export function formatBitRate(bps: number | null | undefined, style: 'text' | 'compact' = 'text'): string {
  const compact = style === 'compact';
  if (bps === null || bps === undefined || !Number.isFinite(bps)) return compact ? '-' : '–';
  const units = compact ? COMPACT_BIT_RATE_UNITS : BIT_RATE_UNITS;
  const digits = (v: number, unit: number) =>
    unit === 0 || v >= 1000
      ? String(Math.round(v))
      : compact
        ? v < 10
          ? v.toFixed(1)
          : String(Math.round(v))
        : v.toPrecision(3);
  let v = bps;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  // Rounding can make 1000 of a unit (999.96 kbit/s): that is 1 of the next one, not `1.00e+3 kbit/s`.
  if (Number(digits(v, i)) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${digits(v, i)}${compact ? '' : ' '}${units[i]}`;
}
