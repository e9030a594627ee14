/** Aligned text tables like `docker ps`: upper-case headers, columns separated by at least three spaces. */

const GAP = '   ';

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join(GAP)
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n') + '\n';
}

/** `3 seconds ago`, `5 minutes ago`, `2 hours ago`, `4 days ago` (like docker's CREATED column). */
export function ago(thenMs: number, nowMs: number): string {
  const s = Math.max(0, Math.floor((nowMs - thenMs) / 1000));
  const unit = (n: number, u: string) => `${n} ${u}${n === 1 ? '' : 's'} ago`;
  if (s < 60) return unit(s, 'second');
  if (s < 3600) return unit(Math.floor(s / 60), 'minute');
  if (s < 86400) return unit(Math.floor(s / 3600), 'hour');
  return unit(Math.floor(s / 86400), 'day');
}

/** 1536 -> `1.5kB` (SI units, as docker prints sizes). */
export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v}B` : `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[i]}`;
}

/** Port speed from kbps: `10G`, `100M`, `-` when unknown. */
export function speed(kbps: number): string {
  if (!kbps) return '-';
  if (kbps >= 1_000_000) return `${kbps / 1_000_000}G`;
  if (kbps >= 1000) return `${kbps / 1000}M`;
  return `${kbps}k`;
}

/** `Key:   value` lines, values aligned (like `docker info`): for one object's details. */
export function keyValueText(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...rows.map(([k]) => k.length + 2));
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}\n`).join('');
}
