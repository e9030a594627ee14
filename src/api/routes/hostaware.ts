/**
 * Host-aware networking: FL_HAND's /wm/hand/... paths (its rule JSON, hosts with host_name/ip_address/...,
 * module status/enable/disable/messages, metrics per host) and /api/v1/hostaware (sources, hosts, rules,
 * paged messages, a live Server-Sent Events stream, and the Alertmanager webhook receiver). The app validates
 * and names the field at fault; these routes only translate shapes and errors.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiContext, RouteArea } from '../context.js';
import { badRequest, callApp, objectBody } from '../errors.js';
import {
  HandAlertsAccepted,
  HandHost,
  HandHostMetrics,
  HandMessagePage,
  HandRuleView,
  HandSource,
  HandStatus,
  HAND_EVENT_TYPES,
  replies,
} from '../responses.js';
import type { HostAwareApp, HandMessage } from '../../apps/hostaware/index.js';
import { toFlHand, ruleJson, type EventType } from '../../apps/hostaware/index.js';

/** What the routes need: the app itself (its methods are the view; no adapter adds anything). */
export type HostAwareView = Pick<
  HostAwareApp,
  | 'enabled'
  | 'status'
  | 'setEnabled'
  | 'listSources'
  | 'getSource'
  | 'addSource'
  | 'deleteSource'
  | 'receiveAlerts'
  | 'listHosts'
  | 'hostMetrics'
  | 'listRules'
  | 'getRule'
  | 'addRule'
  | 'deleteRule'
  | 'setRuleActive'
  | 'messages'
>;

const EVENT_TYPES: readonly EventType[] = HAND_EVENT_TYPES;
const Body = (description: string) => Type.Unsafe<unknown>({ description });
const NameParam = Type.Object({ name: Type.String({ minLength: 1, maxLength: 253 }) });
const MessageQuery = Type.Object({
  after: Type.Optional(Type.String({ description: 'only messages after this seq (from `next`)' })),
  limit: Type.Optional(Type.String({ description: 'at most this many (1..1000, default 100)' })),
  type: Type.Optional(Type.String({ description: EVENT_TYPES.join(', ') })),
  rule: Type.Optional(Type.String()),
  host: Type.Optional(Type.String()),
  source: Type.Optional(Type.String()),
});
type MessageQueryT = {
  after?: string;
  limit?: string;
  type?: string;
  rule?: string;
  host?: string;
  source?: string;
};

function messageFilter(q: MessageQueryT) {
  const int = (field: string, text: string | undefined, min: number, max: number) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
      throw badRequest(`query parameter '${field}' must be a whole number ${min}..${max}`, field);
    }
    return n;
  };
  let type: EventType | undefined;
  if (q.type !== undefined) {
    const t = q.type.toUpperCase() as EventType;
    if (!EVENT_TYPES.includes(t)) {
      throw badRequest(`query parameter 'type' must be one of ${EVENT_TYPES.join(', ')}`, 'type');
    }
    type = t;
  }
  return {
    after: int('after', q.after, 0, Number.MAX_SAFE_INTEGER),
    limit: int('limit', q.limit, 1, 1000),
    ...(type && { type }),
    ...(q.rule !== undefined && { rule: q.rule }),
    ...(q.host !== undefined && { host: q.host }),
    ...(q.source !== undefined && { source: q.source }),
  };
}

/** FL_HAND's message shape: type, time (ISO), rule, host, message. */
const flMessage = (m: HandMessage) => ({
  type: m.type,
  time: new Date(m.at).toISOString(),
  rule: m.rule ?? '',
  host: m.host ?? '',
  message: m.message,
});

const matches = (m: HandMessage, f: ReturnType<typeof messageFilter>) =>
  (f.type === undefined || m.type === f.type) &&
  (f.rule === undefined || m.rule === f.rule) &&
  (f.host === undefined || m.host === f.host) &&
  (f.source === undefined || m.source === f.source);

