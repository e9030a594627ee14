/**
 * Hosts: one page of the host table at a time, searched, sorted and paged by the server (GET /api/v1/hosts with
 * q/sort/order/offset/limit and X-Total-Count), so 10,000 hosts cost one page per refresh. The search, sort
 * and page live in the URL (/ui/hosts?q=10.0.0.1): other pages link to a search.
 */
import { useEffect, useState } from 'react';
import type { Host, HostPageQuery } from '../../../src/client/index.js';
import { formatAgo } from '../format.js';
import { followLink, replaceSearch, searchParams } from '../nav.js';
import { Pager } from '../pager.js';
import { ProblemNote, usePoll } from '../ui.js';
import { switchPath } from './switches.js';
import '../tables.css';

/** Rows-per-page choices; the URL may ask for any other 1..MAX_PER_PAGE (?limit=). */
export const PAGE_SIZES = [10, 25, 50, 100, 250] as const;
const DEFAULT_PER_PAGE = 50;
/** The API's largest page (GET /api/v1/hosts `limit`). */
const MAX_PER_PAGE = 1000;
/** The API's longest search (GET /api/v1/hosts `q`). */
const MAX_QUERY = 64;
/** Typing waits this long for the next key before asking the server. */
const SEARCH_DELAY_MS = 300;

type SortKey = NonNullable<HostPageQuery['sort']>;
type Order = NonNullable<HostPageQuery['order']>;

interface View {
  q: string;
  sort: SortKey;
  order: Order;
  page: number;
  perPage: number;
}

const SORT_KEYS: readonly SortKey[] = ['mac', 'ip', 'dpid', 'lastSeen'];

function viewOfUrl(): View {
  const p = searchParams();
  const sort = SORT_KEYS.find((k) => k === p.get('sort')) ?? 'mac';
  const page = Number(p.get('page') ?? '1');
  const perPage = Number(p.get('limit') ?? DEFAULT_PER_PAGE);
  return {
    q: (p.get('q') ?? '').slice(0, MAX_QUERY),
    sort,
    order: p.get('order') === 'desc' ? 'desc' : 'asc',
    page: Number.isInteger(page) && page >= 1 ? page - 1 : 0,
    perPage:
      Number.isInteger(perPage) && perPage >= 1 && perPage <= MAX_PER_PAGE ? perPage : DEFAULT_PER_PAGE,
  };
}

function writeUrl(v: View): void {
  replaceSearch({
    q: v.q || undefined,
    sort: v.sort === 'mac' ? undefined : v.sort,
    order: v.order === 'asc' ? undefined : v.order,
    page: v.page === 0 ? undefined : String(v.page + 1),
    limit: v.perPage === DEFAULT_PER_PAGE ? undefined : String(v.perPage),
  });
}

export function Hosts() {
  const [view, setView] = useState(viewOfUrl);
  const [typed, setTyped] = useState(view.q);

  const change = (next: View) => {
    setView(next);
    writeUrl(next);
  };

  // Ask the server once the typing pauses; a new search starts on its first page.
  useEffect(() => {
    const q = typed.trim();
    if (q === view.q) return;
    const t = setTimeout(() => change({ ...view, q, page: 0 }), SEARCH_DELAY_MS);
    return () => clearTimeout(t);
  });

  const sortBy = (key: SortKey) =>
    change({
      ...view,
      sort: key,
      order: view.sort === key && view.order === 'asc' ? 'desc' : 'asc',
      page: 0,
    });

  return (
    <section>
      <form className="search" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search hosts{' '}
          <input
            type="search"
            name="q"
            value={typed}
            maxLength={MAX_QUERY}
            placeholder="MAC, IP address or switch DPID"
            onChange={(e) => setTyped(e.target.value)}
          />
        </label>
        <label>
          Rows per page{' '}
          <select
            name="limit"
            value={view.perPage}
            onChange={(e) => change({ ...view, perPage: Number(e.target.value), page: 0 })}
          >
            {[...new Set([...PAGE_SIZES, view.perPage])]
              .sort((a, b) => a - b)
              .map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
          </select>
        </label>
      </form>
      {/* A new query restarts the poll at once instead of at the next tick. */}
      <HostTable
        key={JSON.stringify(view)}
        view={view}
        onPage={(page) => change({ ...view, page })}
        sortBy={sortBy}
      />
    </section>
  );
}

const COLUMNS: [string, SortKey | undefined][] = [
  ['MAC', 'mac'],
  ['IP addresses', 'ip'],
  ['VLAN', undefined],
  ['Attachment point', 'dpid'],
  ['Last seen', 'lastSeen'],
];

function HostTable(props: { view: View; onPage(page: number): void; sortBy(key: SortKey): void }) {
  const { view, onPage, sortBy } = props;
  const { data, problem } = usePoll(async (client) => {
    const r = await client.hostsPage({
      ...(view.q ? { q: view.q } : {}),
      sort: view.sort,
      order: view.order,
      offset: view.page * view.perPage,
      limit: view.perPage,
    });
    return { ...r, now: Date.now() };
  });
  const pages = Math.max(1, Math.ceil((data?.total ?? 0) / view.perPage));

  // Hosts went away under a later page: show the last page there is.
  useEffect(() => {
    if (data && view.page >= pages) onPage(pages - 1);
  });

  return (
    <>
      {problem ? <ProblemNote problem={problem} /> : null}
      {!data ? (
        problem ? null : (
          <p className="loading">Loading…</p>
        )
      ) : (
        <>
          <p className="count" data-testid="host-count">
            {data.total === 0
              ? view.q
                ? `No host matches “${view.q}”.`
                : 'No hosts seen yet: hosts appear when they send traffic.'
              : `${data.total} host${data.total === 1 ? '' : 's'}${view.q ? ` matching “${view.q}”` : ''}`}
          </p>
          {data.total > 0 ? (
            <table className="grid" data-testid="hosts">
              <thead>
                <tr>
                  {COLUMNS.map(([label, key]) => (
                    <th
                      key={label}
                      aria-sort={
                        key === view.sort ? (view.order === 'asc' ? 'ascending' : 'descending') : undefined
                      }
                    >
                      {key ? (
                        <button type="button" onClick={() => sortBy(key)}>
                          {label}
                          {key === view.sort ? (view.order === 'asc' ? ' ▲' : ' ▼') : ''}
                        </button>
                      ) : (
                        label
                      )}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {data.hosts.map((h) => (
                  <HostRow key={h.mac} host={h} now={data.now} />
                ))}
              </tbody>
            </table>
          ) : null}
          {pages > 1 ? <Pager page={Math.min(view.page, pages - 1)} pages={pages} onPage={onPage} /> : null}
        </>
      )}
    </>
  );
}

function HostRow({ host: h, now }: { host: Host; now: number }) {
  return (
    <tr data-mac={h.mac}>
      <td className="mono">{h.mac}</td>
      <td className="mono">{[...h.ipv4, ...h.ipv6].join(', ') || '–'}</td>
      <td>{h.vlan.filter((v) => v !== 0).join(', ') || 'untagged'}</td>
      <td className="mono">
        {h.attachmentPoints.length === 0
          ? '–'
          : h.attachmentPoints.map((ap, i) => (
              <span key={`${ap.dpid}/${ap.port}`}>
                {i > 0 ? ', ' : ''}
                <a href={switchPath(ap.dpid)} onClick={followLink}>
                  {ap.dpid}
                </a>{' '}
                port {ap.port}
              </span>
            ))}
      </td>
      <td title={h.lastSeen}>{formatAgo(h.lastSeen, now)}</td>
    </tr>
  );
}
