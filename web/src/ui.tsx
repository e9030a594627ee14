/**
 * What every page is made of: polling with errors kept in place, the problem note, a labelled figure, a list's
 * table.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { isUnauthorized, problemOf, type Problem, type SluiceClient } from './api.js';
import { useSession } from './session.js';

export const POLL_MS = 2000;

export interface Polled<T> {
  /** The last good answer (kept while later polls fail, so a blip does not blank the page). */
  data?: T;
  /** The last poll's failure, cleared by the next success. */
  problem?: Problem;
  /** When data last arrived (ms since the epoch). */
  updatedAt?: number;
}

/**
 * Calls `load` now and then every `intervalMs` after the previous call ended (never two at once). A 401 sends
 * the app to its login screen; anything else becomes `problem` while the last data stays.
 */
export function usePoll<T>(load: (client: SluiceClient) => Promise<T>, intervalMs = POLL_MS): Polled<T> {
  const { client, unauthorized } = useSession();
  const [state, setState] = useState<Polled<T>>({});
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const data = await loadRef.current(client);
        if (live) setState({ data, updatedAt: Date.now() });
      } catch (err) {
        if (!live) return;
        if (isUnauthorized(err)) {
          unauthorized();
          return;
        }
        setState((s) => ({ ...s, problem: problemOf(err) }));
      }
      if (live) timer = setTimeout(() => void tick(), intervalMs);
    };
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, unauthorized, intervalMs]);

  return state;
}

export function ProblemNote({ problem }: { problem: Problem }) {
  return (
    <div className={`problem problem-${problem.kind}`} role="alert" data-testid="problem">
      <strong>{problem.title}</strong>
      <span>{problem.detail}</span>
    </div>
  );
}

/** `children(data)` once the poll has data; "Loading…" until then, nothing after a failure (its note says why). */
export function Loaded<T>({ polled, children }: { polled: Polled<T>; children(data: T): ReactNode }) {
  if (polled.data !== undefined) return <>{children(polled.data)}</>;
  return polled.problem ? null : <p className="loading">Loading…</p>;
}

/**
 * A list as a table, a row per item (`row` makes it, keyed), or the `empty` note in its place when there are
 * none (without `empty`, the bare table). A header '' titles no column (the rows' buttons).
 */
export function ListTable<T>({
  testid,
  headers,
  items,
  row,
  empty,
}: {
  testid: string;
  headers: readonly string[];
  items: readonly T[];
  row(item: T): ReactNode;
  empty?: string;
}) {
  if (items.length === 0 && empty !== undefined) return <p className="empty">{empty}</p>;
  return (
    <table className="list" data-testid={testid}>
      <thead>
        <tr>
          {headers.map((h, i) => (
            <th key={i}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>{items.map((item) => row(item))}</tbody>
    </table>
  );
}

export function Figure({ label, value, id }: { label: string; value: React.ReactNode; id: string }) {
  return (
    <div className="figure">
      <span className="figure-label">{label}</span>
      <span className="figure-value" data-testid={id}>
        {value ?? '–'}
      </span>
    </div>
  );
}

export function formatDuration(sec: number): string {
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = Math.floor(sec % 60);
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  return m > 0 ? `${m}m ${s}s` : `${s}s`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
