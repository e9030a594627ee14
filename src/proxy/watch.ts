/**
 * adapters.yml on disk: read at start, read again when it changes. A bad new file (or one that is gone) keeps
 * the config read last, with a WARN saying why; the proxy never runs on half a config.
 *
 * Changes are seen with fs.watch on the file's directory, not on the file: editors save by writing a new file
 * and renaming it over the old one (a watch on the file would stay on the replaced inode), a file may be
 * deleted and created again, and a Kubernetes ConfigMap swaps a symlink next to it. Any event in the directory
 * schedules a read after a short quiet time (debounce); a read that finds the same text changes nothing. When
 * the directory does not exist (yet), or its watch fails, the file is read every second instead.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  ConfigError,
  configSummary,
  emptyConfig,
  parseAdaptersConfig,
  problemText,
  type ParseOptions,
  type ProxyConfig,
} from './config.js';

/** Where `sluice proxy` reads adapters.yml when --adapters is not given. */
export { DEFAULT_ADAPTERS_FILE } from './defaults.js';

/** The logger the watcher reports to (pino's shape). */
export interface ConfigLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface WatchOptions extends ParseOptions {
  /**
   * The file must exist at start (it was given with --adapters): a missing file is an error. Otherwise (the
   * default path) the proxy starts without adapters, with a WARN, and reads the file when it appears.
   */
  required?: boolean;
  /** Default: WARN lines on stderr, INFO dropped. */
  log?: ConfigLog;
  /** Called after each reload that produced a new valid config (not at start). */
  onChange?: (config: ProxyConfig, previous: ProxyConfig) => void;
  /** Quiet time after the last change event before the file is read (ms, default 100). */
  debounceMs?: number;
  /** Poll interval when the directory cannot be watched (ms, default 1000). */
  pollMs?: number;
}

const stderrLog: ConfigLog = {
  info: () => undefined,
  warn: (_obj, msg) => process.stderr.write(`WARN ${msg ?? ''}\n`),
};

const errnoCode = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** Reads and validates adapters.yml; a file that cannot be read is a ConfigError about the whole file (line 0). */
export async function loadAdaptersConfig(file: string, opts: ParseOptions = {}): Promise<ProxyConfig> {
  return parseAdaptersConfig(await readConfigText(file), file, opts);
}

async function readConfigText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const reason =
      errnoCode(err) === 'ENOENT'
        ? 'no such file'
        : errnoCode(err) === 'EISDIR'
          ? 'is a directory, not a file'
          : `cannot be read: ${(err as Error).message}`;
    throw new ConfigError({ file, line: 0, field: '', reason }, { cause: err });
  }
}

/** adapters.yml, kept current. Make one with watchAdaptersConfig(); close() it when the proxy stops. */
export class ConfigWatcher {
  private config: ProxyConfig;
  /** The text read last, valid or not: the same text again changes nothing and is not reported again. */
  private lastText: string | undefined;
  private missing = false;
  private closed = false;
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<boolean> = Promise.resolve(false);
  private readonly log: ConfigLog;

  private constructor(
    readonly file: string,
    private readonly opts: WatchOptions,
    first: { config: ProxyConfig; text: string | undefined },
  ) {
    this.config = first.config;
    this.lastText = first.text;
    this.missing = first.text === undefined;
    this.log = opts.log ?? stderrLog;
  }

  /** Reads the file (see WatchOptions.required for a missing one) and starts watching it. */
  static async open(file: string, opts: WatchOptions = {}): Promise<ConfigWatcher> {
    const log = opts.log ?? stderrLog;
    let first: { config: ProxyConfig; text: string | undefined };
    try {
      const text = await readConfigText(file);
      first = { config: parseAdaptersConfig(text, file, opts), text };
      log.info({ file, ...counts(first.config) }, `${file}: ${configSummary(first.config)}`);
    } catch (err) {
      if (
        !(err instanceof ConfigError && err.line === 0 && errnoCode(err.cause) === 'ENOENT') ||
        opts.required
      ) {
        throw err;
      }
      log.warn({ file }, `${file} does not exist: proxying without adapters until it does`);
      first = { config: emptyConfig(file), text: undefined };
    }
    const w = new ConfigWatcher(file, opts, first);
    w.watch();
    return w;
  }

  /** The config in force. */
  current(): ProxyConfig {
    return this.config;
  }

  /**
   * Reads the file now (what a change does, after the debounce); resolves to whether a new config is in
   * force. Reads are queued, never concurrent.
   */
  reload(): Promise<boolean> {
    const next = this.queue.then(() => this.readOnce());
    this.queue = next.catch(() => false);
    return next;
  }

  /** Stops watching; current() keeps answering with the last config. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
    clearInterval(this.poller);
  }

  private watch(): void {
    const dir = dirname(resolve(this.file));
    try {
      this.watcher = watch(dir, { persistent: false }, () => this.schedule());
    } catch (err) {
      this.log.warn(
        { file: this.file, err: (err as Error).message },
        `cannot watch ${dir} (${errnoCode(err) ?? (err as Error).message}): polling ${this.file} instead`,
      );
      this.poll();
      return;
    }
    this.watcher.on('error', (err) => {
      this.log.warn(
        { file: this.file, err: err.message },
        `watching ${dir} failed: polling ${this.file} instead`,
      );
      this.watcher?.close();
      this.watcher = undefined;
      if (!this.closed) this.poll();
      this.schedule();
    });
    // A change between the first read and the watch would otherwise wait for the next one.
    this.schedule();
  }

  /** Reads the file every pollMs (the text is compared: no stat baseline to race with the file's creation). */
  private poll(): void {
    this.poller = setInterval(() => this.schedule(), this.opts.pollMs ?? 1000);
    this.poller.unref();
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.reload().catch((err: Error) =>
        this.log.warn({ file: this.file, err: err.message }, `reloading ${this.file}: ${err.message}`),
      );
    }, this.opts.debounceMs ?? 100);
    this.timer.unref();
  }

  private async readOnce(): Promise<boolean> {
    if (this.closed) return false;
    const file = this.file;
    const kept = `keeping the config read last (${configSummary(this.config)})`;
    let text: string;
    try {
      text = await readConfigText(file);
    } catch (err) {
      const gone = errnoCode((err as Error).cause) === 'ENOENT';
      // Gone is said once per disappearance; it is also the middle of an editor's delete-and-write.
      if (!gone || !this.missing) this.log.warn({ file }, `${(err as Error).message}: ${kept}`);
      this.missing = gone;
      this.lastText = undefined;
      return false;
    }
    this.missing = false;
    if (this.closed || text === this.lastText) return false;
    this.lastText = text;
    let next: ProxyConfig;
    try {
      next = parseAdaptersConfig(text, file, this.opts);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const errors = err.problems.map(problemText);
      this.log.warn({ file, errors }, `${file} changed but is invalid, ${kept}:\n${errors.join('\n')}`);
      return false;
    }
    const previous = this.config;
    this.config = next;
    this.log.info({ file, ...counts(next) }, `${file} reloaded: ${configSummary(next)}`);
    this.opts.onChange?.(next, previous); // a throw rejects this reload() only; the new config is in force
    return true;
  }
}

const counts = (c: ProxyConfig) => ({ endpoints: c.endpoints.length, adapters: c.adapters.length });

/** Reads adapters.yml and keeps it current; see ConfigWatcher and WatchOptions. */
export function watchAdaptersConfig(file: string, opts: WatchOptions = {}): Promise<ConfigWatcher> {
  return ConfigWatcher.open(file, opts);
}
