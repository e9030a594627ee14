/**
 * Moving between /ui/ locations without a reload: the app shell follows popstate, so pushing a location and
 * announcing it is all a page needs (e.g. a switch row opening /ui/switches/<dpid>).
 */
import type { MouseEvent } from 'react';

export function navigate(to: string): void {
  window.history.pushState(null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** An <a onClick> that navigates in place, leaving new-tab clicks to the browser. */
export function followLink(e: MouseEvent<HTMLAnchorElement>): void {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(e.currentTarget.getAttribute('href') ?? '/ui/');
}

/** The query parameters of the current location. */
export const searchParams = (): URLSearchParams => new URLSearchParams(window.location.search);

/** Rewrites the query of the current location (no new history entry: typing a search is not navigation). */
export function replaceSearch(params: Record<string, string | undefined>): void {
  const p = searchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') p.delete(k);
    else p.set(k, v);
  }
  const qs = p.toString();
  window.history.replaceState(null, '', `${window.location.pathname}${qs ? `?${qs}` : ''}`);
}
