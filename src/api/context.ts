/** What route areas are given: the views of the controller and apps, plus shared lookups. */
import type { FastifyInstance } from 'fastify';
import { formatDpid, parseDpid } from '../util/index.js';
import { badRequest, notFound } from './errors.js';
import type { MetricSample } from './routes/metrics.js';
import type {
  ControllerCounters,
  HostsView,
  ModuleInfo,
  SwitchesView,
  SwitchView,
  TopologyView,
} from './views.js';

export interface ApiDeps {
  switches: SwitchesView;
  /** Absent when the topology app is not loaded: its routes answer 404 like any unknown path. */
  topology?: TopologyView;
  hosts?: HostsView;
  /** Live counters object (read at each /metrics scrape). */
  counters?: ControllerCounters;
  /** Loaded apps in pipeline order. */
  modules?: () => ModuleInfo[];
  /** More /metrics samples (apps' own: host-aware rules...), read at each scrape. */
  metrics?: (() => MetricSample[])[];
  /** Sluice's version string. */
  version: string;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** When the daemon started (ms since the epoch); defaults to server creation time. */
  startedAt?: number;
}

/** One area's routes. Areas are plain functions so app route files (staticflows, firewall...) plug in alike. */
export type RouteArea = (app: FastifyInstance, ctx: ApiContext) => void;

export interface ApiContext extends ApiDeps {
  now: () => number;
  startedAt: number;
  /** Parses a DPID path/query value; 400 naming `field` when malformed. */
  parseDpidArg(text: string, field: string): bigint;
  /** A connected switch by DPID text; 400 when malformed, 404 when not connected. */
  switchOf(text: string, field?: string): SwitchView;
}

export function makeContext(deps: ApiDeps): ApiContext {
  const now = deps.now ?? Date.now;
  const parseDpidArg = (text: string, field: string): bigint => {
    const dpid = parseDpid(text);
    if (dpid === undefined) {
      throw badRequest(`${field} '${text}' is not a DPID (expected 00:00:00:00:00:00:00:01 or hex)`, field);
    }
    return dpid;
  };
  return {
    ...deps,
    now,
    startedAt: deps.startedAt ?? now(),
    parseDpidArg,
    switchOf(text, field = 'dpid') {
      const dpid = parseDpidArg(text, field);
      const sw = deps.switches.switches.get(dpid);
      if (!sw) throw notFound(`switch ${formatDpid(dpid)} is not connected`, field);
      return sw;
    },
  };
}
