/**
 * Timing the dashboard in a browser: time to first render and to interactive of a page, and frame times while
 * the topology is panned by a mouse drag. Shared by the UI scale test (test/integration/ui.scale.test.ts, which
 * reports them) and `make bench`'s ui section (which holds them to targets).
 *
 * First render: the first animation frame, counted from navigation start, in which the page shows its data
 * (a condition checked every frame in the page). Interactive: the end of the last long task (> 50 ms, the
 * browser's Long Tasks API) before the main thread stayed free for QUIET_MS after the first render; the first
 * render when none came.
 */
import type { Page } from 'playwright-core';

/** How long the main thread must stay free of long tasks for the page to count as interactive. */
export const QUIET_MS = 500;

export interface PageTiming {
  path: string;
  firstRenderMs: number;
  interactiveMs: number;
}

export interface PanTiming {
  frames: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** How far the view moved (CSS pixels): a drag that panned nothing measured nothing. */
  pannedPx: number;
}

/** Installed before any page script: collects long tasks, and frame deltas between start and stop. */
const INIT = `(() => {
  window.__longTasks = [];
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push([e.startTime, e.startTime + e.duration]); })
      .observe({ type: 'longtask', buffered: true });
  } catch (e) {}
  window.__frames = { on: false, deltas: [], last: 0,
    start() { this.on = true; this.deltas = []; this.last = 0;
      const tick = (t) => { if (!this.on) return; if (this.last) this.deltas.push(t - this.last); this.last = t; requestAnimationFrame(tick); };
      requestAnimationFrame(tick); },
    stop() { this.on = false; return this.deltas; } };
})();`;

export async function instrument(page: Page): Promise<void> {
  await page.addInitScript(INIT);
}

/**
 * Opens `url` and times it: `ready` is a JavaScript expression, true once the page shows its data. The page
 * must have been `instrument`ed.
 */
export async function timePage(
  page: Page,
  url: string,
  ready: string,
  timeoutMs = 60_000,
): Promise<Omit<PageTiming, 'path'>> {
  await page.goto(url);
  const handle = await page.waitForFunction(
    `(() => { try { return (${ready}) && performance.now(); } catch { return false; } })()`,
    undefined,
    {
      polling: 'raf',
      timeout: timeoutMs,
    },
  );
  const firstRenderMs = (await handle.jsonValue()) as number;
  // Wait for a quiet main thread: no long task ending in the last QUIET_MS.
  const interactiveMs = (await (
    await page.waitForFunction(
      `(() => { const now = performance.now(); const r = ${firstRenderMs};
        const ends = window.__longTasks.map((t) => t[1]).filter((e) => e > r);
        const last = ends.length ? Math.max(...ends) : r;
        return now - last >= ${QUIET_MS} && last; })()`,
      undefined,
      { polling: 100, timeout: timeoutMs },
    )
  ).jsonValue()) as number;
  return { firstRenderMs, interactiveMs };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Drags the topology's background (a point no switch covers, from the page's debug handle) in `steps` moves,
 * one per animation frame, and returns the frame deltas seen meanwhile.
 */
export async function panTopology(page: Page, steps = 90): Promise<PanTiming> {
  const start = (await page.evaluate('window.__sluiceTopology.pagePointOfEmptySpace()')) as
    { x: number; y: number } | undefined;
  if (!start) throw new Error('the topology has no empty spot to drag from');
  const pan = () => page.evaluate('window.__sluiceTopology.pan()') as Promise<{ x: number; y: number }>;
  const p0 = await pan();
  let pannedPx = 0;
  await page.mouse.move(start.x, start.y);
  await page.evaluate('window.__frames.start()');
  await page.mouse.down();
  for (let i = 1; i <= steps; i++) {
    // A circle's worth of drag, back to where it began: the view moves every frame.
    const a = (2 * Math.PI * i) / steps;
    await page.mouse.move(start.x + 120 * Math.sin(a), start.y + 80 * (1 - Math.cos(a)));
    const p = await pan();
    pannedPx = Math.max(pannedPx, Math.hypot(p.x - p0.x, p.y - p0.y));
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => r(0)))');
  }
  await page.mouse.up();
  const deltas = ((await page.evaluate('window.__frames.stop()')) as number[]).sort((a, b) => a - b);
  return {
    frames: deltas.length,
    p50Ms: percentile(deltas, 50),
    p95Ms: percentile(deltas, 95),
    maxMs: deltas[deltas.length - 1] ?? NaN,
    pannedPx: Math.round(pannedPx),
  };
}

/** The pages timed at scale and what each shows once it has its data. */
export function scalePages(switches: number, hosts: number): Array<{ path: string; ready: string }> {
  const text = (id: string) => `document.querySelector('[data-testid=${id}]')?.textContent`;
  return [
    {
      path: 'overview',
      ready: `${text('count-switches')} === '${switches}' && ${text('count-hosts')} === '${hosts}'`,
    },
    {
      path: 'topology',
      ready: `window.__sluiceTopology?.switches === ${switches} && window.__sluiceTopology.links === ${switches - 1} && window.__sluiceTopology.hostsTotal === ${hosts}`,
    },
    {
      // The hosts page: its first page of rows, and the server's total in the count line.
      path: 'hosts',
      ready:
        `${text('host-count')}?.startsWith('${hosts} hosts') === true && ` +
        `document.querySelectorAll('[data-testid=hosts] tbody tr').length > 0`,
    },
  ];
}
