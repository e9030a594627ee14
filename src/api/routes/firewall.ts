/**
 * Firewall: Floodlight's /wm/firewall/... paths (shapes its scripts parse) and /api/v1/firewall. The app
 * validates rules and names the field at fault; these routes translate shapes and errors only.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { dlTypeOfName } from '../../apps/firewall/index.js';
import type { ApiContext, RouteArea } from '../context.js';
import { HttpError, callApp, objectBody } from '../errors.js';
import { DeletedId, FirewallRule, FirewallStatus, replies } from '../responses.js';

/** A rule in canonical form: the POST keys (ruleid, switchid, src-inport, ..., priority, action), text values. */
export type RuleEntry = Record<string, string>;

/** What the routes need of the firewall app. Errors carry `status` (400/404/409) and `field`. */
export interface FirewallView {
  enabled(): boolean;
  setEnabled(on: boolean): Promise<void>;
  /** In evaluation order; each entry also carries `cookieTag` (hex: the low cookie bits of its flows). */
  rules(): RuleEntry[];
  add(body: unknown): Promise<RuleEntry>;
  delete(ruleid: unknown): Promise<RuleEntry>;
  subnetMask(): string;
  setSubnetMask(mask: unknown): Promise<string>;
}

const ZERO_MAC = '00:00:00:00:00:00';
const PROTOS: Readonly<Record<string, number>> = { ICMP: 1, TCP: 6, UDP: 17 };

function prefixParts(text: string | undefined): [string, number] {
  if (text === undefined) return ['0.0.0.0', 0];
  const [addr, bits] = text.split('/');
  return [addr, Number(bits ?? 32)];
}

/** Floodlight 1.2's rule serialisation (absent fields as zero values plus any_* flags). */
export function ruleToFloodlight(r: RuleEntry): Record<string, unknown> {
  const [srcIp, srcBits] = prefixParts(r['src-ip']);
  const [dstIp, dstBits] = prefixParts(r['dst-ip']);
  const dlType = r['dl-type'];
  const proto = r['nw-proto'];
  return {
    ruleid: Number(r.ruleid),
    dpid: r.switchid ?? '00:00:00:00:00:00:00:00',
    in_port: Number(r['src-inport'] ?? 0),
    dl_src: r['src-mac'] ?? ZERO_MAC,
    dl_dst: r['dst-mac'] ?? ZERO_MAC,
    dl_type: dlType === undefined ? 0 : (dlTypeOfName(dlType) ?? Number(dlType)),
    nw_src_prefix: srcIp,
    nw_src_maskbits: srcBits,
    nw_dst_prefix: dstIp,
    nw_dst_maskbits: dstBits,
    nw_proto: proto === undefined ? 0 : (PROTOS[proto] ?? Number(proto)),
    tp_src: Number(r['tp-src'] ?? 0),
    tp_dst: Number(r['tp-dst'] ?? 0),
    any_dpid: r.switchid === undefined,
    any_in_port: r['src-inport'] === undefined,
    any_dl_src: r['src-mac'] === undefined,
    any_dl_dst: r['dst-mac'] === undefined,
    any_dl_type: dlType === undefined,
    any_nw_src: r['src-ip'] === undefined,
    any_nw_dst: r['dst-ip'] === undefined,
    any_nw_proto: proto === undefined,
    any_tp_src: r['tp-src'] === undefined,
    any_tp_dst: r['tp-dst'] === undefined,
    priority: Number(r.priority),
    action: r.action === 'allow' ? 'ALLOW' : 'DROP',
  };
}

const RuleBody = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  description:
    'A firewall rule: any of ruleid, switchid, src-inport, src-mac, dst-mac, dl-type (ARP, IPv4 or a number), ' +
    'src-ip, dst-ip (A.B.C.D/M), nw-proto (TCP, UDP, ICMP or a number), tp-src, tp-dst, priority (0 is ' +
    'evaluated first), action (allow or deny; default allow). Values as strings or numbers.',
});
const RuleIdParam = Type.Object({ ruleid: Type.String({ pattern: '^[0-9]+$', maxLength: 10 }) });
const Status = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    subnetMask: Type.Optional(Type.String({ description: 'e.g. 255.255.255.0: what counts as a broadcast' })),
  },
  { additionalProperties: false },
);

