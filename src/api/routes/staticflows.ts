/**
 * Static flow entries: Floodlight's static entry pusher paths (/wm/staticentrypusher/ and its aliases
 * /wm/staticflowpusher/, /wm/staticflowentrypusher/) and /api/v1/staticflows. The app validates entries and
 * names the field at fault; these routes only translate shapes and errors.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { flowModAdd, type FlowSpec } from '../../controller/index.js';
import {
  OFP_VERSION_1_0,
  OFP_VERSION_1_3,
  formatFlow,
  type FlowMod,
  type FlowStatsEntry,
  type OfVersion,
} from '../../openflow/index.js';
import { formatDpid } from '../../util/index.js';
import type { ApiContext, RouteArea } from '../context.js';
import { HttpError, callApp, objectBody } from '../errors.js';
import { ofVersionName } from '../format/floodlight.js';
import { DeletedCount, DeletedName, StaticFlow, StaticFlowsAdded, replies } from '../responses.js';
import { DPID_DESCRIPTION } from '../schemas.js';

/** One stored entry with what its switch reports of it. */
export interface StaticFlowListing {
  name: string;
  dpid: bigint;
  /** Canonical flat entry (Floodlight names, string values), as stored. */
  entry: Record<string, string>;
  /** Just the match fields of `entry`. */
  match: Record<string, string>;
  /** The canonical `actions` text plus other instruction keys of `entry`. */
  state: 'installed' | 'missing' | 'inactive' | 'switch_not_connected';
  spec: FlowSpec;
  version?: OfVersion;
  flow?: FlowStatsEntry;
}

/** What the routes need of the staticflows app. Errors carry `status` (400/404/409) and `field`. */
export interface StaticFlowsView {
  add(body: unknown): Promise<{ name: string; pushed: boolean; replaced: boolean }>;
  /** Several entries: all validated first (an error names `[i].field`), then added. */
  addMany(bodies: unknown[]): Promise<{ name: string; pushed: boolean; replaced: boolean }[]>;
  delete(name: unknown): Promise<void>;
  /** A DPID or 'all'; resolves to how many entries were removed. */
  clear(dpid: string): Promise<number>;
  /** A DPID or 'all'. */
  list(dpid: string): Promise<StaticFlowListing[]>;
}

const FLOODLIGHT_PREFIXES = ['/wm/staticentrypusher', '/wm/staticflowpusher', '/wm/staticflowentrypusher'];

/** The FlowMod a listing describes, for ovs-ofctl text when the switch has no such flow (yet). */
function specAsFlowMod(l: StaticFlowListing): FlowMod {
  const version = l.version ?? OFP_VERSION_1_3;
  const body = flowModAdd(l.spec, l.spec.cookie ?? 0n, version, { anyCookie: true }) as Omit<
    FlowMod,
    'version' | 'xid'
  >;
  return { ...body, version, xid: 0 };
}

const INSTRUCTION_KEYS = [
  'instruction_write_actions',
  'instruction_clear_actions',
  'instruction_write_metadata',
] as const;

/** Floodlight 1.2's listing of one entry (its OFFlowMod serializer) plus live counters. */
export function listingToFloodlight(l: StaticFlowListing): Record<string, unknown> {
  const version = l.version ?? OFP_VERSION_1_3;
  const s = l.spec;
  const actions = l.entry.actions ?? '';
  const out: Record<string, unknown> = {
    version: ofVersionName(version),
    command: 'ADD',
    cookie: String(s.cookie ?? 0n),
    priority: String(s.priority),
    idleTimeoutSec: String(s.idleTimeout ?? 0),
    hardTimeoutSec: String(s.hardTimeout ?? 0),
    outPort: 'any',
    flags: String(s.flags ?? 0),
    cookieMask: '0',
    outGroup: 'any',
    table_id: String(s.tableId),
    active: l.entry.active ?? 'true',
    state: l.state,
    packet_count: String(l.flow?.packetCount ?? 0n),
    byte_count: String(l.flow?.byteCount ?? 0n),
    duration_sec: String(l.flow?.durationSec ?? 0),
    match: l.match,
  };
  if (version === OFP_VERSION_1_0) {
    out.actions = { actions: actions || 'drop' };
  } else {
    const ins: Record<string, unknown> = {};
    if (actions) ins.instruction_apply_actions = { actions };
    for (const k of INSTRUCTION_KEYS) if (l.entry[k] !== undefined) ins[k] = l.entry[k];
    out.instructions = ins;
  }
  return out;
}

export function listingToV1(l: StaticFlowListing) {
  return {
    name: l.name,
    switch: formatDpid(l.dpid),
    state: l.state,
    entry: l.entry,
    packetCount: Number(l.flow?.packetCount ?? 0n),
    byteCount: Number(l.flow?.byteCount ?? 0n),
    durationSec: l.flow?.durationSec ?? 0,
    text:
      l.flow && l.version !== undefined
        ? formatFlow(l.flow, l.version)
        : formatFlow(specAsFlowMod(l), l.version ?? OFP_VERSION_1_3),
  };
}

