/** ACL: Floodlight's /wm/acl/... paths and /api/v1/acl. The app validates rules and names the field at fault. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiContext, RouteArea } from '../context.js';
import { parsePrefix } from '../../util/index.js';
import { callApp, objectBody } from '../errors.js';
import { AclRule, DeletedCount, DeletedId, replies } from '../responses.js';
import type { RuleEntry } from './firewall.js';

/** What the routes need of the ACL app. Entries are canonical: ruleid, src-ip, dst-ip, nw-proto, tp-dst, action. */
export interface AclView {
  rules(): RuleEntry[];
  add(body: unknown): Promise<RuleEntry>;
  delete(ruleid: unknown): Promise<RuleEntry>;
  /** Resolves to how many rules were deleted. */
  clear(): Promise<number>;
}

const PROTOS: Readonly<Record<string, number>> = { ICMP: 1, TCP: 6, UDP: 17 };

/** Floodlight's ACLRule serialisation (prefixes as signed Java ints, as it printed them). */
export function aclRuleToFloodlight(r: RuleEntry): Record<string, unknown> {
  const side = (text: string | undefined) => {
    if (text === undefined) return { prefix: 0, bits: 0 };
    const p = parsePrefix('prefix', text);
    return { prefix: p.addr | 0, bits: p.bits };
  };
  const src = side(r['src-ip']);
  const dst = side(r['dst-ip']);
  const proto = r['nw-proto'];
  return {
    id: Number(r.ruleid),
    nw_src: r['src-ip'] ?? null,
    nw_dst: r['dst-ip'] ?? null,
    nw_src_prefix: src.prefix,
    nw_src_maskbits: src.bits,
    nw_dst_prefix: dst.prefix,
    nw_dst_maskbits: dst.bits,
    nw_proto: proto === undefined ? 0 : (PROTOS[proto] ?? Number(proto)),
    tp_dst: Number(r['tp-dst'] ?? 0),
    action: r.action === 'allow' ? 'ALLOW' : 'DENY',
  };
}

const AclBody = Type.Unsafe<Record<string, unknown>>({
  type: 'object',
  description:
    'An ACL rule: src-ip and/or dst-ip (A.B.C.D/M, one required), nw-proto (TCP, UDP, ICMP or a number), tp-dst ' +
    '(with TCP/UDP), action (allow or deny; default deny). Earlier rules take precedence.',
});
const RuleIdParam = Type.Object({ ruleid: Type.String({ pattern: '^[0-9]+$', maxLength: 10 }) });

/** The route area; plug it into createApiServer({routes: [aclRoutes(view)]}). */
export function aclRoutes(view: AclView): RouteArea {
  return (app: FastifyInstance, _ctx: ApiContext) => {
    const tags = ['floodlight: acl'];
    app.get(
      '/wm/acl/rules/json',
      { schema: { tags, summary: 'ACL rules, earliest (strongest) first' } },
      async () => view.rules().map(aclRuleToFloodlight),
    );
    app.post(
      '/wm/acl/rules/json',
      { schema: { tags, summary: 'Add a rule', body: AclBody } },
      async (req) => {
        const rule = await callApp(() => view.add(req.body));
        return { status: 'Success! New rule added.', 'rule-id': rule.ruleid };
      },
    );
    app.delete(
      '/wm/acl/rules/json',
      { schema: { tags, summary: 'Delete a rule: {"ruleid": N}', body: AclBody } },
      async (req) => {
        const body = objectBody(req.body, '{"ruleid": N}');
        await callApp(() => view.delete(body.ruleid));
        return { status: 'Success! Rule deleted' };
      },
    );
    app.get('/wm/acl/clear/json', { schema: { tags, summary: 'Delete every rule' } }, async () => {
      const n = await callApp(() => view.clear());
      return { status: `Success! ${n} rules deleted` };
    });

    const v1 = ['sluice: acl'];
    app.get(
      '/api/v1/acl/rules',
      {
        schema: {
          tags: v1,
          summary: 'ACL rules, earliest (strongest) first',
          response: replies(Type.Array(AclRule)),
        },
      },
      async () => view.rules(),
    );
    app.post(
      '/api/v1/acl/rules',
      { schema: { tags: v1, summary: 'Add a rule', body: AclBody, response: replies(AclRule, 201) } },
      async (req, reply) => {
        const rule = await callApp(() => view.add(req.body));
        void reply.status(201);
        return rule;
      },
    );
    app.delete<{ Params: { ruleid: string } }>(
      '/api/v1/acl/rules/:ruleid',
      {
        schema: {
          tags: v1,
          summary: 'Delete a rule (its flows go from every switch)',
          params: RuleIdParam,
          response: replies(DeletedId),
        },
      },
      async (req) => {
        const rule = await callApp(() => view.delete(req.params.ruleid));
        return { deleted: Number(rule.ruleid) };
      },
    );
    app.delete(
      '/api/v1/acl/rules',
      { schema: { tags: v1, summary: 'Delete every rule', response: replies(DeletedCount) } },
      async () => ({
        deleted: await callApp(() => view.clear()),
      }),
    );
  };
}
