/** Structured logging: pino JSON lines, or one human line per record for terminals. */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { LogFormat, LogLevel } from './levels.js';

export { LOG_LEVELS, type LogFormat, type LogLevel } from './levels.js';

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Keys pino adds that the pretty line shows in its own places (or drops). */
const FIXED_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

function valueText(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  if (v && typeof v === 'object' && 'message' in v && typeof v.message === 'string')
    return JSON.stringify(v.message);
  return JSON.stringify(v);
}

/** `12:00:01.234 INFO  switch connected dpid=00:00:00:00:00:00:00:01 version=1.3` */
export function prettyLine(rec: Record<string, unknown>): string {
  const t = typeof rec.time === 'number' ? new Date(rec.time).toISOString().slice(11, 23) : '';
  const level = (LEVEL_NAMES[rec.level as number] ?? String(rec.level)).padEnd(5);
  const fields = Object.entries(rec)
    .filter(([k]) => !FIXED_KEYS.has(k))
    .map(([k, v]) => `${k}=${valueText(v)}`);
  return [t, level, String(rec.msg ?? ''), ...fields].filter((s) => s !== '').join(' ');
}

/** A stream that turns pino's JSON lines into pretty lines on `out`. */
export function prettyStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        try {
          out.write(prettyLine(JSON.parse(line) as Record<string, unknown>) + '\n');
        } catch {
          out.write(line + '\n');
        }
      }
      done();
    },
  });
}

export function createLogger(
  opts: { level: LogLevel; format: LogFormat },
  out: NodeJS.WritableStream = process.stderr,
): Logger {
  const dest = opts.format === 'pretty' ? prettyStream(out) : out;
  return pino(
    {
      level: opts.level,
      base: undefined,
      // bigint fields (DPIDs, cookies) would make JSON.stringify throw inside pino.
      hooks: {
        logMethod(args, method) {
          if (args[0] && typeof args[0] === 'object') args[0] = bigintsToText(args[0]) as object;
          method.apply(this, args as Parameters<typeof method>);
        },
      },
    },
    dest,
  );
}

function bigintsToText(v: unknown, depth = 0): unknown {
  if (typeof v === 'bigint') return '0x' + v.toString(16);
  if (depth > 3 || v === null || typeof v !== 'object' || v instanceof Error || Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map((x) => bigintsToText(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = bigintsToText(x, depth + 1);
  return out;
}
