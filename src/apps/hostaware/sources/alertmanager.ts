/**
 * Alertmanager's webhook (payload version 4) as alert events: an alert that fires counts as a met condition,
 * one that resolves as cleared (issue 10, item 1). The host comes from a label (`instance` by default, its
 * port dropped), the alert's name from `alertname`. Alerts without the host label are returned apart, so the
 * receiver can WARN about them instead of dropping them silently.
 */
import { ParseError, checkSize } from './errors.js';
import { stripPort } from './prometheus.js';
import type { AlertEvent } from './types.js';

export interface AlertmanagerOptions {
  source: string;
  /** The label naming the host (default `instance`). */
  hostLabel?: string;
}

export interface AlertBatch {
  events: AlertEvent[];
  /** alertname (or fingerprint) of each alert that had no host label. */
  unmatched: string[];
}

function fail(where: string, reason: string): never {
  throw new ParseError('alertmanager', where, reason);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, where: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isObj(v)) fail(where, 'not an object');
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') fail(`${where}.${k}`, 'not a string');
    out[k] = x;
  }
  return out;
}

/** RFC 3339 as Alertmanager writes it -> ms epoch; its zero time (0001-01-01) means "not set". */
function time(v: unknown, where: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[-+]\d\d:\d\d)$/.test(v)) {
    fail(where, `'${String(v)}' is not an RFC 3339 time`);
  }
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) fail(where, `'${v}' is not a valid time`);
  return v.startsWith('0001-') ? undefined : ms;
}

/** A webhook body (parsed JSON, or its text) -> events. */
export function parseAlertmanagerWebhook(body: unknown, opts: AlertmanagerOptions): AlertBatch {
  if (typeof body === 'string') {
    checkSize('alertmanager', body);
    try {
      body = JSON.parse(body) as unknown;
    } catch (err) {
      fail('body', `not JSON (${(err as Error).message})`);
    }
  }
  if (!isObj(body)) fail('body', 'not a JSON object');
  if (body.version !== '4') fail('version', `expected "4", got ${JSON.stringify(body.version)}`);
  if (!Array.isArray(body.alerts)) fail('alerts', 'missing or not a list');
  const hostLabel = opts.hostLabel ?? 'instance';
  const batch: AlertBatch = { events: [], unmatched: [] };
  body.alerts.forEach((a: unknown, i: number) => {
    const where = `alerts[${i}]`;
    if (!isObj(a)) fail(where, 'not an object');
    if (a.status !== 'firing' && a.status !== 'resolved') {
      fail(`${where}.status`, `expected firing or resolved, got ${JSON.stringify(a.status)}`);
    }
    const labels = stringMap(a.labels, `${where}.labels`);
    const annotations = stringMap(a.annotations, `${where}.annotations`);
    const alert = labels.alertname;
    if (!alert) fail(`${where}.labels.alertname`, 'missing');
    const startsAt = time(a.startsAt, `${where}.startsAt`);
    const endsAt = time(a.endsAt, `${where}.endsAt`);
    if (a.fingerprint !== undefined && typeof a.fingerprint !== 'string')
      fail(`${where}.fingerprint`, 'not a string');
    const raw = labels[hostLabel];
    if (!raw) {
      batch.unmatched.push(alert);
      return;
    }
    const at = a.status === 'firing' ? startsAt : (endsAt ?? startsAt);
    if (at === undefined) fail(`${where}.${a.status === 'firing' ? 'startsAt' : 'endsAt'}`, 'missing');
    const ev: AlertEvent = {
      source: opts.source,
      host: stripPort(raw),
      alert,
      status: a.status,
      at,
      labels,
      annotations,
    };
    if (a.fingerprint) ev.fingerprint = a.fingerprint as string;
    batch.events.push(ev);
  });
  return batch;
}