/** The route area; plug it into createApiServer({routes: [firewallRoutes(view)]}). */
export function firewallRoutes(view: FirewallView): RouteArea {
  return (app: FastifyInstance, _ctx: ApiContext) => {
    const tags = ['floodlight: firewall'];
    app.get('/wm/firewall/module/status/json', { schema: { tags, summary: 'Enabled or not' } }, async () => ({
      result: view.enabled() ? 'firewall enabled' : 'firewall disabled',
    }));
    for (const [op, on] of [
      ['enable', true],
      ['disable', false],
    ] as const) {
      const handler = async () => {
        await callApp(() => view.setEnabled(on));
        return { status: 'success', details: on ? 'firewall running' : 'firewall stopped' };
      };
      const summary = `${on ? 'Enable' : 'Disable'} the firewall (flushes cached decisions)`;
      app.put(`/wm/firewall/module/${op}/json`, { schema: { tags, summary } }, handler);
      app.post(`/wm/firewall/module/${op}/json`, { schema: { tags, summary, hide: true } }, handler);
    }
    app.get(
      '/wm/firewall/module/subnet-mask/json',
      { schema: { tags, summary: 'The subnet mask' } },
      async () => ({
        'subnet-mask': view.subnetMask(),
      }),
    );
    app.post(
      '/wm/firewall/module/subnet-mask/json',
      { schema: { tags, summary: 'Set the subnet mask: {"subnet-mask": "255.255.255.0"}' } },
      async (req) => {
        const body = objectBody(req.body, '{"subnet-mask": "255.255.255.0"}');
        await callApp(() => view.setSubnetMask(body['subnet-mask']));
        return { status: 'subnet mask set' };
      },
    );
    app.get('/wm/firewall/rules/json', { schema: { tags, summary: 'Rules in evaluation order' } }, async () =>
      view.rules().map(ruleToFloodlight),
    );
    app.post(
      '/wm/firewall/rules/json',
      { schema: { tags, summary: 'Add a rule', body: RuleBody } },
      async (req) => {
        const rule = await callApp(() => view.add(req.body));
        return { status: 'Rule added', 'rule-id': rule.ruleid };
      },
    );
    app.delete(
      '/wm/firewall/rules/json',
      { schema: { tags, summary: 'Delete a rule (and exactly its flows): {"ruleid": N}', body: RuleBody } },
      async (req) => {
        const body = objectBody(req.body, '{"ruleid": N}');
        await callApp(() => view.delete(body.ruleid));
        return { status: 'Rule deleted' };
      },
    );

    const v1 = ['sluice: firewall'];
    const status = () => ({
      enabled: view.enabled(),
      subnetMask: view.subnetMask(),
      rules: view.rules().length,
    });
    app.get(
      '/api/v1/firewall',
      {
        schema: {
          tags: v1,
          summary: 'Enabled flag, subnet mask, rule count',
          response: replies(FirewallStatus),
        },
      },
      async () => status(),
    );
    app.put<{ Body: { enabled?: boolean; subnetMask?: string } }>(
      '/api/v1/firewall',
      {
        schema: {
          tags: v1,
          summary: 'Enable/disable and/or set the subnet mask',
          body: Status,
          response: replies(FirewallStatus),
        },
      },
      async (req) => {
        if (req.body.subnetMask !== undefined) {
          const mask = req.body.subnetMask;
          await callApp(() => view.setSubnetMask(mask));
        }
        if (req.body.enabled !== undefined) {
          const on = req.body.enabled;
          await callApp(() => view.setEnabled(on));
        }
        return status();
      },
    );
    app.get(
      '/api/v1/firewall/rules',
      {
        schema: {
          tags: v1,
          summary: 'Rules in evaluation order',
          response: replies(Type.Array(FirewallRule)),
        },
      },
      async () => view.rules(),
    );
    app.get<{ Params: { ruleid: string } }>(
      '/api/v1/firewall/rules/:ruleid',
      { schema: { tags: v1, summary: 'One rule', params: RuleIdParam, response: replies(FirewallRule) } },
      async (req) => {
        const found = view.rules().find((r) => r.ruleid === String(Number(req.params.ruleid)));
        if (!found)
          throw new HttpError(404, 'not_found', `ruleid: no firewall rule ${req.params.ruleid}`, 'ruleid');
        return found;
      },
    );
    app.post(
      '/api/v1/firewall/rules',
      { schema: { tags: v1, summary: 'Add a rule', body: RuleBody, response: replies(FirewallRule, 201) } },
      async (req, reply) => {
        const rule = await callApp(() => view.add(req.body));
        void reply.status(201);
        return rule;
      },
    );
    app.delete<{ Params: { ruleid: string } }>(
      '/api/v1/firewall/rules/:ruleid',
      {
        schema: {
          tags: v1,
          summary: 'Delete a rule and exactly the flows it caused',
          params: RuleIdParam,
          response: replies(DeletedId),
        },
      },
      async (req) => {
        const rule = await callApp(() => view.delete(req.params.ruleid));
        return { deleted: Number(rule.ruleid) };
      },
    );
  };
}
