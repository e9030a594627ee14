/**
 * The dashboard's browser tests: Debian's Chromium (/usr/bin/chromium, installed by scripts/setup.sh or here
 * when missing; never a browser downloaded by npm) driven headless by playwright-core, with a fresh profile per
 * session, every console error and failed request collected, and screenshots kept under test-artifacts/ui/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { run } from './exec.js';
import { REPO_ROOT } from './paths.js';
import { onExitSync } from './procs.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Where screenshots go (gitignored; CI keeps them as artifacts). */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-artifacts', 'ui');

/** The built dashboard the controller serves at /ui/ (`make setup` builds it). */
export const DASHBOARD_INDEX = path.join(REPO_ROOT, 'dist', 'web', 'index.html');

/** Quiet and self-contained: no GPU, no QUIC, nothing fetched in the background, no first-run screens. */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const chromiumVersion = async () => {
  if (!fs.existsSync(CHROMIUM)) return undefined;
  const r = await run(CHROMIUM, ['--version'], { timeoutMs: 30_000 });
  return r.code === 0 && /Chromium/.test(r.stdout) ? r.stdout.trim() : undefined;
};

/**
 * Makes sure /usr/bin/chromium runs: installs Debian's `chromium` package when it is missing (as scripts/setup.sh
 * does), and says what to do when that fails. Returns its version line.
 */
export async function ensureChromium(): Promise<string> {
  const have = await chromiumVersion();
  if (have) return have;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium'], {
    timeoutMs: 600_000,
    env,
  });
  if (r.code !== 0) {
    // A fresh machine's package lists may not know the package yet.
    await run('apt-get', ['update', '-q'], { timeoutMs: 300_000, env });
    r = await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium'], {
      timeoutMs: 600_000,
      env,
    });
  }
  const now = await chromiumVersion();
  if (!now) {
    throw new Error(
      `${CHROMIUM} is missing and installing Debian's chromium failed (exit ${r.code}): run make setup, or ` +
        `apt-get install chromium.\n${r.stderr.slice(-2000)}`,
    );
  }
  return now;
}

export interface BrowserSession {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught page errors, in order. */
  consoleErrors: string[];
  /**
   * Requests with no answer (`GET url: net::ERR_...`; not the ones the page aborted itself) or an error status
   * (`GET url: 401`).
   */
  failedRequests: string[];
  /** Forgets what was collected so far (e.g. the expected 401 before a login). */
  resetProblems(): void;
  /** A full-page PNG at test-artifacts/ui/<name>.png; returns its path. */
  screenshot(name: string): Promise<string>;
  /** Closes the browser and removes its profile directory. */
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh profile (a temporary --user-data-dir, removed on close). */
export async function openBrowser(
  opts: { viewport?: { width: number; height: number } } = {},
): Promise<BrowserSession> {
  // Without a build every page would be the controller's 503: say what to run instead.
  if (!fs.existsSync(DASHBOARD_INDEX)) {
    throw new Error(
      `${DASHBOARD_INDEX} is missing: build the dashboard with make setup (it runs vite build)`,
    );
  }
  await ensureChromium();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-chromium-'));
  const removeProfile = () => fs.rmSync(profile, { recursive: true, force: true });
  const unhook = onExitSync(removeProfile);
  let context: BrowserContext;
  try {
    // A persistent context is how playwright takes a --user-data-dir of our choosing.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_FLAGS],
      viewport: opts.viewport ?? { width: 1280, height: 860 },
      timeout: 60_000,
    });
  } catch (e) {
    removeProfile();
    unhook();
    throw e;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  const failedRequests: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.stack ?? err.message}`));
  page.on('requestfailed', (req) => {
    // Cancelled by the page (a live stream it closes on leaving, a fetch a navigation ends): not a failure.
    if (req.failure()?.errorText === 'net::ERR_ABORTED') return;
    failedRequests.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText ?? 'failed'}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) failedRequests.push(`${res.request().method()} ${res.url()}: ${res.status()}`);
  });

  let closed = false;
  return {
    page,
    context,
    consoleErrors,
    failedRequests,
    resetProblems() {
      consoleErrors.length = 0;
      failedRequests.length = 0;
    },
    async screenshot(name) {
      fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const file = path.join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.close();
      } finally {
        removeProfile();
        unhook();
      }
    },
  };
}