/** Floodlight's {dpid: [{name: {...}}]} map. */
function floodlightListing(listings: StaticFlowListing[]): Record<string, Record<string, unknown>[]> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const l of listings) (out[formatDpid(l.dpid)] ??= []).push({ [l.name]: listingToFloodlight(l) });
  return out;
}

const EntryBody = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  description:
    'A static entry: switch, name, optional priority/cookie/table/idle_timeout/hard_timeout/active, match fields ' +
    '(in_port, eth_type, ipv4_dst...), actions (e.g. "output=2"; empty means drop), instruction_* keys.',
});
const DpidOrAll = Type.Object({ dpid: Type.String({ description: `${DPID_DESCRIPTION}, or all` }) });
const NameParam = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) });

/** The route area; plug it into createApiServer({routes: [staticFlowRoutes(view)]}). */
export function staticFlowRoutes(view: StaticFlowsView): RouteArea {
  return (app: FastifyInstance, _ctx: ApiContext) => {
    const tags = ['floodlight: static entries'];
    for (const p of FLOODLIGHT_PREFIXES) {
      const hide = p !== FLOODLIGHT_PREFIXES[0];
      app.post(
        `${p}/json`,
        {
          schema: {
            tags,
            hide,
            summary: 'Add or replace a static entry (stored, then pushed)',
            body: EntryBody,
          },
        },
        async (req) => {
          await callApp(() => view.add(req.body));
          return { status: 'Entry pushed' };
        },
      );
      app.delete(
        `${p}/json`,
        { schema: { tags, hide, summary: 'Delete a static entry by name: {"name": ...}', body: EntryBody } },
        async (req) => {
          const body = objectBody(req.body, '{"name": ...}');
          await callApp(() => view.delete(body.name));
          return { status: `Entry ${String(body.name).trim()} deleted` };
        },
      );
      app.get<{ Params: { dpid: string } }>(
        `${p}/list/:dpid/json`,
        {
          schema: {
            tags,
            hide,
            summary: 'Entries of a switch (or all) with live counters',
            params: DpidOrAll,
          },
        },
        async (req) => floodlightListing(await callApp(() => view.list(req.params.dpid))),
      );
      app.get<{ Params: { dpid: string } }>(
        `${p}/clear/:dpid/json`,
        { schema: { tags, hide, summary: 'Delete every entry of a switch (or all)', params: DpidOrAll } },
        async (req) => {
          const n = await callApp(() => view.clear(req.params.dpid));
          return { status: `Deleted ${n} entries` };
        },
      );
    }

    const v1 = ['sluice: static entries'];
    app.get<{ Querystring: { switch?: string } }>(
      '/api/v1/staticflows',
      {
        schema: {
          tags: v1,
          summary: 'Static entries with live counters, optionally of one switch',
          response: replies(Type.Array(StaticFlow)),
          querystring: Type.Object(
            { switch: Type.Optional(Type.String({ description: DPID_DESCRIPTION })) },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => (await callApp(() => view.list(req.query.switch ?? 'all'))).map(listingToV1),
    );
    app.get<{ Params: { name: string } }>(
      '/api/v1/staticflows/:name',
      { schema: { tags: v1, summary: 'One static entry', params: NameParam, response: replies(StaticFlow) } },
      async (req) => {
        const found = (await callApp(() => view.list('all'))).find((l) => l.name === req.params.name);
        if (!found)
          throw new HttpError(404, 'not_found', `name: no static entry named '${req.params.name}'`, 'name');
        return listingToV1(found);
      },
    );
    app.post(
      '/api/v1/staticflows',
      {
        schema: {
          tags: v1,
          summary: 'Add or replace entries: one entry, or a list (validated together, stored in one commit)',
          response: replies(StaticFlowsAdded, 201),
          body: Type.Unsafe<unknown>({
            anyOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }],
          }),
        },
      },
      async (req, reply) => {
        const body = req.body;
        const added = Array.isArray(body)
          ? await callApp(() => view.addMany(body))
          : [await callApp(() => view.add(body))];
        void reply.status(201);
        return { added };
      },
    );
    app.delete<{ Params: { name: string } }>(
      '/api/v1/staticflows/:name',
      {
        schema: {
          tags: v1,
          summary: 'Delete one static entry (exactly its flow)',
          params: NameParam,
          response: replies(DeletedName),
        },
      },
      async (req) => {
        await callApp(() => view.delete(req.params.name));
        return { deleted: req.params.name };
      },
    );
    app.delete<{ Querystring: { switch: string } }>(
      '/api/v1/staticflows',
      {
        schema: {
          tags: v1,
          summary: 'Delete every entry of a switch, or all (switch=all)',
          response: replies(DeletedCount),
          querystring: Type.Object(
            { switch: Type.String({ description: `${DPID_DESCRIPTION}, or all` }) },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => ({ deleted: await callApp(() => view.clear(req.query.switch)) }),
    );
  };
}
