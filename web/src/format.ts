/** Numbers as the tables show them (pure). */

/** The one bit-rate format, shared with the CLI. */
export { formatBitRate } from '../../src/client/index.js';

/** A per-second rate with at most one decimal; a dash when unknown. */
export function formatPerSec(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** A 0..1 share as a percentage; a dash when unknown. */
export function formatShare(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : `${(v * 100).toFixed(v < 0.1 ? 2 : 1)} %`;
}

/**
 * A counter with thousands separators. 64-bit counters arrive as decimal strings (beyond a number's precision):
 * grouped the same way; any other string is shown as it came.
 */
export function formatCount(v: number | string | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') return v.toLocaleString('en-US');
  return /^\d+$/.test(v) ? v.replace(/\B(?=(\d{3})+$)/g, ',') : v;
}

/** How long ago an ISO time was, from `nowMs`: `5s ago`, `3m 2s ago`. */
export function formatAgo(iso: string, nowMs: number): string {
  const sec = Math.max(0, Math.floor((nowMs - Date.parse(iso)) / 1000));
  if (!Number.isFinite(sec)) return iso;
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  if (h > 0) return `${h}h ${m}m ago`;
  return m > 0 ? `${m}m ${s}s ago` : `${s}s ago`;
}
