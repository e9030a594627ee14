/**
 * QoS: Floodlight QoS module paths (/wm/qos/tool, /wm/qos/service, /wm/qos/policy, and /wm/qos/path for
 * what qospath2.py did) and /api/v1/qos (the same state, plus port queues through OVSDB).
 *
 * Floodlight scripts (qosmanager2.py, qospath2.py) keep working: status replies a bare true/false,
 * enable/disable {"status":"success","details":"QoS Enabled"}, add/delete an object with a "status" key,
 * services carry "sid" and policies "policyid", deletes take {"sid"} / {"policy-id"}. Unlike Floodlight, bad
 * input gets a 4xx, and its body carries both "status" (for those scripts) and the API's error fields.
 * The app validates bodies and names the key at fault; these routes only translate shapes and errors.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiContext, RouteArea } from '../context.js';
import { HttpError, callApp } from '../errors.js';
import {
  Deleted,
  QosEnabled,
  QosPath,
  QosPolicy,
  QosPortQueues,
  QosQueuesCleared,
  QosQueuesSet,
  QosService,
  QosStatus,
  replies,
} from '../responses.js';
import { toHttpError } from '../server.js';

type Json = Record<string, unknown>;

export interface QosServiceJson {
  sid: number;
  name: string;
  tos: number;
}

export interface QosPathJson {
  path: Json;
  state: 'active' | 'waiting';
  reason?: string;
  hops: { switch: string; 'in-port': number; 'out-port': number }[];
}

export interface QosQueuesJson {
  port: string;
  type: string;
  'max-rate'?: number;
  queues: Record<string, { 'min-rate'?: number; 'max-rate'?: number; burst?: number; priority?: number }>;
}

/** What the routes need of the qos app. Errors carry `status` (400/404/409/503), `field` and `reason`. */
export interface QosView {
  readonly enabled: boolean;
  setEnabled(on: boolean): Promise<void>;
  services(): QosServiceJson[];
  addService(body: unknown): Promise<QosServiceJson>;
  deleteService(sid: unknown): Promise<QosServiceJson>;
  /** Floodlight's listing shape (policyid, ethtype, ipsrc...). */
  floodlightPolicies(): Json[];
  /** The module's keys (policy-id, eth-type, ...) plus where each policy lands on connected switches. */
  policies(): Json[];
  addPolicy(body: unknown): Promise<Json>;
  deletePolicy(id: unknown): Promise<Json>;
  paths(): QosPathJson[];
  addPath(body: unknown): Promise<QosPathJson>;
  deletePath(name: unknown): Promise<QosPathJson>;
  listQueues(port?: string): Promise<QosQueuesJson[]>;
  setQueues(body: unknown): Promise<{ changed: boolean; queues: QosQueuesJson }>;
  clearQueues(port: unknown): Promise<{ port: string; cleared: boolean }>;
}

/** Floodlight's reply on failure had only "status"; ours keeps it next to the API's error fields. */
async function floodlight<T>(reply: FastifyReply, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await callApp(fn);
  } catch (err) {
    const http = toHttpError(err as Error);
    if (http.status >= 500 && http.code === 'internal' && !(err instanceof HttpError)) throw err;
    void reply.status(http.status).send({ status: `Error! ${http.detail}`, ...http.toBody() });
    return undefined;
  }
}

/** A POST handler that answers 201 with what the app created. */
const created =
  <T>(fn: (body: unknown) => Promise<T>) =>
  async (req: { body: unknown }, reply: FastifyReply): Promise<T> => {
    const out = await callApp(() => fn(req.body));
    void reply.status(201);
    return out;
  };

const AnyBody = (description: string) => Type.Unsafe<unknown>({ description });
const disabledNote = (v: QosView) => (v.enabled ? '' : ' (QoS is disabled: stored, applied when enabled)');