export function hostAwareRoutes(view: HostAwareView): RouteArea {
  return (app: FastifyInstance, _ctx: ApiContext) => {
    const fl = ['floodlight: hand'];
    app.get<{ Params: { op: string } }>(
      '/wm/hand/module/:op/json',
      {
        schema: {
          tags: fl,
          summary: 'status | enable | disable | messages',
          params: Type.Object({ op: Type.String() }),
        },
      },
      async (req) => {
        const op = req.params.op.toLowerCase();
        if (op === 'status') return view.status();
        if (op === 'messages') return view.messages.page({ limit: 1000 }).messages.map(flMessage);
        if (op === 'enable' || op === 'disable') {
          await callApp(() => view.setEnabled(op === 'enable'));
          return { status: 'success', details: `HAND ${op === 'enable' ? 'enabled' : 'disabled'}` };
        }
        throw badRequest(`'${req.params.op}' is not one of status, enable, disable, messages`, 'op');
      },
    );
    app.get('/wm/hand/hosts/json', { schema: { tags: fl, summary: 'Monitored hosts' } }, async () =>
      view.listHosts().map((h) => ({
        host_name: h.name,
        ip_address: h.ip ?? '',
        domain: h.domain ?? '',
        mac_address: h.mac ?? '',
        cluster: h.cluster ?? '',
      })),
    );
    app.get<{ Params: { host: string } }>(
      '/wm/hand/metrics/:host/json',
      {
        schema: {
          tags: fl,
          summary: "A host's current metric values",
          params: Type.Object({ host: Type.String() }),
        },
      },
      async (req) => {
        const { metrics } = await callApp(() => view.hostMetrics(req.params.host));
        return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, v.value]));
      },
    );
    app.get(
      '/wm/hand/rules/json',
      { schema: { tags: fl, summary: "Rules in FL_HAND's JSON, with state" } },
      async () =>
        view.listRules().map((r) => ({
          ...toFlHandSafe(r.rule),
          state: r.hosts.map((h) => ({ host: h.host, state: h.state, met_count: h.metCount })),
          issues: r.issues,
        })),
    );
    app.post(
      '/wm/hand/rules/json',
      { schema: { tags: fl, summary: "Add a rule in FL_HAND's JSON", body: Body('FL_HAND rule') } },
      async (req, reply) => {
        const r = await callApp(() => view.addRule(req.body, { floodlight: true }));
        void reply.status(201);
        return { status: 'Success! New rule added.', rule_name: r.rule.name, issues: r.issues };
      },
    );
    app.delete(
      '/wm/hand/rules/json',
      {
        schema: {
          tags: fl,
          summary: 'Delete a rule: {"rule_name": NAME}',
          body: Body('{"rule_name": NAME}'),
        },
      },
      async (req) => {
        const body = objectBody(req.body, '{"rule_name": NAME}');
        await callApp(() => view.deleteRule(String(body.rule_name ?? body.name ?? '')));
        return { status: 'Success! Rule deleted' };
      },
    );

    const v1 = ['sluice: hostaware'];
    app.get(
      '/api/v1/hostaware',
      { schema: { tags: v1, summary: 'Module status', response: replies(HandStatus) } },
      async () => view.status(),
    );
    app.put(
      '/api/v1/hostaware',
      {
        schema: {
          tags: v1,
          summary: 'Enable or disable the module: {"enabled": bool} (disabling undoes every action)',
          body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
          response: replies(HandStatus),
        },
      },
      async (req) => {
        await callApp(() => view.setEnabled((req.body as { enabled: boolean }).enabled));
        return view.status();
      },
    );

    // Sources
    app.get(
      '/api/v1/hostaware/sources',
      {
        schema: {
          tags: v1,
          summary: 'Metric sources and their health',
          response: replies(Type.Array(HandSource)),
        },
      },
      async () => view.listSources(),
    );
    app.post(
      '/api/v1/hostaware/sources',
      {
        schema: {
          tags: v1,
          summary: 'Add a source (polled once at once: the answer shows its health)',
          body: Body(
            '{"type": "gmond", "address": "127.0.0.1:8649"}, gmetad, rrd, prometheus, prometheus-query, alertmanager',
          ),
          response: replies(HandSource, 201),
        },
      },
      async (req, reply) => {
        const s = await callApp(() => view.addSource(req.body));
        void reply.status(201);
        return s;
      },
    );
    app.get<{ Params: { name: string } }>(
      '/api/v1/hostaware/sources/:name',
      { schema: { tags: v1, summary: 'One source', params: NameParam, response: replies(HandSource) } },
      async (req) => callApp(() => view.getSource(req.params.name)),
    );
    app.delete<{ Params: { name: string } }>(
      '/api/v1/hostaware/sources/:name',
      {
        schema: {
          tags: v1,
          summary: 'Delete a source',
          params: NameParam,
          response: replies(HandSource),
        },
      },
      async (req) => callApp(() => view.deleteSource(req.params.name)),
    );
    app.post<{ Params: { path: string } }>(
      '/api/v1/hostaware/alerts/:path',
      {
        schema: {
          tags: v1,
          summary: 'Alertmanager webhook receiver (webhook_configs url) for the source with this path',
          params: Type.Object({ path: Type.String({ maxLength: 63 }) }),
          body: Body('Alertmanager webhook payload, version 4'),
          response: replies(HandAlertsAccepted),
        },
      },
      async (req) => callApp(() => view.receiveAlerts(req.params.path, req.body)),
    );

    // Hosts
    app.get(
      '/api/v1/hostaware/hosts',
      {
        schema: {
          tags: v1,
          summary: 'Monitored hosts, joined to host tracking',
          response: replies(Type.Array(HandHost)),
        },
      },
      async () => view.listHosts(),
    );
    app.get<{ Params: { name: string } }>(
      '/api/v1/hostaware/hosts/:name/metrics',
      {
        schema: {
          tags: v1,
          summary: "A host's current metrics",
          params: NameParam,
          response: replies(HandHostMetrics),
        },
      },
      async (req) => callApp(() => view.hostMetrics(req.params.name)),
    );

    // Rules
    const ruleOut = (r: ReturnType<HostAwareView['getRule']>) => ({ ...r, rule: ruleJson(r.rule) });
    app.get(
      '/api/v1/hostaware/rules',
      {
        schema: {
          tags: v1,
          summary: 'Rules with their state per host',
          response: replies(Type.Array(HandRuleView)),
        },
      },
      async () => view.listRules().map(ruleOut),
    );
    app.post(
      '/api/v1/hostaware/rules',
      {
        schema: {
          tags: v1,
          summary: 'Add a rule',
          body: Body(
            '{"name", "host", "conditions": [{"metric","comparator","value"}], "action": {"type","params"}, ...}',
          ),
          response: replies(HandRuleView, 201),
        },
      },
      async (req, reply) => {
        const r = await callApp(() => view.addRule(req.body));
        void reply.status(201);
        return ruleOut(r);
      },
    );
    app.get<{ Params: { name: string } }>(
      '/api/v1/hostaware/rules/:name',
      { schema: { tags: v1, summary: 'One rule', params: NameParam, response: replies(HandRuleView) } },
      async (req) => ruleOut(await callApp(() => view.getRule(req.params.name))),
    );
    app.put<{ Params: { name: string } }>(
      '/api/v1/hostaware/rules/:name',
      {
        schema: {
          tags: v1,
          summary: 'Add or replace a rule (its actions in effect are undone first)',
          params: NameParam,
          body: Body('a rule; its name must be the path name'),
          response: replies(HandRuleView),
        },
      },
      async (req) => {
        const body = objectBody(req.body, '{"name": ..., "host": ..., ...}');
        if (body.name !== undefined && body.name !== req.params.name) {
          throw badRequest(
            `name '${String(body.name)}' differs from the path's '${req.params.name}'`,
            'name',
          );
        }
        return ruleOut(
          await callApp(() => view.addRule({ ...body, name: req.params.name }, { replace: true })),
        );
      },
    );
    app.patch<{ Params: { name: string } }>(
      '/api/v1/hostaware/rules/:name',
      {
        schema: {
          tags: v1,
          summary: 'Activate or deactivate a rule: {"active": bool}',
          params: NameParam,
          body: Type.Object({ active: Type.Boolean() }, { additionalProperties: false }),
          response: replies(HandRuleView),
        },
      },
      async (req) =>
        ruleOut(
          await callApp(() => view.setRuleActive(req.params.name, (req.body as { active: boolean }).active)),
        ),
    );
    app.delete<{ Params: { name: string } }>(
      '/api/v1/hostaware/rules/:name',
      {
        schema: {
          tags: v1,
          summary: 'Delete a rule (its actions are undone)',
          params: NameParam,
          response: replies(HandRuleView),
        },
      },
      async (req) => ruleOut(await callApp(() => view.deleteRule(req.params.name))),
    );

    // Messages
    app.get<{ Querystring: MessageQueryT }>(
      '/api/v1/hostaware/messages',
      {
        schema: {
          tags: v1,
          summary: 'Messages, oldest first after `after`, or the newest `limit` without it',
          querystring: MessageQuery,
          response: replies(HandMessagePage),
        },
      },
      async (req) => view.messages.page(messageFilter(req.query)),
    );
    app.get<{ Querystring: MessageQueryT }>(
      '/api/v1/hostaware/messages/stream',
      {
        schema: {
          tags: v1,
          summary: 'Messages as Server-Sent Events (event: message, id: seq); `after` replays from there',
          querystring: MessageQuery,
        },
      },
      async (req, reply) => {
        const f = messageFilter(req.query);
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        const send = (m: HandMessage) => {
          if (matches(m, f)) res.write(`id: ${m.seq}\nevent: message\ndata: ${JSON.stringify(m)}\n\n`);
        };
        // Replay what the reader missed (Last-Event-ID on reconnect, or `after`), then follow.
        const lastId = Number(req.headers['last-event-id']);
        const after = Number.isInteger(lastId) && lastId >= 0 ? lastId : f.after;
        if (after !== undefined) {
          let page = view.messages.page({ ...f, after, limit: 1000 });
          while (page.messages.length > 0) {
            page.messages.forEach(send);
            page = view.messages.page({ ...f, after: page.next, limit: 1000 });
          }
        }
        // The current seq as the stream's id: a reader that got no message yet still knows where to resume.
        res.write(`: connected\nid: ${view.messages.lastSeq}\n\n`);
        const unsubscribe = view.messages.subscribe(send);
        // A comment every 15 s keeps proxies from closing an idle stream and shows a dead reader.
        const keepalive = setInterval(() => res.write(': keepalive\n\n'), 15_000);
        keepalive.unref();
        const close = () => {
          clearInterval(keepalive);
          unsubscribe();
        };
        req.raw.on('close', close);
        res.on('error', close);
      },
    );
  };
}

/** FL_HAND's form cannot hold two conditions on one metric: such a rule shows in the /api/v1 form only. */
function toFlHandSafe(rule: Parameters<typeof toFlHand>[0]): Record<string, unknown> {
  try {
    return { ...toFlHand(rule) };
  } catch {
    return { rule_name: rule.name, note: 'see /api/v1/hostaware/rules for this rule', ...ruleJson(rule) };
  }
}
