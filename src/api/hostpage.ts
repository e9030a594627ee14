/**
 * Server-side search, sort and paging of the host list, so that a dashboard with 10,000 hosts downloads one
 * page, not the table. Pure: hosts in, one page and the count before paging out.
 */
import { formatDpid } from '../util/index.js';
import { ipv4TextToNum } from '../packet/index.js';
import type { HostInfo } from './views.js';

export const HOST_SORT_KEYS = ['mac', 'ip', 'dpid', 'lastSeen'] as const;
export type HostSortKey = (typeof HOST_SORT_KEYS)[number];
export const SORT_ORDERS = ['asc', 'desc'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];
export const HOST_PAGE_MAX = 1000;

export interface HostPageOptions {
  /** Case-insensitive substring of the MAC, any IP address or the DPID (colon form) of an attachment point. */
  q?: string;
  /** Default mac. */
  sort?: HostSortKey;
  /** Default asc. */
  order?: SortOrder;
  /** Hosts to skip after sorting; default 0. */
  offset?: number;
  /** Hosts in the page; default all from offset on. */
  limit?: number;
}

export interface HostPage {
  hosts: HostInfo[];
  /** Hosts matching the search, before offset and limit. */
  total: number;
}

/**
 * Whether `q` (lower case) is part of the host's MAC, an address, or an attachment point's DPID. `dpidText`
 * caches the DPIDs' text: hosts share few switches, and formatting one per host was most of a search's time.
 */
function matches(h: HostInfo, q: string, dpidText: Map<bigint, string>): boolean {
  if (h.mac.toLowerCase().includes(q)) return true;
  for (const ip of h.ipv4) if (ip.includes(q)) return true;
  for (const ip of h.ipv6) if (ip.toLowerCase().includes(q)) return true;
  for (const ap of h.attachmentPoints) {
    let text = dpidText.get(ap.dpid);
    if (text === undefined) dpidText.set(ap.dpid, (text = formatDpid(ap.dpid)));
    if (text.includes(q)) return true;
  }
  return false;
}

/** Sort keys precomputed once per host: comparing text DPIDs or parsing IPs per comparison is n log n work. */
function sortKey(h: HostInfo, key: HostSortKey): number | bigint | string {
  switch (key) {
    case 'mac':
      return h.mac.toLowerCase();
    case 'ip':
      // Hosts without an IPv4 sort after every address (ascending).
      return h.ipv4.length ? (ipv4TextToNum(h.ipv4[0]) ?? 2 ** 32) : 2 ** 32;
    case 'dpid':
      return h.attachmentPoints.length ? h.attachmentPoints[0].dpid : 2n ** 64n;
    case 'lastSeen':
      return h.lastSeen;
  }
}

function compare(a: number | bigint | string, b: number | bigint | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Filters by `q`, sorts (ties broken by MAC, then port for dpid, so pages are stable between requests), and
 * slices [offset, offset + limit).
 */
export function pageHosts(hosts: readonly HostInfo[], opts: HostPageOptions = {}): HostPage {
  const q = opts.q?.trim().toLowerCase();
  const dpidText = new Map<bigint, string>();
  const found = q ? hosts.filter((h) => matches(h, q, dpidText)) : hosts;
  const key = opts.sort ?? 'mac';
  const sign = opts.order === 'desc' ? -1 : 1;
  const keyed = found.map((h) => ({
    h,
    k: sortKey(h, key),
    port: h.attachmentPoints[0]?.port ?? 0,
    mac: h.mac.toLowerCase(),
  }));
  keyed.sort(
    (a, b) => sign * (compare(a.k, b.k) || (key === 'dpid' ? a.port - b.port : 0)) || compare(a.mac, b.mac),
  );
  const offset = opts.offset ?? 0;
  const end = opts.limit === undefined ? undefined : offset + opts.limit;
  return { hosts: keyed.slice(offset, end).map((x) => x.h), total: found.length };
}

/**
 * How many hosts hang off each switch (a host counts once at every switch it is attached to), by DPID
 * ascending: what a topology view needs to draw 10,000 hosts as one badge per switch without the list.
 */
export function hostsPerSwitch(hosts: readonly HostInfo[]): { dpid: bigint; hosts: number }[] {
  const counts = new Map<bigint, number>();
  for (const h of hosts) {
    const seen = new Set<bigint>();
    for (const ap of h.attachmentPoints) {
      if (seen.has(ap.dpid)) continue;
      seen.add(ap.dpid);
      counts.set(ap.dpid, (counts.get(ap.dpid) ?? 0) + 1);
    }
  }
  return [...counts]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([dpid, n]) => ({ dpid, hosts: n }));
}
