/** /wm/core/...: controller-level facts in Floodlight 1.2 shapes. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { freemem, totalmem } from 'node:os';
import type { ApiContext } from '../context.js';
import { switchToFloodlight } from '../format/floodlight.js';
import { FloodlightSwitch, replies } from '../responses.js';
import { StringEnum } from '../schemas.js';

const tags = ['floodlight: core'];

/** Floodlight names modules by Java class; Sluice apps get a stable dotted name in the same place. */
export function modulesToFloodlight(ctx: ApiContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of ctx.modules?.() ?? []) {
    out[`sluice.apps.${m.name}`] = {
      depends: Object.fromEntries(m.after.map((a) => [`sluice.apps.${a}`, 'app'])),
      provides: { [`sluice.apps.${m.name}`]: 'app' },
      loaded: true,
    };
  }
  return out;
}

export function coreRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/wm/core/health/json', { schema: { tags, summary: 'Liveness (no token needed)' } }, async () => ({
    healthy: true,
  }));

  app.get(
    '/wm/core/controller/switches/json',
    {
      schema: {
        tags,
        summary: 'Connected switches (1.2 keys, and 0.9 dpid and ports)',
        response: replies(Type.Array(FloodlightSwitch)),
      },
    },
    async () => [...ctx.switches.switches.values()].map(switchToFloodlight),
  );

  app.get('/wm/core/controller/summary/json', { schema: { tags, summary: 'Counts' } }, async () => ({
    '# Switches': ctx.switches.switches.size,
    '# inter-switch links': ctx.topology?.links().length ?? 0,
    '# quarantine ports': 0,
    '# hosts': ctx.hosts?.find({}).length ?? 0,
  }));

  app.get('/wm/core/system/uptime/json', { schema: { tags, summary: 'Controller uptime' } }, async () => ({
    systemUptimeMsec: ctx.now() - ctx.startedAt,
  }));

  app.get('/wm/core/memory/json', { schema: { tags, summary: 'Memory' } }, async () => {
    const mem = process.memoryUsage();
    return {
      total: totalmem(),
      free: freemem(),
      heapTotal: mem.heapTotal,
      heapUsed: mem.heapUsed,
      rss: mem.rss,
    };
  });

  app.get<{ Params: { which: 'all' | 'loaded' } }>(
    '/wm/core/module/:which/json',
    {
      schema: {
        tags,
        summary: 'Loaded apps (Floodlight modules)',
        params: { type: 'object', properties: { which: StringEnum(['all', 'loaded']) }, required: ['which'] },
      },
    },
    async () => modulesToFloodlight(ctx),
  );

  app.get('/wm/core/version/json', { schema: { tags, summary: 'Version' } }, async () => ({
    name: 'sluice',
    version: ctx.version,
    floodlightApi: '1.2',
  }));

  app.get('/wm/core/role/json', { schema: { tags, summary: 'Controller role' } }, async () => ({
    role: 'ACTIVE',
    'change-description': 'sluice runs a single active controller',
    'change-date-time': new Date(ctx.startedAt).toISOString(),
  }));
}
