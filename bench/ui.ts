/**
 * Bench section `ui`: the dashboard in a browser at scale (issue 11). Headless Chromium (Debian's, driven by
 * playwright-core, as the browser tests do) opens the overview, topology and hosts pages against Sluice with
 * bench/scalenet's 500 switches and 10,000 hosts, and the topology is dragged in a circle. Measured per page:
 * time to first render and to interactive (bench/uitiming.ts says how each is read); while panning: frame
 * times (requestAnimationFrame deltas) p50, p95 and max.
 *
 * Anchor: Avior, Floodlight's desktop GUI, did not render its hosts page within 200 s against Sluice with
 * 10,000 hosts (measured earlier; not re-run here).
 */
import { openBrowser } from '../test/integration/harness/browser.js';
import { sluice } from './controllers.js';
import type { BenchContext, BenchSection } from './run.js';
import { SCALE_HOSTS, SCALE_SWITCHES, withScaleNet } from './scale.js';
import {
  instrument,
  panTopology,
  QUIET_MS,
  scalePages,
  timePage,
  type PageTiming,
  type PanTiming,
} from './uitiming.js';

const RENDER_TARGET_MS = 2000;
const PAN_P95_TARGET_MS = 50;
/** Each page is opened this many times; the median is reported (the first load also fills caches). */
const LOADS = 3;
const PAGE_TIMEOUT_MS = 60_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const METHOD = `Method: Sluice with \`bench/scalenet\`'s ${SCALE_SWITCHES} fake switches (binary tree, ${SCALE_SWITCHES - 1}
links learned by LLDP) and ${SCALE_HOSTS.toLocaleString('en-US')} hosts, converged first (see the scale section). Debian's
Chromium, headless without a GPU (so 2D canvas, no WebGL), 1400 x 900, driven by playwright-core on the same 2 cores
as the controller. Each page is loaded ${LOADS} times by a fresh navigation; the median is shown. First render: the first
animation frame, from navigation start, in which the page shows the whole network (overview: the switch and host
counts; topology: every switch, link and the host total in the graph; hosts: the total and the first page of rows). Interactive:
the end of the last long task (> 50 ms) before the main thread stayed free for ${QUIET_MS} ms. Panning: the topology's
background dragged in a circle, one mouse move per frame for 90 frames; frame time = requestAnimationFrame deltas.

Anchor: Avior (Floodlight's GUI) did not render its hosts page within 200 s against Sluice with 10,000 hosts
(an earlier measurement; Avior is not re-run here).`;

export const uiSection: BenchSection = {
  id: 'ui',
  title: `Dashboard in a browser: ${SCALE_SWITCHES} switches, ${SCALE_HOSTS} hosts`,
  async run(ctx: BenchContext) {
    const title = `## Dashboard in a browser (${SCALE_SWITCHES} switches, ${SCALE_HOSTS.toLocaleString('en-US')} hosts)`;
    const why = sluice.unavailable(ctx);
    if (why) {
      ctx.report(`${title}\n\nNot run: ${why}.`);
      return;
    }
    ctx.log(`ui: the dashboard in Chromium against ${SCALE_SWITCHES} switches and ${SCALE_HOSTS} hosts`);
    try {
      const { pages, pan, chromium } = await withScaleNet(ctx, async (f) => {
        const b = await openBrowser({ viewport: { width: 1400, height: 900 } });
        try {
          await instrument(b.page);
          const pages: PageTiming[] = [];
          let pan: PanTiming | undefined;
          for (const { path, ready } of scalePages(SCALE_SWITCHES, SCALE_HOSTS)) {
            const runs = [];
            for (let i = 0; i < LOADS; i++)
              runs.push(await timePage(b.page, `${f.apiUrl}/ui/${path}`, ready, PAGE_TIMEOUT_MS));
            pages.push({
              path,
              firstRenderMs: median(runs.map((r) => r.firstRenderMs)),
              interactiveMs: median(runs.map((r) => r.interactiveMs)),
            });
            ctx.log(`  ui ${path}: ${JSON.stringify(runs)}`);
            if (path === 'topology') pan = await panTopology(b.page);
          }
          const problems = [...b.consoleErrors, ...b.failedRequests];
          if (problems.length) throw new Error(`the pages reported: ${problems.slice(0, 5).join('; ')}`);
          return { pages, pan: pan!, chromium: b.context.browser()?.version() ?? 'chromium' };
        } finally {
          await b.close();
        }
      });
      ctx.info(`- chromium: ${chromium} (headless, no GPU)`);
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      const rows = pages.map(
        (p) =>
          `| ${p.path} | ${s(p.firstRenderMs)} | ${s(p.interactiveMs)} | ${p.interactiveMs < RENDER_TARGET_MS ? 'met' : 'missed'} |`,
      );
      ctx.report(
        [
          title,
          '',
          `| page | first render | interactive | target < ${RENDER_TARGET_MS / 1000} s |`,
          '|---|---|---|---|',
          ...rows,
          '',
          '| topology panning | frames | p50 | p95 | max |',
          '|---|---|---|---|---|',
          `| frame time while dragging | ${pan.frames} | ${pan.p50Ms.toFixed(1)} ms | ${pan.p95Ms.toFixed(1)} ms | ${pan.maxMs.toFixed(1)} ms |`,
          '',
          METHOD,
        ].join('\n'),
      );
      for (const p of pages) {
        ctx.target({
          name: `dashboard ${p.path} interactive < ${RENDER_TARGET_MS / 1000} s at ${SCALE_SWITCHES} switches / ${SCALE_HOSTS} hosts`,
          met: p.interactiveMs < RENDER_TARGET_MS,
          detail: `first render ${s(p.firstRenderMs)}, interactive ${s(p.interactiveMs)}`,
        });
      }
      ctx.target({
        name: `topology panning frame time p95 < ${PAN_P95_TARGET_MS} ms`,
        met: pan.p95Ms < PAN_P95_TARGET_MS,
        detail: `p95 ${pan.p95Ms.toFixed(1)} ms over ${pan.frames} frames`,
      });
    } catch (err) {
      const msg = (err as Error).message.split('\n')[0];
      ctx.fail(`ui: ${(err as Error).message}`);
      ctx.report(`${title}\n\nFailed: ${msg}`);
      ctx.target({
        name: `dashboard pages interactive < ${RENDER_TARGET_MS / 1000} s`,
        met: false,
        detail: msg,
      });
    }
  },
};