/** The route area; plug it into createApiServer({routes: [qosRoutes(view)]}). */
export function qosRoutes(view: QosView): RouteArea {
  return (app: FastifyInstance, _ctx: ApiContext) => {
    const tags = ['floodlight: qos'];
    app.get<{ Params: { op: string } }>(
      '/wm/qos/tool/:op/json',
      {
        schema: {
          tags,
          summary: 'enable | disable | status (status replies a bare true/false)',
          params: Type.Object({ op: Type.String({ description: 'enable, disable or status' }) }),
        },
      },
      async (req, reply) => {
        const op = req.params.op.toLowerCase();
        if (op === 'status') return view.enabled;
        if (op === 'enable' || op === 'disable') {
          await view.setEnabled(op === 'enable');
          return { status: 'success', details: op === 'enable' ? 'QoS Enabled' : 'QoS Disabled' };
        }
        return reply.status(400).send({
          status: 'failure',
          details: 'Invalid Operation',
          ...new HttpError(
            400,
            'validation',
            `op: '${req.params.op}' is not enable, disable or status`,
            'op',
          ).toBody(),
        });
      },
    );

    app.get(
      '/wm/qos/service/json',
      { schema: { tags, summary: 'ToS services [{sid, name, tos}]' } },
      async () => view.services(),
    );
    app.post(
      '/wm/qos/service/json',
      {
        schema: {
          tags,
          summary: 'Add a service {"name", "tos"} (tos: the ToS byte)',
          body: AnyBody('{"name", "tos"}'),
        },
      },
      async (req, reply) => {
        const s = await floodlight(reply, () => view.addService(req.body));
        return s && { status: `Adding Type Of Service: ${s.name} ${s.tos}${disabledNote(view)}`, sid: s.sid };
      },
    );
    app.delete(
      '/wm/qos/service/json',
      { schema: { tags, summary: 'Delete a service {"sid"}', body: AnyBody('{"sid": N}') } },
      async (req, reply) => {
        const s = await floodlight(reply, () => view.deleteService(fieldOf(req.body, 'sid')));
        return s && { status: `Type Of Service Service-ID: ${s.sid} Deleted` };
      },
    );

    app.get(
      '/wm/qos/policy/json',
      { schema: { tags, summary: 'Policies (Floodlight shape: policyid, ...)' } },
      async () => view.floodlightPolicies(),
    );
    app.post(
      '/wm/qos/policy/json',
      {
        schema: {
          tags,
          summary:
            'Add a policy: queue + enqueue-port, service, or rate-kbps (+ burst-kb); sw all | DPID | none',
          body: AnyBody(
            'policy keys: name, sw, priority, match keys, queue/enqueue-port | service | rate-kbps',
          ),
        },
      },
      async (req, reply) => {
        const p = await floodlight(reply, () => view.addPolicy(req.body));
        return (
          p && { status: `Adding Policy: ${String(p.name)}${disabledNote(view)}`, policyid: p['policy-id'] }
        );
      },
    );
    app.delete(
      '/wm/qos/policy/json',
      { schema: { tags, summary: 'Delete a policy {"policy-id"}', body: AnyBody('{"policy-id": N}') } },
      async (req, reply) => {
        const p = await floodlight(reply, () => view.deletePolicy(fieldOf(req.body, 'policy-id')));
        return p && { status: `Policy-ID: ${String(p['policy-id'])} Deleted` };
      },
    );

    app.get(
      '/wm/qos/path/json',
      { schema: { tags, summary: 'QoS paths with their current hops' } },
      async () => view.paths(),
    );
    app.post(
      '/wm/qos/path/json',
      {
        schema: {
          tags,
          summary: 'Add a QoS path {"name", "src-ip", "dst-ip", "policy": {...}}: the policy on every hop',
          body: AnyBody('{"name", "src-ip", "dst-ip", "policy"}'),
        },
      },
      async (req, reply) => {
        const p = await floodlight(reply, () => view.addPath(req.body));
        return p && { status: `Adding QoS path: ${String(p.path.name)}${disabledNote(view)}`, ...p };
      },
    );
    app.delete(
      '/wm/qos/path/json',
      { schema: { tags, summary: 'Delete a QoS path {"name"}', body: AnyBody('{"name"}') } },
      async (req, reply) => {
        const p = await floodlight(reply, () => view.deletePath(fieldOf(req.body, 'name')));
        return p && { status: `QoS path ${String(p.path.name)} deleted` };
      },
    );

    // ---- /api/v1/qos
    const v1 = ['sluice: qos'];
    app.get(
      '/api/v1/qos',
      { schema: { tags: v1, summary: 'QoS state: enabled and counts', response: replies(QosStatus) } },
      async () => ({
        enabled: view.enabled,
        services: view.services().length,
        policies: view.policies().length,
        paths: view.paths().length,
      }),
    );
    app.put<{ Body: { enabled: boolean } }>(
      '/api/v1/qos',
      {
        schema: {
          tags: v1,
          summary: 'Enable or disable QoS (disabled: no QoS flows or meters; state kept)',
          body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
          response: replies(QosEnabled),
        },
      },
      async (req) => {
        await view.setEnabled(req.body.enabled);
        return { enabled: view.enabled };
      },
    );
    app.get(
      '/api/v1/qos/services',
      { schema: { tags: v1, summary: 'ToS services', response: replies(Type.Array(QosService)) } },
      async () => view.services(),
    );
    app.post(
      '/api/v1/qos/services',
      {
        schema: {
          tags: v1,
          summary: 'Add a service {"name", "tos"}',
          body: AnyBody('{"name", "tos"}'),
          response: replies(QosService, 201),
        },
      },
      created((body) => view.addService(body)),
    );
    app.delete<{ Params: { sid: string } }>(
      '/api/v1/qos/services/:sid',
      {
        schema: {
          tags: v1,
          summary: 'Delete a service',
          params: Type.Object({ sid: Type.String() }),
          response: replies(Deleted(QosService)),
        },
      },
      async (req) => ({ deleted: await callApp(() => view.deleteService(req.params.sid)) }),
    );
    app.get(
      '/api/v1/qos/policies',
      {
        schema: {
          tags: v1,
          summary: 'Policies with their placements',
          response: replies(Type.Array(QosPolicy)),
        },
      },
      async () => view.policies(),
    );
    app.get<{ Params: { id: string } }>(
      '/api/v1/qos/policies/:id',
      {
        schema: {
          tags: v1,
          summary: 'One policy',
          params: Type.Object({ id: Type.String() }),
          response: replies(QosPolicy),
        },
      },
      async (req) => {
        const p = view.policies().find((x) => String(x['policy-id']) === req.params.id);
        if (!p)
          throw new HttpError(404, 'not_found', `policy-id: no policy with id ${req.params.id}`, 'policy-id');
        return p;
      },
    );
    app.post(
      '/api/v1/qos/policies',
      {
        schema: {
          tags: v1,
          summary: 'Add a policy (same keys as /wm/qos/policy/json)',
          body: AnyBody('a policy'),
          response: replies(QosPolicy, 201),
        },
      },
      created((body) => view.addPolicy(body)),
    );
    app.delete<{ Params: { id: string } }>(
      '/api/v1/qos/policies/:id',
      {
        schema: {
          tags: v1,
          summary: 'Delete a policy',
          params: Type.Object({ id: Type.String() }),
          response: replies(Deleted(QosPolicy)),
        },
      },
      async (req) => ({ deleted: await callApp(() => view.deletePolicy(req.params.id)) }),
    );
    app.get(
      '/api/v1/qos/paths',
      {
        schema: {
          tags: v1,
          summary: 'QoS paths with their current hops',
          response: replies(Type.Array(QosPath)),
        },
      },
      async () => view.paths(),
    );
    app.post(
      '/api/v1/qos/paths',
      {
        schema: {
          tags: v1,
          summary: 'Add a QoS path {"name", "src-ip", "dst-ip", "policy"}',
          body: AnyBody('{"name", "src-ip", "dst-ip", "policy"}'),
          response: replies(QosPath, 201),
        },
      },
      created((body) => view.addPath(body)),
    );
    app.delete<{ Params: { name: string } }>(
      '/api/v1/qos/paths/:name',
      {
        schema: {
          tags: v1,
          summary: 'Delete a QoS path',
          params: Type.Object({ name: Type.String({ minLength: 1 }) }),
          response: replies(Deleted(QosPath)),
        },
      },
      async (req) => ({ deleted: await callApp(() => view.deletePath(req.params.name)) }),
    );

    app.get<{ Querystring: { port?: string } }>(
      '/api/v1/qos/queues',
      {
        schema: {
          tags: v1,
          summary: 'Port queues as OVSDB has them (every port with a QoS, or one port)',
          response: replies(Type.Array(QosPortQueues)),
          querystring: Type.Object(
            { port: Type.Optional(Type.String({ minLength: 1 })) },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => callApp(() => view.listQueues(req.query.port)),
    );
    app.put(
      '/api/v1/qos/queues',
      {
        schema: {
          tags: v1,
          summary:
            'Set a port’s linux-htb QoS and queues {port, max-rate, queues: {id: {min-rate, max-rate}}} (bit/s)',
          body: AnyBody('{"port", "max-rate", "queues": {"1": {"max-rate": 2000000}}}'),
          response: replies(QosQueuesSet),
        },
      },
      async (req) => callApp(() => view.setQueues(req.body)),
    );
    app.delete<{ Querystring: { port?: string } }>(
      '/api/v1/qos/queues',
      {
        schema: {
          tags: v1,
          summary: 'Remove a port’s QoS and queues: ?port=NAME or body {"port"}',
          response: replies(QosQueuesCleared),
          querystring: Type.Object(
            { port: Type.Optional(Type.String({ minLength: 1 })) },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => callApp(() => view.clearQueues(req.query.port ?? fieldOf(req.body, 'port'))),
    );
  };
}

/** One key of an optional object body (DELETE bodies); a non-object body leaves it undefined. */
function fieldOf(body: unknown, key: string): unknown {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Json)[key] : undefined;
}
